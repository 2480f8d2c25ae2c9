"""Showing errors: a :class:`~bench.errors.BenchError` becomes one ``st.error`` naming input and fix.

Bad input and unreachable endpoints raise ``BenchError`` inside ``bench``; pages wrap the calls
that take user input in :func:`guard`, so the user reads what to change instead of a traceback.

``bench`` speaks to both the CLI and the app, so its fixes may name command-line flags; here they
become the app's words (:func:`gui_words`), and everything that is not a deliberate code span is
escaped (:func:`escape_markdown`) so a path like ``*/etc:`` is not read as italics.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st

from bench.errors import BenchError, json_words

_SPECIAL = re.compile(r"([\\*_\[\]<>~$|#])")
_CODE = re.compile(r"(`[^`\n]+`)")

#: command-line advice -> what a GUI user does instead (specific phrases first)
_GUI_PHRASES = [
    (
        re.compile(r"`?python -m bench models list --endpoint URL`?"),
        "the endpoint's model list on the Models page",
    ),
    (re.compile(r"\s*\(pass --models [^)]*\)"), ""),
    (re.compile(r"\(omit --endpoint\)"), "(pick a Foundry Local model rather than an endpoint)"),
    (re.compile(r"\bpass --endpoint\b"), "add it as an endpoint on the Models page"),
    (re.compile(r"\bfix --endpoint\b"), "fix the endpoint's base URL on the Models page"),
    (re.compile(r"\bpoint --endpoint at\b"), "set the endpoint's base URL (Models page) to"),
    (re.compile(r"--endpoint"), "the endpoint's base URL (Models page)"),
    (re.compile(r"\bpass --port\b"), "pick another port"),
]
_FLAG = re.compile(r"(?<![\w`])--([a-z][a-z-]+)")


def gui_words(text: str) -> str:
    """Replace command-line flags in ``text`` by what the app's user does instead."""
    for pattern, words in _GUI_PHRASES:
        text = pattern.sub(words, text)
    return _FLAG.sub(lambda m: f"the {m.group(1).replace('-', ' ')} setting", text)


def escape_markdown(text: str) -> str:
    """Escape Markdown outside `code spans`, so names and paths show exactly as written."""
    parts = _CODE.split(text)
    return "".join(
        part if part.startswith("`") and part.endswith("`") and len(part) > 1 else _escape(part)
        for part in parts
    )


def _escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text).replace("`", "\\`")


def error_markdown(message: str) -> str:
    """A BenchError message (``subject: what`` then ``fix: ...``) as readable Markdown."""
    lines = [line.rstrip() for line in gui_words(message).strip().splitlines()]
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
            body.append(f"- {escape_markdown(stripped)}")
    text = f"**{escape_markdown(head)}**"
    if body:
        text += "\n\n" + "\n".join(body)
    if fix:
        text += f"\n\n**Fix:** {escape_markdown(fix)}"
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


def upload_json(data: bytes, name: str) -> Any:
    """Parse an uploaded JSON file, or raise a BenchError that says the line, column and what is wrong."""
    fix = "upload a UTF-8 .json file (an editor with JSON highlighting shows the spot)"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BenchError(name, "is not UTF-8 text", "save it as UTF-8 and upload it again") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise BenchError(name, f"is not valid JSON: {where}: {json_words(exc.msg)}", fix) from None
