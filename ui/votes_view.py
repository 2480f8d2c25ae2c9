"""Annotate's pairwise mode: two blind answers side by side, A / B / tie / skip, and the ranking.

The page stays thin: which pair comes next, which side is which and what a vote means live in
:mod:`rubrics.votes`; the Bradley–Terry fit in :mod:`rubrics.bradley_terry`; the chart in
:mod:`bench.report.quality_charts`. Keys: A (left better), B (right better), T (tie), S (skip).
"""

from __future__ import annotations

import streamlit as st

from bench.errors import BenchError
from bench.report.quality_charts import rating_chart
from bench.store.store import Store
from rubrics.bradley_terry import INTERVAL_METHOD
from rubrics.judge_pairwise import pairwise_frame
from rubrics.schema import RubricSet
from rubrics.votes import (
    OVERALL,
    VotePair,
    left_share,
    next_pair,
    people_ratings,
    record_vote,
    vote_progress,
    votes_frame,
)
from ui.errors import show_error
from ui.resources import store
from ui.trust_view import render_judge_ranking

BUTTONS = [
    ("left", "A is better", "a"),
    ("right", "B is better", "b"),
    ("tie", "Tie", "t"),
    ("skip", "Skip", "s"),
]


def _vote(pair: VotePair, annotator: str, choice: str) -> None:
    """Button callback: store the vote and remember what to reveal on the next run."""
    try:
        record_vote(store(), pair, annotator, choice)  # type: ignore[arg-type]
    except BenchError as exc:
        st.session_state["vote_error"] = exc.message
        return
    names = {"left": pair.left_model, "right": pair.right_model}
    if choice in names:
        other = pair.right_model if choice == "left" else pair.left_model
        said = f"you preferred `{names[choice]}` over `{other}`"
    else:
        said = f"{'a tie' if choice == 'tie' else 'skipped'}: A was `{pair.left_model}`, B was `{pair.right_model}`"
    st.session_state["vote_last"] = f"Saved ({pair.prompt_id}): {said}."


def _aspect_choice(rubric: RubricSet | None, run_id: str) -> str:
    options = [OVERALL, *(a.id for a in rubric.aspects)] if rubric else [OVERALL]
    return st.selectbox(
        "Compare on",
        options,
        key=f"vote_aspect::{run_id}",
        help="Overall quality, or one aspect of the rubric set. Votes are kept per aspect.",
    )


def render_ranking(db: Store, run_id: str, aspect: str) -> None:
    """People's Bradley–Terry ranking of this run on ``aspect``, with intervals and the votes behind it."""
    votes = votes_frame(db, [run_id])
    ratings = people_ratings(votes, aspect)
    if ratings.empty:
        st.caption("No votes on this aspect yet: the ranking appears after the first vote.")
        return
    st.altair_chart(rating_chart(ratings, "votes:people"), width="stretch")
    table = ratings.rename(columns=str.capitalize).round({"Rating": 0, "Low": 0, "High": 0})
    st.dataframe(table, hide_index=True, width="stretch")
    share, n = left_share(votes[votes["aspect"] == aspect])
    side = f" The left answer won {share:.0%} of {n} decisive votes (0.5 = no position bias)." if n else ""
    st.caption(f"Scored by people's blind votes (skips left out). {INTERVAL_METHOD}.{side}")


def render_votes(db: Store, run_id: str, rubric: RubricSet | None, annotator: str) -> None:
    """The whole pairwise mode for one run and annotator."""
    aspect = _aspect_choice(rubric, run_id)
    done, total = vote_progress(db, run_id, annotator, aspect)
    st.progress(
        done / total if total else 0.0,
        text=f"{done} of {total} comparisons voted by {annotator} · {total - done} left",
    )
    error = st.session_state.pop("vote_error", None)
    if error:
        show_error(error, title="The vote was not saved.")
    last = st.session_state.pop("vote_last", None)
    if last:
        st.success(last, icon=":material/check_circle:")
    try:
        pair = next_pair(db, run_id, annotator, aspect)
    except BenchError as exc:
        show_error(exc, title="The answers of this run could not be read.")
        return
    if pair is None:
        st.success(
            f"Every comparison of this run on `{aspect}` has your vote. Thank you!",
            icon=":material/done_all:",
        )
    else:
        _render_pair(pair, annotator)
    st.divider()
    st.subheader("Ranking from votes")
    render_ranking(db, run_id, aspect)


def _render_pair(pair: VotePair, annotator: str) -> None:
    with st.container(border=True):
        st.caption(f"Prompt `{pair.prompt_id}` · which answer is better on **{pair.aspect}**?")
        st.markdown(pair.prompt)
        if pair.reference:
            with st.expander("Reference answer"):
                st.markdown(pair.reference)
    columns = st.columns(2, gap="medium")
    for col, label, text in zip(columns, ("A", "B"), (pair.left_text, pair.right_text), strict=True):
        with col:
            st.markdown(f"#### Answer {label}")
            with st.container(height=320, border=True):
                st.markdown(text or "*(empty answer)*")
    buttons = st.columns(4)
    for col, (choice, label, key) in zip(buttons, BUTTONS, strict=True):
        col.button(
            label,
            key=f"vote_{choice}",
            type="primary" if choice in ("left", "right") else "secondary",
            on_click=_vote,
            args=(pair, annotator, choice),
            shortcut=key,
            width="stretch",
            help=f"Key: {key.upper()}",
        )
    st.caption("Models are hidden and sides shuffled for you; the names are shown after you vote.")


def render_vote_rankings(db: Store, run_ids: list[str]) -> None:
    """Every pairwise ranking of these runs (people's votes, each judge's verdicts), one run at a time."""

    for run_id in run_ids:
        votes = votes_frame(db, [run_id])
        pairs = pairwise_frame(db, [run_id])
        if votes.empty and pairs.empty:
            continue
        with st.expander(f"Rankings from pairwise votes · run {run_id}", icon=":material/leaderboard:"):
            for aspect in sorted(votes.loc[votes["verdict"] != "skip", "aspect"].unique()):
                st.markdown(f"**People's votes · {aspect}**")
                render_ranking(db, run_id, aspect)
            for judge, aspect in sorted(set(zip(pairs["judge"], pairs["aspect"], strict=True))):
                render_judge_ranking(db, run_id, judge, aspect)
