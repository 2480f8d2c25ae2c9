"""Pairwise judging: a judge model compares two answers to one prompt, in both orders.

Each pair is judged with the answers shown A-B, then B-A; the swapped verdict is mapped back, and
a flip (or any disagreement between the two orders) counts as a tie (MT-Bench's rule); the share
of pairs where both orders agree is the judge's *position consistency*. Verdicts are stored per
(run, prompt, pair, judge, aspect) in ``pairwise_judgments`` (:mod:`rubrics.storage`), resumable
like single-answer judging.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from bench.backends.base import Backend
from bench.errors import BenchError
from bench.inputs.config import PromptItem
from bench.store.store import Store, utc_now
from rubrics import storage
from rubrics.agreement import Stat
from rubrics.answers import answers_by_prompt
from rubrics.judge_ask import (
    Cancel,
    JudgeProgress,
    JudgeSummary,
    ask_verdict,
    cancelled,
    check_attempts,
    loader,
)
from rubrics.judge_parse import Verdict
from rubrics.judge_prompts import OVERALL, OVERALL_DESCRIPTION, build_pairwise_prompt
from rubrics.schema import RubricSet

_SWAP: dict[Verdict, Verdict] = {"A": "B", "B": "A", "tie": "tie"}
PAIRWISE_COLUMNS = [
    "run_id",
    "prompt_id",
    "model_a",
    "model_b",
    "judge",
    "aspect",
    "verdict_ab",
    "verdict_ba",
    "final",
    "consistent",
    "raw_ab",
    "raw_ba",
    "created_at",
]


def combine_verdicts(verdict_ab: Verdict | None, verdict_ba: Verdict | None) -> Verdict | None:
    """Both orders agree: that verdict; either missing: missing; they disagree: tie."""
    if verdict_ab is None or verdict_ba is None:
        return None
    return verdict_ab if verdict_ab == verdict_ba else "tie"


def _criterion(aspect_or_overall: str, rubric_set: RubricSet | None) -> tuple[str, str]:
    if aspect_or_overall == OVERALL:
        return "Overall", OVERALL_DESCRIPTION
    if rubric_set is None:
        raise BenchError(
            f"aspect {aspect_or_overall!r}", "needs a rubric set", "pass rubric_set, or 'overall'"
        )
    aspect = rubric_set.aspect(aspect_or_overall)
    return aspect.name, aspect.description


def judge_both_orders(
    backend: Backend,
    judge_model: str,
    item: PromptItem,
    answers: tuple[str, str],
    criterion: tuple[str, str],
    max_attempts: int = 2,
) -> dict[str, Any]:
    """Ask with the answers shown A-B, then B-A; map the second verdict back and combine them."""
    answer_a, answer_b = answers
    prompt_ab = build_pairwise_prompt(item, answer_a, answer_b, *criterion)
    prompt_ba = build_pairwise_prompt(item, answer_b, answer_a, *criterion)
    verdict_ab, raw_ab, _ = ask_verdict(backend, judge_model, prompt_ab, max_attempts)
    shown_ba, raw_ba, _ = ask_verdict(backend, judge_model, prompt_ba, max_attempts)
    verdict_ba = _SWAP[shown_ba] if shown_ba is not None else None
    return {
        "verdict_ab": verdict_ab,
        "verdict_ba": verdict_ba,
        "final": combine_verdicts(verdict_ab, verdict_ba),
        "raw_ab": raw_ab,
        "raw_ba": raw_ba,
    }


def judge_pairwise(
    store: Store,
    run_id: str,
    backend: Backend,
    judge_model: str,
    model_a: str,
    model_b: str,
    aspect_or_overall: str = OVERALL,
    rubric_set: RubricSet | None = None,
    max_attempts: int = 2,
    progress: Callable[[JudgeProgress], None] | None = None,
    cancel: Cancel = None,
    load_model: bool = True,
) -> JudgeSummary:
    """Compare two models' answers prompt by prompt, in both orders; stores as it goes.

    The pair is stored with ``model_a`` < ``model_b`` (alphabetical): the call order carries no
    information since both orders are judged, and it keeps one row per pair and prompt.
    ``cancel``, ``load_model``, resume and backend errors behave as in ``judge_run``.
    """
    if model_a == model_b:
        raise BenchError("pairwise", f"both models are {model_a!r}", "pick two different models")
    check_attempts(max_attempts)
    model_a, model_b = sorted((model_a, model_b))
    criterion = _criterion(aspect_or_overall, rubric_set)
    done = storage.pairwise_done(store, run_id, (model_a, model_b), judge_model, aspect_or_overall)
    items = [
        (item, (answers[model_a].text, answers[model_b].text))
        for item, answers in answers_by_prompt(store, run_id)
        if model_a in answers and model_b in answers
    ]
    ensure_loaded = loader(backend, judge_model, load_model)
    judged = skipped = missing = 0
    for index, (item, pair_answers) in enumerate(items, start=1):
        if cancelled(cancel):
            return JudgeSummary(len(items), judged, skipped, missing, cancelled=True)
        if item.id in done:
            skipped += 1
            outcome = "skipped (already judged)"
        else:
            ensure_loaded()
            verdicts = judge_both_orders(backend, judge_model, item, pair_answers, criterion, max_attempts)
            row = {"run_id": run_id, "prompt_id": item.id, "model_a": model_a, "model_b": model_b}
            row |= {"judge": judge_model, "aspect": aspect_or_overall}
            storage.upsert_pairwise(store, {**row, **verdicts, "created_at": utc_now()})
            judged += 1
            missing += verdicts["final"] is None
            outcome = f"final {verdicts['final']}" if verdicts["final"] else "missing"
        if progress is not None:
            pair = f"{model_a} vs {model_b}"
            progress(JudgeProgress(index, len(items), pair, item.id, aspect_or_overall, outcome))
    return JudgeSummary(len(items), judged, skipped, missing)


def pairwise_frame(store: Store, run_ids: Iterable[str]) -> pd.DataFrame:
    """Pairwise verdicts; ``judge`` is the judge model and ``aspect`` the criterion.

    ``consistent`` is True when both orders gave the same verdict, False when they differ, and
    None when either is missing.
    """
    rows = storage.pairwise_records(store, run_ids)
    for row in rows:
        both = row["verdict_ab"] is not None and row["verdict_ba"] is not None
        row["consistent"] = (row["verdict_ab"] == row["verdict_ba"]) if both else None
    return pd.DataFrame(rows, columns=PAIRWISE_COLUMNS)


def position_consistency(store: Store, run_id: str, judge: str, aspect_or_overall: str | None = None) -> Stat:
    """Share of pairs where the judge gave the same verdict in both orders (MT-Bench's measure).

    ``n`` counts the pairs with both verdicts readable; ``judge`` is the judge model name.
    """
    frame = pairwise_frame(store, [run_id])
    frame = frame[frame["judge"] == judge]
    if aspect_or_overall is not None:
        frame = frame[frame["aspect"] == aspect_or_overall]
    both = frame[frame["consistent"].notna()]
    if both.empty:
        return Stat(None, 0)
    return Stat(float(both["consistent"].astype(bool).mean()), len(both))


def win_rates(pairwise: pd.DataFrame) -> pd.DataFrame:
    """Per (judge, aspect, model_a, model_b): wins of each side, ties and missing verdicts."""
    keys = ["judge", "aspect", "model_a", "model_b"]
    if pairwise.empty:
        return pd.DataFrame(columns=[*keys, "a_wins", "b_wins", "ties", "missing", "n"])
    final = pairwise["final"]
    counted = pairwise.assign(
        a_wins=(final == "A").astype(int),
        b_wins=(final == "B").astype(int),
        ties=(final == "tie").astype(int),
        missing=final.isna().astype(int),
        n=1,
    )
    return counted.groupby(keys, as_index=False)[["a_wins", "b_wins", "ties", "missing", "n"]].sum()
