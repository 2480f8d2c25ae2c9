"""Showing errors: a :class:`~bench.errors.BenchError` becomes one ``st.error`` naming input and fix.

Bad input and unreachable endpoints raise ``BenchError`` inside ``bench``; pages wrap the calls
that take user input in :func:`guard`, so the user reads what to change instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from bench.errors import BenchError


def error_markdown(message: str) -> str:
    """A BenchError message (``subject: what`` then ``fix: ...``) as readable Markdown."""
    lines = [line.rstrip() for line in message.strip().splitlines()]
    if not lines:
        return "Something went wrong."
    head, rest = lines[0], lines[1:]
    body: list[str] = []
    fix = ""
    for line in rest:
        stripped = line.strip()
        if stripped.startswith("fix:"):
            fix = stripped.removeprefix("fix:").strip()
        elif stripped:
            body.append(f"- `{stripped}`" if ": " in stripped else f"- {stripped}")
    text = f"**{head}**"
    if body:
        text += "\n\n" + "\n".join(body)
    if fix:
        text += f"\n\n**Fix:** {fix}"
    return text


def show_error(error: BenchError | str, title: str | None = None) -> None:
    message = error.message if isinstance(error, BenchError) else str(error)
    text = error_markdown(message)
    st.error(f"{title}\n\n{text}" if title else text, icon=":material/error:")


@contextmanager
def guard(title: str | None = None) -> Iterator[None]:
    """Run user-driven code; a BenchError is shown as ``st.error`` and swallowed."""
    try:
        yield
    except BenchError as exc:
        show_error(exc, title)
