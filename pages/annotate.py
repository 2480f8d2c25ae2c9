"""Annotate: score a run's answers blind, 1-5 per aspect with anchors; agreement between annotators."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bench.errors import BenchError
from rubrics.annotate import (
    BlindAnswer,
    Item,
    annotation_items,
    blind_answers,
    next_unannotated,
    progress,
    save_scores,
    saved_scores,
    scores_left,
)
from rubrics.schema import SCORES, RubricSet
from ui import annotate_keys, truncation
from ui.agreement_view import render_people_agreement
from ui.errors import show_error
from ui.quality_view import pick_rubric, pick_run
from ui.resources import store
from ui.routing import require_router
from ui.votes_view import render_votes

require_router()

NAME = "annotator_name"
MODES = ["Scores 1–5", "Pairwise votes"]
PER_ROW = 3  # answers side by side; more models wrap onto the next row


def _score_key(run_id: str, prompt_id: str, annotator: str, label: str, aspect: str) -> str:
    # blind labels, never model names: widget keys reach the browser
    return f"ann::{run_id}::{prompt_id}::{annotator}::{label}::{aspect}"


def _comment_key(run_id: str, prompt_id: str, annotator: str, label: str) -> str:
    return f"ann::{run_id}::{prompt_id}::{annotator}::{label}::comment"


def _pos_key(run_id: str, rubric: RubricSet, annotator: str) -> str:
    return f"annotate_pos::{run_id}::{rubric.name}::{annotator}"


def _save(
    item: Item, answers: list[BlindAnswer], annotator: str, pos_key: str, ids: list[str], rubric: RubricSet
) -> None:
    """Form callback: the scores touched on this prompt, saved at once; untouched ones stay unscored.

    Then the page moves to the next unannotated answer (keyboard speed: Enter, Enter, ...), and says
    which model was behind each label of the prompt just saved.
    """
    db = store()
    saved_any = False
    try:
        for answer in answers:
            keys = {
                a: _score_key(item.run_id, item.prompt_id, annotator, answer.label, a) for a in item.aspects
            }
            scores = {a: int(v) for a, key in keys.items() if (v := st.session_state.get(key)) is not None}
            if not scores:
                continue  # nothing picked for this answer: store nothing, not a default
            comment = st.session_state.get(_comment_key(item.run_id, item.prompt_id, annotator, answer.label))
            save_scores(
                db, item.run_id, item.prompt_id, answer.model, annotator, scores, (comment or "").strip()
            )
            saved_any = True
    except BenchError as exc:
        st.session_state["annotate_error"] = exc.message
        return
    if not saved_any:
        st.session_state["annotate_error"] = "Nothing was scored: pick a score for at least one aspect first."
        return
    st.session_state["annotate_saved"] = (item.prompt_id, {a.label: a.model for a in answers})
    pending = next_unannotated(db, item.run_id, annotator, rubric)
    if pending is not None and pending.prompt_id in ids:
        st.session_state[pos_key] = ids.index(pending.prompt_id)


def _go(pos_key: str, index: int) -> None:
    st.session_state[pos_key] = index


def _anchor_help(rubric: RubricSet | None, aspect_id: str) -> str:
    if rubric is None or aspect_id not in rubric.by_id():
        return "1 = worst, 5 = best"
    aspect = rubric.aspect(aspect_id)
    levels = "\n".join(f"- **{score}**: {text}" for score, text in aspect.levels())
    return f"{aspect.description}\n\n{levels}"


def _left_text(left_here: list[tuple[str, str]], answers: list[BlindAnswer], total_left: int) -> str:
    """What is still unscored: on this prompt (by blind label) and in the whole run."""
    label = {a.model: a.label for a in answers}
    if left_here:
        here = ", ".join(f"{label.get(m, m)} · {aspect}" for m, aspect in left_here)
        head = f"Left on this prompt: {len(left_here)} ({here})."
    else:
        head = "Nothing left on this prompt."
    return f"{head} Left in this run: {total_left} scores. Only the scores you pick are saved; models are revealed after saving."


def _answer_height(answers: list[BlindAnswer], columns: int) -> int:
    """One height for every answer box of a prompt (so the sliders line up), from the longest answer."""
    per_line = {1: 140, 2: 62, 3: 40}.get(columns, 40)
    lines = max(
        sum(max(1, -(-len(line) // per_line)) for line in (a.text or " ").splitlines() or [" "])
        for a in answers
    )
    return min(max(lines * 24 + 36, 80), 360)


def _rubric_table(rubric: RubricSet, aspects: tuple[str, ...]) -> pd.DataFrame:
    known = rubric.by_id()
    rows = [
        {"Aspect": known[a].name, **{str(score): known[a].anchor(score) for score in SCORES}}
        for a in aspects
        if a in known
    ]
    return pd.DataFrame(rows)


st.title("Annotate")
st.caption(
    "Score each answer from 1 to 5 on every aspect the prompt names; the sentence next to a score is what it "
    "means. Answers are **blind**: labelled A, B, … in an order shuffled for you, and the models are revealed "
    "only after you save. Your scores are yours: another annotator never overwrites them."
)

db = store()
top = st.columns([1, 2, 1])
annotator = (
    top[0]
    .text_input(
        "Your name or initials",
        key=NAME,
        persist_state="session",
        placeholder="e.g. ana",
        help="Stored with every score, so several people can annotate the same run and be compared.",
    )
    .strip()
)
with top[1]:
    run = pick_run(db, "annotate")
if run is None:
    st.stop()
with top[2]:
    rubric = pick_rubric(run, "annotate")
if rubric is None:
    st.stop()
run_id = run["id"]

try:
    items = annotation_items(db, run_id, rubric)
except BenchError as exc:
    show_error(exc, title="The answers of this run could not be read.")
    st.stop()
if not items:
    if not annotation_items(db, run_id, None):  # the cause is the run, not the rubric set
        st.warning(
            f"Run `{run_id}` ({run['status']}) has no successful answer to score. Pick another run.",
            icon=":material/warning:",
        )
    else:
        st.warning(
            f"No prompt of this run names an aspect that rubric set `{rubric.name}` defines, so there is "
            "nothing to score with it. Pick another rubric set.",
            icon=":material/warning:",
        )
    st.stop()
cut_answers = truncation.truncated_answers(db, run_id)
cut_limit = truncation.max_tokens(run)
truncation.warn(
    *truncation.count(((m, i.prompt_id) for i in items for m in i.answers), cut_answers), cut_limit, "scoring"
)
if not annotator:
    st.info("Enter your name or initials to start annotating.", icon=":material/badge:")
    st.stop()

mode = st.radio(
    "Mode",
    MODES,
    horizontal=True,
    key="annotate_mode",
    help="Scores: each answer 1–5 per aspect. Pairwise: two answers side by side, pick the better one "
    "(keys A, B, T for tie, S to skip); the votes rank the models (Bradley–Terry).",
)
if mode == MODES[1]:
    models = {m for i in items for m in i.answers}
    if len(models) < 2:
        st.info(
            f"Pairwise votes need two models; run `{run_id}` has one ({', '.join(sorted(models))}). "
            "Score its answers 1–5 above, or pick a run of two or more models.",
            icon=":material/compare_arrows:",
        )
        st.stop()
    render_votes(db, run_id, rubric, annotator)
    st.stop()

done, total = progress(db, run_id, annotator, rubric)
left = scores_left(db, run_id, annotator, rubric)
total_left = sum(len(v) for v in left.values())
st.progress(
    done / total if total else 0.0,
    text=f"{done} of {total} annotated by {annotator} · {total_left} scores left on {len(left)} prompts",
)

pos_key = _pos_key(run_id, rubric, annotator)
ids = [i.prompt_id for i in items]
if pos_key not in st.session_state:  # resume where this annotator left off
    pending = next_unannotated(db, run_id, annotator, rubric)
    st.session_state[pos_key] = ids.index(pending.prompt_id) if pending is not None else 0
index = min(max(int(st.session_state[pos_key]), 0), len(items) - 1)
item = items[index]
if done == total:
    st.success(
        f"All {total} answers of this run are scored by {annotator}. Thank you!", icon=":material/done_all:"
    )

answers = blind_answers(item, annotator)
saved = saved_scores(db, run_id, item.prompt_id, annotator)
revealed = all(a.model in saved for a in answers)

with st.container(border=True):
    st.caption(f"Prompt {index + 1} of {len(items)} · `{item.prompt_id}`")
    st.markdown(item.prompt)
    if item.reference:
        with st.expander("Reference answer"):
            st.markdown(item.reference)
    with st.expander("What each score means", icon=":material/menu_book:"):
        st.table(_rubric_table(rubric, item.aspects).set_index("Aspect"))

error = st.session_state.pop("annotate_error", None)
if error:
    show_error(error, title="The scores were not saved.")
just_saved = st.session_state.pop("annotate_saved", None)
if just_saved:
    saved_id, behind = just_saved
    where = "" if saved_id == item.prompt_id else f" `{saved_id}`; on to the next unannotated answer"
    st.success(
        f"Saved{where}. Behind the labels: " + ", ".join(f"{label} = `{m}`" for label, m in behind.items()),
        icon=":material/check_circle:",
    )

annotate_keys.install()
scores_box = st.container(key=annotate_keys.SCOPE)
with scores_box, st.form(f"annotate_form::{run_id}::{item.prompt_id}::{annotator}", enter_to_submit=True):
    for start in range(0, len(answers), PER_ROW):
        row = answers[start : start + PER_ROW]
        n_columns = min(len(answers), PER_ROW)
        columns = st.columns(n_columns, gap="medium")
        for col, answer in zip(columns[: len(row)], row, strict=True):
            with col:
                mine = saved.get(answer.model)
                head = f"#### {answer.label}"
                if revealed:
                    head += f" · `{answer.model}`"
                st.markdown(head)
                if (answer.model, item.prompt_id) in cut_answers:
                    st.markdown(truncation.badge(cut_limit))
                with st.container(height=_answer_height(answers, n_columns), border=True):
                    st.markdown(answer.text or "*(empty answer)*")
                for aspect_id in item.aspects:
                    name = rubric.aspect(aspect_id).name if aspect_id in rubric.by_id() else aspect_id
                    st.segmented_control(
                        name,
                        options=list(SCORES),
                        default=mine.scores.get(aspect_id) if mine else None,  # no value until touched
                        format_func=str,
                        help=_anchor_help(rubric, aspect_id),
                        key=_score_key(run_id, item.prompt_id, annotator, answer.label, aspect_id),
                    )
                st.text_input(
                    "Comment (optional)",
                    value=mine.comment if mine else "",
                    key=_comment_key(run_id, item.prompt_id, annotator, answer.label),
                    placeholder="Enter saves",
                )
    st.form_submit_button(
        "Save scores" if not revealed else "Save changes",
        type="primary",
        icon=":material/save:",
        on_click=_save,
        args=(item, answers, annotator, pos_key, ids, rubric),
        shortcut="Mod+Enter",
        help="Keys: 1–5 pick the score of the focused aspect and move to the next one; Enter saves every "
        "score of this prompt and moves to the next unannotated answer.",
    )
    st.caption(_left_text(left.get(item.prompt_id, []), answers, total_left))

pending = next_unannotated(db, run_id, annotator, rubric)
nav = st.columns(3)
nav[0].button(
    "Previous",
    icon=":material/arrow_back:",
    disabled=index == 0,
    on_click=_go,
    args=(pos_key, index - 1),
    key="annotate_prev",
    width="stretch",
)
nav[1].button(
    "Next",
    icon=":material/arrow_forward:",
    disabled=index >= len(items) - 1,
    on_click=_go,
    args=(pos_key, index + 1),
    key="annotate_next",
    width="stretch",
)
nav[2].button(
    "Next unannotated",
    icon=":material/skip_next:",
    type="primary" if revealed and pending is not None else "secondary",
    disabled=pending is None or pending.prompt_id == item.prompt_id,
    on_click=_go,
    args=(pos_key, ids.index(pending.prompt_id) if pending is not None else index),
    key="annotate_next_unannotated",
    width="stretch",
)

st.divider()
with st.expander("Agreement between annotators", icon=":material/group:", expanded=False):
    render_people_agreement(db, [run_id])
