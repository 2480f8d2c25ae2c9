"""Answers cut by the token limit (``finish_reason = length``), marked wherever answers are shown.

A cut answer is the run's setting, not the model's fault: it stopped because ``max tokens`` was
reached. Annotate, Judge and Results mark those answers and warn before anyone grades them, so a
low score for an unfinished sentence is given knowingly (or the run is repeated with a higher cap).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import streamlit as st

from bench.store.store import Store

LENGTH = "length"


def is_truncated(sample: Mapping[str, Any]) -> bool:
    """True when the request ended because it hit max tokens (a ``Store.samples`` row or its metrics)."""
    metrics = sample.get("metrics") if isinstance(sample.get("metrics"), Mapping) else sample
    return str((metrics or {}).get("finish_reason") or "") == LENGTH


def truncated_answers(store: Store, run_id: str) -> set[tuple[str, str]]:
    """``{(model, prompt_id)}`` whose *graded* answer (first ok, non-warm-up round) was cut."""
    first: dict[tuple[str, str], dict[str, Any]] = {}
    for s in store.samples([run_id]):
        if s["warmup"] or s["round"] < 0 or not s["ok"]:
            continue
        key = (s["model"], s["prompt_id"])
        if key not in first or s["round"] < first[key]["round"]:
            first[key] = s
    return {key for key, s in first.items() if is_truncated(s)}


def max_tokens(run: Mapping[str, Any] | None) -> int | None:
    value = ((run or {}).get("settings") or {}).get("max_tokens")
    return int(value) if value else None


def badge(limit: int | None) -> str:
    """The mark next to a cut answer (Streamlit Markdown)."""
    cap = f" at {limit} tokens" if limit else ""
    return f":orange-badge[:material/content_cut: cut by the token limit{cap}]"


def label(limit: int | None) -> str:
    """The same mark in plain text, for tables and captions."""
    return f"cut at {limit} tokens" if limit else "cut by the token limit"


def warn(cut: int, total: int, limit: int | None, doing: str) -> None:
    """A warning before ``doing`` (scoring, judging) answers some of which were cut."""
    if not cut:
        return
    cap = f"max tokens {limit}" if limit else "the run's max tokens"
    st.warning(
        f"**{cut} of {total} answers were cut by the token limit** ({cap}) and are marked "
        f":material/content_cut:. They stopped because of the run's setting, not because the model "
        f"finished: {doing} them grades unfinished text. Rerun with a higher max tokens to grade "
        "complete answers.",
        icon=":material/content_cut:",
    )


def count(keys: Iterable[tuple[str, str]], cut: set[tuple[str, str]]) -> tuple[int, int]:
    """(cut, total) among ``keys``."""
    keys = list(keys)
    return sum(1 for k in keys if k in cut), len(keys)
