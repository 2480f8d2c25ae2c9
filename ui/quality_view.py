"""Quality on screen: pick a run and a rubric set, show scores per scorer, agreement numbers.

``render_quality(store, run_ids)`` is what Results (and any page) calls to show quality per model
and aspect: one source of scores at a time (people, a judge model, task checks), chosen in a
selectbox, never mixed. Everything it shows comes from the results layer
(:attr:`bench.results.Results.quality`, typed in :mod:`bench.quality.summary`): the sources with
their validated label, the per-aspect tables, a judge's parse rate. This module only lays them out.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from bench.backends.base import Backend
from bench.errors import BenchError
from bench.inputs import user_files
from bench.quality.summary import Replies, load_quality
from bench.report import quality_charts
from bench.results import Results, with_series
from bench.store.store import Store
from bench.units import is_missing
from rubrics.agreement import Stat
from rubrics.judge import JudgeProgress, JudgeSummary, judge_pairwise, judge_run
from rubrics.quality import INTERVAL_METHOD
from rubrics.schema import RubricSet, resolve_rubric_set
from ui.errors import show_error
from ui.jobs import Job, registry
from ui.runs import newest_usable
from ui.tables import dashed
from ui.votes_view import render_vote_rankings

GRADABLE = ("completed", "cancelled")
_RUN = "quality_run"  # the run picked on Annotate / Judge, shared between them
PARSE_RATE_WARN = 0.8

scorer_label = quality_charts.scorer_label


# ---- small formatting helpers --------------------------------------------------------------------
def stat_text(stat: Stat, fmt: str = "{:.2f}") -> str:
    return "n/a" if stat.value is None else fmt.format(stat.value)


def percent(value: float | None) -> str:
    return "n/a" if is_missing(value) else f"{value:.0%}"


# ---- run and rubric pickers ----------------------------------------------------------------------
def gradable_runs(store: Store) -> list[dict[str, Any]]:
    """Completed or cancelled runs with stored answers, newest first."""
    return [r for r in store.list_runs(200) if r["status"] in GRADABLE and r.get("n_samples", 0) > 0]


def _run_option(run: dict[str, Any]) -> str:
    models = ", ".join(run.get("settings", {}).get("models", []))
    prompts = run.get("prompts", {}).get("name", "")
    label = f" · {run['label']}" if run.get("label") else ""
    return f"{run['id']} · {run['status']} · {models} · {prompts} prompts{label}"


def pick_run(store: Store, key: str) -> dict[str, Any] | None:
    """A selectbox of gradable runs (newest first); the choice is shared by Annotate and Judge."""
    runs = gradable_runs(store)
    if not runs:
        st.info(
            "No finished run with answers yet. Start one on **Run** (or the quick benchmark on **Home**); "
            "completed and cancelled runs can be graded.",
            icon=":material/info:",
        )
        st.page_link("pages/run.py", label="Run a benchmark", icon=":material/play_circle:")
        return None
    by_id = {r["id"]: r for r in runs}
    widget = f"{key}_run"
    current = st.session_state.get(_RUN)
    if current not in by_id:
        selected = [r for r in st.session_state.get("selected_runs", []) if r in by_id]
        current = selected[-1] if selected else newest_usable(runs)[0]
    st.session_state[widget] = current

    def _changed() -> None:
        st.session_state[_RUN] = st.session_state[widget]

    run_id = st.selectbox(
        "Run",
        list(by_id),
        format_func=lambda rid: _run_option(by_id[rid]),
        key=widget,
        on_change=_changed,
        help="Completed and cancelled runs with answers, newest first.",
    )
    st.session_state[_RUN] = run_id
    return by_id[run_id]


def rubric_files() -> dict[str, Path]:
    return user_files.set_files("rubrics")


def default_rubric_label(run: dict[str, Any], labels: list[str]) -> str | None:
    """The built-in rubric named like the run's prompt set (meeting-notes), else the workshop one."""
    prompt_set = str(run.get("prompts", {}).get("name", ""))
    for wanted in (f"{prompt_set} (built-in)", "workshop (built-in)"):
        if wanted in labels:
            return wanted
    return labels[0] if labels else None


