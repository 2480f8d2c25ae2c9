"""Measured speed on the pages: the fastest suitable model preselected, and a job's time estimated.

The numbers come from :mod:`bench.stats.speed_history` (warm requests of the recent stored runs); this module
caches them per database and phrases them for Race and Judge.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from bench.errors import BenchError
from bench.stats.speed_history import Speed, estimate
from ui.format import duration
from ui.resources import store


@st.cache_data(ttl=30, show_spinner=False)
def _speeds(db_path: str, latest_run: str) -> dict[str, Speed]:
    from bench.stats.speed_history import measured_speeds as measure

    return measure(store())


def measured_speeds() -> dict[str, Speed]:
    """``{model: Speed}`` from the recent stored runs (read again whenever a run is added)."""
    runs = store().list_runs(1)
    return _speeds(str(store().path), runs[0]["id"] if runs else "")


def fastest_first(names: list[str], avoid: set[str] | None = None) -> tuple[list[str], dict[str, Speed]]:
    """``names`` fastest first (measured decode speed, else smaller on disk); ``avoid`` ones go last."""
    from bench.stats.speed_history import fastest_first as order
    from ui.resources import foundry_models

    speeds = measured_speeds()
    try:
        sizes: dict[str, Any] = {e.name: e.size_bytes for e in foundry_models()}
    except BenchError:  # sizes only order the models never measured
        sizes = {}
    ordered = order(names, speeds, sizes)
    avoid = avoid or set()
    return [n for n in ordered if n not in avoid] + [n for n in ordered if n in avoid], speeds


def estimate_caption(requests: int, model: str, attempts: int = 1) -> str:
    """``48 requests · about 2 min (at most 5 min) at 55 tok/s decode (...)`` for a judge run."""
    if requests <= 0:
        return "Nothing left to grade with this judge: every answer of this run already has its scores."
    retries = (
        f"; retries of unreadable replies add up to {requests * (attempts - 1)} more" if attempts > 1 else ""
    )
    head = f"**{requests} requests** (graded answers × aspects{retries})"
    guess = estimate(requests, measured_speeds().get(model))
    if guess.typical_s is None:
        return f"{head}. Time: unknown, {guess.basis}."
    return (
        f"{head} · about **{duration(guess.typical_s)}** (at most {duration(guess.worst_s)}), "
        f"from {guess.basis}. The judge's prompts are longer than benchmark prompts, so reading them adds time."
    )
