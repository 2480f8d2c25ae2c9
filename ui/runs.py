"""Picking stored runs (Results, Report): one selection shared by pages and kept in the URL."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from bench.report import results_keys
from ui.resources import store

SELECTED = "selected_runs"
_URL_WRITTEN = "_runs_in_url"
STATUS_ICON = {
    "completed": ":material/check_circle:",
    "running": ":material/hourglass_top:",
    "cancelled": ":material/cancel:",
    "failed": ":material/error:",
    "interrupted": ":material/warning:",
}


#: a model row left "running"/"loading" by a run that stopped (Cancel, a crash) never finished
_UNFINISHED_MODEL = ("running", "loading")


#: a run worth opening by default (finished, with requests): one rule with the start-up's keeper
usable = results_keys.usable


def newest_usable(runs: list[dict[str, Any]], count: int = 1) -> list[str]:
    """The ids of the ``count`` newest usable runs (``runs`` newest first); the newest runs if none is.

    Why: a cancelled or empty run opened by default shows "no recommendation" or "nothing to score"
    for a reason the user did not cause; such a run is shown only when picked.
    """
    good = [r["id"] for r in runs if usable(r)]
    rest = [r["id"] for r in runs if r["id"] not in good]
    return (good + rest)[:count]


def model_status(model_status: str, run_status: str) -> str:
    """The true status of a model in a run: a model left "running" by a cancelled run was cancelled."""
    if model_status in _UNFINISHED_MODEL and run_status not in ("running", ""):
        return run_status if run_status in ("cancelled", "failed", "interrupted") else "not finished"
    return model_status


def run_label(run: dict[str, Any]) -> str:
    models = ", ".join(run.get("settings", {}).get("models", []))
    label = f" · {run['label']}" if run.get("label") else ""
    return f"{run['id']} · {run.get('status', '')} · {models}{label} · {run.get('n_samples', 0)} requests"


def open_results(run_ids: list[str]) -> None:
    """Go to Results showing ``run_ids`` (also written to the URL, so it can be bookmarked)."""
    st.session_state[SELECTED] = list(run_ids)
    st.switch_page("pages/results.py", query_params={"run": list(run_ids)})


def pick_runs(key: str) -> list[str]:
    """A multiselect of stored runs; defaults to the URL's ``?run=``, this session's pick or the newest usable run."""
    runs = store().list_runs(200)
    if not runs:
        st.info(
            "No runs in the database yet. Start one on **Run**, or use the one-click **quick benchmark** on **Home**.",
            icon=":material/info:",
        )
        c1, c2 = st.columns(2)
        c1.page_link("pages/home.py", label="Home: quick benchmark", icon=":material/bolt:")
        c2.page_link("pages/run.py", label="Run a benchmark", icon=":material/play_circle:")
        return []
    by_id = {r["id"]: r for r in runs}
    url = [r for r in st.query_params.get_all("run") if r in by_id]
    if url and url != st.session_state.get(_URL_WRITTEN):
        st.session_state[SELECTED] = url  # arrived through a link or a page switch: the URL wins
    if SELECTED in st.session_state:
        current = [r for r in st.session_state[SELECTED] if r in by_id]
    else:
        current = newest_usable(runs)
    widget = f"{key}_runs"
    st.session_state[widget] = current

    def _changed() -> None:
        st.session_state[SELECTED] = list(st.session_state[widget])

    selected = st.multiselect(
        "Runs",
        options=list(by_id),
        format_func=lambda rid: run_label(by_id[rid]),
        key=widget,
        on_change=_changed,
        help="Pick one run, or several to compare them (each model of each run becomes its own series).",
        placeholder="Choose one or more runs",
    )
    st.session_state[SELECTED] = list(selected)
    if st.query_params.get_all("run") != list(selected):
        st.query_params["run"] = list(selected)
    st.session_state[_URL_WRITTEN] = list(selected)
    if not selected:
        st.info("Pick at least one run above.", icon=":material/info:")
    # oldest first: colours and legends follow the order the runs were made
    return sorted(selected, key=lambda rid: by_id[rid]["created_at"])


def runs_table(runs: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Run": r["id"],
                "Status": r["status"],
                "Models": ", ".join(r["settings"].get("models", [])),
                "Label": r.get("label", ""),
                "Requests": r.get("n_samples", 0),
                "Transport": r.get("meta", {}).get("transport", ""),
                "Started (UTC)": r["created_at"][:19].replace("T", " "),
            }
            for r in runs
        ]
    )


def settings_words(settings: dict[str, Any]) -> str:
    """A run's settings as a sentence: ``2 rounds after 1 warm-up round · max 160 tokens · ...``."""
    from bench.report.round_labels import plural

    rounds, warmup = int(settings.get("rounds") or 0), int(settings.get("warmup") or 0)
    seed = settings.get("seed")
    return " · ".join(
        [
            f"{plural(rounds, 'round')} after {plural(warmup, 'warm-up round')}",
            f"max {settings.get('max_tokens')} tokens",
            f"temperature {settings.get('temperature')}",
            f"seed {seed}" if seed is not None else "no seed",
            "streamed" if settings.get("stream") else "not streamed (no time to first token)",
        ]
    )


def warn_if_incomparable(runs: list[dict[str, Any]], models: list[Any]) -> Any:
    """Say at the top of the page when the selected runs were measured differently; return the verdict.

    ``models`` are the (run, model) rows (anything with ``run_id``, ``backend``, ``transport``).
    """
    from bench.stats.comparability import compare_runs

    rows = [
        {"run_id": m.run_id, "backend": getattr(m, "backend", ""), "transport": getattr(m, "transport", "")}
        for m in models
    ]
    verdict = compare_runs(runs, rows)
    if not verdict.comparable:
        lines = "\n".join(f"- {line}" for line in verdict.lines())
        st.warning(f"**{verdict.headline()}**\n\n{lines}", icon=":material/rule:")
    return verdict
