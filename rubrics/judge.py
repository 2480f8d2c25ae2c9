"""A local model as judge: single-answer 1..5 scores per aspect (pairwise in :mod:`judge_pairwise`).

Rules that keep its numbers honest:

- The prompt gives the aspect's description and all five anchor sentences, the reference answer
  when the prompt set has one, and the answer fenced as data (:mod:`rubrics.judge_prompts`); it
  asks for a short rationale first, then ``{"rationale": ..., "score": n}`` (a score written after
  its reasons is better grounded, and JSON is checked by a schema).
- Requests are deterministic; retries are bounded and re-ask with a format reminder; a reply
  still unreadable is stored with a NULL score and its raw text: missing, never a made-up score,
  and it lowers the judge's parse rate (:mod:`rubrics.judge_ask`). Optionally ``k`` judgments per
  item at a small temperature, the median kept and the spread stored.
- Resume: an answer already judged by this judge (score or NULL) is skipped, so an interrupted
  judging run continues where it stopped.
- Which aspects: the prompt's own; a prompt that names none gets every aspect of the chosen rubric
  set; aspects the rubric set does not define are skipped (no anchors, no scale).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd

from bench.backends.base import Backend
from bench.inputs.config import PromptItem
from bench.store.store import Store
from rubrics import storage
from rubrics.answers import answers_by_prompt
from rubrics.judge_ask import (
    MAX_TOKENS,
    SEED,
    TEMPERATURE,
    Cancel,
    JudgeProgress,
    JudgeSummary,
    ask_single,
    ask_single_k,
    ask_verdict,
    cancelled,
    check_attempts,
    loader,
)
from rubrics.judge_pairwise import (
    PAIRWISE_COLUMNS,
    combine_verdicts,
    judge_both_orders,
    judge_pairwise,
    pairwise_frame,
    position_consistency,
    win_rates,
)
from rubrics.judge_prompts import OVERALL, OVERALL_DESCRIPTION, build_pairwise_prompt, build_single_prompt
from rubrics.schema import Aspect, RubricSet, applicable_aspects

__all__ = [
    "JUDGMENT_COLUMNS",
    "MAX_TOKENS",
    "OVERALL",
    "OVERALL_DESCRIPTION",
    "PAIRWISE_COLUMNS",
    "SEED",
    "TEMPERATURE",
    "Cancel",
    "JudgeProgress",
    "JudgeSummary",
    "ask_single",
    "ask_verdict",
    "build_pairwise_prompt",
    "build_single_prompt",
    "combine_verdicts",
    "judge_both_orders",
    "judge_pairwise",
    "judge_run",
    "judge_tasks",
    "judgments_frame",
    "pairwise_frame",
    "parse_rate",
    "parse_rates",
    "position_consistency",
    "scored_by_judge",
    "win_rates",
]


def judge_tasks(
    store: Store, run_id: str, rubric_set: RubricSet
) -> list[tuple[PromptItem, str, str, Aspect]]:
    """(prompt, model, answer, aspect) for every answer and applicable aspect, in a stable order."""
    aspects = rubric_set.by_id()
    tasks = []
    for item, answers in answers_by_prompt(store, run_id):
        for model in sorted(answers):
            for aspect_id in applicable_aspects(item, rubric_set):
                tasks.append((item, model, answers[model].text, aspects[aspect_id]))
    return tasks


def judge_run(
    store: Store,
    run_id: str,
    backend: Backend,
    judge_model: str,
    rubric_set: RubricSet,
    max_attempts: int = 2,
    progress: Callable[[JudgeProgress], None] | None = None,
    cancel: Cancel = None,
    load_model: bool = True,
    k: int = 1,
) -> JudgeSummary:
    """Score every graded answer of a run on its aspects with ``judge_model``; stores as it goes.

    ``cancel`` is a ``threading.Event`` or a callable returning True to stop; what was judged
    before stays stored. ``load_model`` loads the judge once before the first request. An error
    raised by the backend stops the run and propagates (a broken judge should not be asked 200
    more times); every judgment stored before it stays, and the next call resumes after it.
    ``k`` > 1 asks k times per item at a small temperature and keeps the median.
    """
    check_attempts(max_attempts)
    tasks = judge_tasks(store, run_id, rubric_set)
    done_keys = storage.judged_keys(store, run_id, judge_model)
    ensure_loaded = loader(backend, judge_model, load_model)
    judged = skipped = missing = 0
    for index, (item, model, answer, aspect) in enumerate(tasks, start=1):
        if cancelled(cancel):
            return JudgeSummary(len(tasks), judged, skipped, missing, cancelled=True)
        if (model, item.id, aspect.id) in done_keys:
            skipped += 1
            outcome = "skipped (already judged)"
        else:
            ensure_loaded()
            result = ask_single_k(
                backend, judge_model, build_single_prompt(item, answer, aspect), k, max_attempts
            )
            parsed = result.parsed
            key = (run_id, model, item.id, aspect.id, judge_model)
            storage.upsert_judgment(
                store,
                key,
                parsed.score,
                parsed.rationale,
                result.raw,
                result.attempts,
                result.samples,
                result.spread,
            )
            judged += 1
            missing += not parsed.ok
            outcome = f"scored {parsed.score}" if parsed.ok else f"missing: {parsed.reason}"
            if parsed.ok and result.spread is not None:
                outcome += f" (median of {result.samples}, spread {result.spread})"
        if progress is not None:
            progress(JudgeProgress(index, len(tasks), model, item.id, aspect.id, outcome))
    return JudgeSummary(len(tasks), judged, skipped, missing)


# ---- single-answer results ----------------------------------------------------------------------
JUDGMENT_COLUMNS = [
    "run_id",
    "model",
    "prompt_id",
    "aspect",
    "judge",
    "scored_by",
    "score",
    "rationale",
    "raw",
    "attempts",
    "samples",
    "spread",
    "created_at",
]


def scored_by_judge(judge: str) -> str:
    """The ``scored_by`` label of a judge's scores (people's are ``"people"``)."""
    return f"judge:{judge}"


def judgments_frame(store: Store, run_ids: Iterable[str]) -> pd.DataFrame:
    """All judge scores of the runs; ``score`` is NaN where the reply could not be parsed."""
    rows = storage.judgment_records(store, run_ids)
    for row in rows:
        row["scored_by"] = scored_by_judge(row["judge"])
    frame = pd.DataFrame(rows, columns=JUDGMENT_COLUMNS)
    frame["score"] = pd.to_numeric(frame["score"]).astype("float64")
    frame["spread"] = pd.to_numeric(frame["spread"]).astype("float64")
    return frame


def parse_rate(judgments: pd.DataFrame, judge: str | None = None) -> tuple[int, int]:
    """``(parsed, total)`` judgments: how often the judge gave a readable score."""
    if judge is not None:
        judgments = judgments[judgments["judge"] == judge]
    return int(judgments["score"].notna().sum()), len(judgments)


def parse_rates(judgments: pd.DataFrame) -> pd.DataFrame:
    """Per judge: parsed, total and rate (parsed / total), to show beside the judge's scores."""
    if judgments.empty:
        return pd.DataFrame(columns=["judge", "parsed", "total", "rate"])
    table = judgments.groupby("judge", as_index=False).agg(parsed=("score", "count"), total=("score", "size"))
    table["rate"] = table["parsed"] / table["total"]
    return table
