"""Manual annotation over the store: blind, resumable, safe for several annotators at once.

Blindness: a page shows an item's answers as "Answer A", "Answer B", ... in an order shuffled per
(run, prompt, annotator) (:mod:`rubrics.blind`) and reveals the models only after saving.
Scores are upserts keyed by (run, model, prompt, aspect, annotator) and each save is one short
transaction, so two people annotating at once never lose a score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from bench.errors import BenchError
from bench.store.store import Store
from rubrics import storage
from rubrics.answers import answers_by_prompt
from rubrics.blind import blind_label, blind_order
from rubrics.schema import SCORES, RubricSet, applicable_aspects
from rubrics.storage import ANNOTATION_COLUMNS

__all__ = [
    "ANNOTATION_COLUMNS",
    "OVERALL",
    "BlindAnswer",
    "Item",
    "Saved",
    "annotation_items",
    "annotations_frame",
    "blind_answers",
    "blind_label",
    "blind_order",
    "next_unannotated",
    "progress",
    "save_scores",
    "saved_scores",
    "scores_left",
]

OVERALL = "overall"
"""The aspect people score when a prompt names none and no rubric set is chosen."""


@dataclass(frozen=True)
class Item:
    """One prompt of a run with every model's graded answer: what an annotator sees at once."""

    run_id: str
    prompt_id: str
    prompt: str
    aspects: tuple[str, ...]
    answers: Mapping[str, str]  # model -> answer text
    reference: str | None = None


@dataclass(frozen=True)
class BlindAnswer:
    label: str  # "Answer A"
    model: str  # hide until the scores are saved
    text: str


@dataclass(frozen=True)
class Saved:
    """What one annotator already saved for one answer (to prefill a form on resume)."""

    scores: dict[str, int]
    comment: str


def annotation_items(store: Store, run_id: str, rubric_set: RubricSet | None = None) -> list[Item]:
    """One item per answered prompt, in the run's prompt order.

    Aspects follow the judge's rule (:func:`rubrics.schema.applicable_aspects`): the prompt's own,
    or every aspect of ``rubric_set`` when it names none. With a rubric set, a prompt none of whose
    aspects the set defines is left out (no anchors to score by); without one, a prompt that names
    no aspects is scored on ``overall``.
    """
    items = []
    for prompt, answers in answers_by_prompt(store, run_id):
        aspects = applicable_aspects(prompt, rubric_set) or ([] if rubric_set else [OVERALL])
        if not aspects:
            continue
        items.append(
            Item(
                run_id=run_id,
                prompt_id=prompt.id,
                prompt=prompt.prompt,
                aspects=tuple(aspects),
                answers={model: a.text for model, a in answers.items()},
                reference=prompt.reference,
            )
        )
    return items


# ---- blinding -----------------------------------------------------------------------------------
def blind_answers(item: Item, annotator: str) -> list[BlindAnswer]:
    order = blind_order(item.run_id, item.prompt_id, annotator, item.answers)
    return [BlindAnswer(blind_label(i), m, item.answers[m]) for i, m in enumerate(order)]


# ---- saving -------------------------------------------------------------------------------------
def _check_scores(annotator: str, scores: Mapping[str, int]) -> None:
    if not annotator.strip():
        raise BenchError("annotator", "is empty", "enter your name or initials before scoring")
    if not scores:
        raise BenchError("scores", "none given", "score at least one aspect")
    for aspect, score in scores.items():
        if not str(aspect).strip():
            raise BenchError("scores", "an aspect name is empty", "use the aspect ids of the rubric")
        if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES:
            raise BenchError(
                f"scores.{aspect}", f"{score!r} is not a score", "use a whole number from 1 to 5"
            )


def save_scores(
    store: Store,
    run_id: str,
    prompt_id: str,
    model: str,
    annotator: str,
    scores: Mapping[str, int],
    comment: str = "",
) -> None:
    """Save (or overwrite) one annotator's scores for one answer, all aspects in one transaction.

    Only the aspects in ``scores`` are written: an aspect the annotator did not touch is absent
    here and stays unscored (never a default 3).
    """
    _check_scores(annotator, scores)
    storage.upsert_annotations(store, (run_id, prompt_id, model, annotator.strip()), scores, comment)


def saved_scores(store: Store, run_id: str, prompt_id: str, annotator: str) -> dict[str, Saved]:
    """``{model: Saved}`` of one annotator on one prompt."""
    result: dict[str, Saved] = {}
    for row in storage.annotations_of(store, run_id, prompt_id, annotator.strip()):
        saved = result.setdefault(row["model"], Saved({}, row["comment"]))
        saved.scores[row["aspect"]] = row["score"]
    return result


# ---- progress -----------------------------------------------------------------------------------
def _scored(store: Store, run_id: str, annotator: str) -> set[tuple[str, str, str]]:
    """(model, prompt_id, aspect) this annotator has scored in the run."""
    return storage.annotated_keys(store, run_id, annotator.strip())


def _answer_done(item: Item, model: str, scored: set[tuple[str, str, str]]) -> bool:
    return all((model, item.prompt_id, aspect) in scored for aspect in item.aspects)


def progress(
    store: Store, run_id: str, annotator: str, rubric_set: RubricSet | None = None
) -> tuple[int, int]:
    """``(done, total)`` answers (model x prompt); an answer is done when all its aspects are scored."""
    scored = _scored(store, run_id, annotator)
    items = annotation_items(store, run_id, rubric_set)
    total = sum(len(item.answers) for item in items)
    done = sum(_answer_done(item, m, scored) for item in items for m in item.answers)
    return done, total


def scores_left(
    store: Store, run_id: str, annotator: str, rubric_set: RubricSet | None = None
) -> dict[str, list[tuple[str, str]]]:
    """``{prompt_id: [(model, aspect), ...]}`` this annotator has not scored yet, in run order.

    A prompt with nothing left is absent; what the Annotate page shows as "left".
    """
    scored = _scored(store, run_id, annotator)
    left: dict[str, list[tuple[str, str]]] = {}
    for item in annotation_items(store, run_id, rubric_set):
        missing = [
            (model, aspect)
            for model in sorted(item.answers)
            for aspect in item.aspects
            if (model, item.prompt_id, aspect) not in scored
        ]
        if missing:
            left[item.prompt_id] = missing
    return left


def next_unannotated(
    store: Store, run_id: str, annotator: str, rubric_set: RubricSet | None = None
) -> Item | None:
    """The first item (run's prompt order) with an answer this annotator has not fully scored."""
    scored = _scored(store, run_id, annotator)
    for item in annotation_items(store, run_id, rubric_set):
        if not all(_answer_done(item, m, scored) for m in item.answers):
            return item
    return None


# ---- reading back -------------------------------------------------------------------------------
def annotations_frame(store: Store, run_ids: Iterable[str]) -> pd.DataFrame:
    """All people's scores of the runs, one row per (run, model, prompt, aspect, annotator)."""
    frame = pd.DataFrame(storage.annotation_records(store, run_ids), columns=ANNOTATION_COLUMNS)
    frame["score"] = frame["score"].astype("int64")
    return frame