def pick_rubric(run: dict[str, Any], key: str) -> RubricSet | None:
    """A selectbox of rubric sets (built-in and yours); the default follows the run's prompt set."""
    files = rubric_files()
    labels = list(files)
    default = default_rubric_label(run, labels)
    label = st.selectbox(
        "Rubric set",
        labels,
        index=labels.index(default) if default else 0,
        key=f"{key}_rubric_{run['id']}",
        help="Aspects and the anchor sentence of every score. Edit or add sets on **Prompts & rubrics**.",
    )
    if label is None:
        return None
    try:
        return resolve_rubric_set(files[label])
    except BenchError as exc:
        show_error(exc, title="That rubric set cannot be used.")
        return None


# ---- quality per scorer --------------------------------------------------------------------------
def _interval(low: float, high: float) -> str:
    if pd.isna(low) or pd.isna(high):
        return "n/a (n < 2)"
    return f"{low:.2f} – {high:.2f}"


def quality_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The quality table with readable headers and the 95% interval as one text column."""
    out = pd.DataFrame(
        {
            "Model": table["model"],
            "Aspect": table["aspect"],
            "Mean": table["mean"],
            "95% interval": [_interval(lo, hi) for lo, hi in zip(table["low"], table["high"], strict=True)],
            "n (items)": table["n"],
            "Missing": table["missing"],
            "Scored by": table["scored_by"],
        }
    )
    return out


QUALITY_COLUMNS_CONFIG = {
    "Mean": st.column_config.NumberColumn(
        format="%.2f", help="Mean score 1–5 over items; empty when no item has a score"
    ),
    "95% interval": st.column_config.TextColumn(help=INTERVAL_METHOD + "; n/a with fewer than 2 items"),
    "n (items)": st.column_config.NumberColumn(help="Items (model × prompt × aspect) behind the mean"),
    "Missing": st.column_config.NumberColumn(help="Judge replies that gave no readable score (not counted)"),
    "Scored by": st.column_config.TextColumn(help="people = annotators (averaged per item); judge:<model>"),
}


def show_quality_table(table: pd.DataFrame) -> None:
    shown, config = dashed(quality_frame(table), QUALITY_COLUMNS_CONFIG)  # "—" where a number is undefined
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config)


def show_parse_rate(replies: Replies | None, judge: str, container: Any = None) -> None:
    """A metric tile with the judge's parse rate: parsed / total replies (from the results layer)."""
    where = container or st
    parsed, total = (replies.parsed, replies.total) if replies else (0, 0)
    where.metric(
        "Judge parse rate",
        percent(replies.rate if replies else None),
        f"{parsed}/{total} parsed",
        delta_color="off",
        delta_arrow="off",
        help=f"Replies of judge {judge} that held a readable 1–5 score (after retries). Unreadable replies are "
        "stored as missing, never turned into a score.",
        border=True,
    )


def warn_parse_rate(replies: Replies | None, judge: str) -> None:
    """A warning when fewer than 80% of the judge's replies held a readable score."""
    rate = replies.rate if replies else None
    if replies is not None and rate is not None and rate < PARSE_RATE_WARN:
        st.warning(
            f"Judge {judge} gave a readable score in only {replies.parsed} of {replies.total} replies ({rate:.0%}): "
            "its means rest on the replies it could score and may not stand for the rest. Try a larger judge model "
            "or more attempts, and check it against people below.",
            icon=":material/warning:",
        )


def _by_run(frame: pd.DataFrame, several_runs: bool) -> pd.DataFrame:
    """Name each row's run in its model label when several runs are shown: quality is a run's own."""
    return with_series(frame, several_runs).drop(columns="model").rename(columns={"series": "model"})


def render_quality(
    store: Store, run_ids: list[str], key: str = "quality", results: Results | None = None
) -> None:
    """Quality per (run, model) and aspect for one score source (people, one judge, task checks).

    ``results`` is the page's :func:`bench.results.load_results` of ``run_ids`` when it has one
    (Results has); else only its quality part is loaded (:func:`bench.quality.summary.load_quality`,
    the value ``Results.quality`` holds). The numbers are the ones Decide and the reports read.
    """
    ids = list(run_ids)
    try:
        quality = results.quality if results is not None else load_quality(store, ids)
    except BenchError as exc:
        show_error(exc, title="Quality scores could not be read.")
        return
    infos = {i.name: i for i in quality.sources if not i.name.startswith("votes")}
    if not infos:
        st.info(
            "No quality scores for these runs yet. Score answers on **Annotate**, or let a judge model "
            "grade them on **Judge**.",
            icon=":material/info:",
        )
        render_vote_rankings(store, ids)
        return
    scored_by = st.selectbox(
        "Scored by",
        list(infos),
        format_func=scorer_label,
        key=f"{key}_scored_by",
        help="People's scores, a judge's scores and task checks are different instruments; they are shown one "
        "at a time, never averaged together.",
    )
    several = len(ids) > 1
    info = infos[scored_by]
    table = _by_run(quality.tables[scored_by], several)
    overall = _by_run(quality.overall[scored_by], several).assign(aspect="all")
    if not info.validated:
        st.warning(
            f"**{scorer_label(scored_by)} is not validated**: {info.trust or info.note or 'never compared with people'}",
            icon=":material/gpp_maybe:",
        )
    judge = scored_by.removeprefix("judge:") if scored_by.startswith("judge:") else None
    if judge is not None:
        replies = quality.replies(scored_by)
        tile, note = st.columns([1, 3], vertical_alignment="center")
        show_parse_rate(replies, judge, tile)
        with note:
            warn_parse_rate(replies, judge)
    st.markdown(f"**Quality per aspect · scored by {scorer_label(scored_by)}**")
    st.altair_chart(quality_charts.quality_points(table), width="stretch")
    show_quality_table(table)
    with st.expander("Over all aspects, per model"):
        show_quality_table(overall)
    st.caption(
        f"Scored by **{scorer_label(scored_by)}** ({info.scale}); each run's scores are its own"
        f" (a row names its run when several are shown). {info.note or INTERVAL_METHOD}."
        + (" Missing = unreadable judge replies, left out of the mean." if judge else "")
    )
    render_vote_rankings(store, ids)  # the pairwise sources: Bradley–Terry per run


# ---- background jobs (ui.jobs): grading and pairwise comparison ----------------------------------
def _on_progress(job: Job) -> Callable[[JudgeProgress], None]:
    def update(p: JudgeProgress) -> None:
        job.update(
            done=p.done,
            total=p.total,
            fraction=p.done / p.total if p.total else None,
            stage=f"{p.done}/{p.total} · {p.model} · {p.prompt_id} · {p.aspect}: {p.outcome}",
        )

    return update


def _summary_text(summary: JudgeSummary, what: str) -> str:
    text = (
        f"{what}: {summary.judged} judged now, {summary.skipped} already judged (skipped), "
        f"{summary.missing} missing, of {summary.total}"
    )
    return text + (" — cancelled; what was judged is stored" if summary.cancelled else "")


def start_grading(
    store: Store,
    run_id: str,
    backend: Backend,
    judge_model: str,
    rubric: RubricSet,
    max_attempts: int,
    k: int = 1,
) -> Job:
    """``rubrics.judge.judge_run`` on a background thread, with progress and cancel."""

    def work(job: Job) -> JudgeSummary:
        job.update(run_id=run_id, stage=f"Loading judge {judge_model}…")
        summary = judge_run(
            store,
            run_id,
            backend,
            judge_model,
            rubric,
            max_attempts=max_attempts,
            progress=_on_progress(job),
            cancel=job.cancel,
            k=k,
        )
        job.update(stage=_summary_text(summary, f"Judge {judge_model} on run {run_id}"))
        return summary

    title = f"Grade run {run_id} with {judge_model} · {rubric.name} rubric"
    return registry().start("judge", title, work)


def start_pairwise(
    store: Store,
    run_id: str,
    backend: Backend,
    judge_model: str,
    model_a: str,
    model_b: str,
    criterion: str,
    rubric: RubricSet | None,
    max_attempts: int,
) -> Job:
    """``rubrics.judge.judge_pairwise`` (both orders) on a background thread."""

    def work(job: Job) -> JudgeSummary:
        job.update(run_id=run_id, stage=f"Loading judge {judge_model}…")
        summary = judge_pairwise(
            store,
            run_id,
            backend,
            judge_model,
            model_a,
            model_b,
            aspect_or_overall=criterion,
            rubric_set=rubric,
            max_attempts=max_attempts,
            progress=_on_progress(job),
            cancel=job.cancel,
        )
        job.update(stage=_summary_text(summary, f"{model_a} vs {model_b} ({criterion}) by {judge_model}"))
        return summary

    title = f"Compare {model_a} vs {model_b} on {criterion} with {judge_model} (both orders)"
    return registry().start("pairwise", title, work)
