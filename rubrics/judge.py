"""A local model as judge: single-answer 1..5 scores per aspect, and pairwise verdicts.

Rules that keep its numbers honest:

- The prompt gives the aspect's description and all five anchor sentences, and asks for a short
  rationale first, then ``{"rationale": ..., "score": n}`` (a score written after its reasons is
  better grounded, and JSON is checked by a schema, :class:`rubrics.judge_parse.JudgeReply`).
- Requests are deterministic (temperature 0, seed 42). So a retry of an unreadable reply re-asks
  with a reminder of the format appended: the identical request would return the identical text.
- Retries are bounded (``max_attempts``). A reply still unreadable is stored with a NULL score and
  its raw text: missing, never a made-up score, and it lowers the judge's parse rate.
- Resume: an answer already judged by this judge (score or NULL) is skipped, so an interrupted
  judging run continues where it stopped.
- Which aspects: the prompt's own; a prompt that names none gets every aspect of the chosen rubric
  set; aspects the rubric set does not define are skipped (no anchors, no scale).
- Pairwise: each pair is judged in both orders; the swapped verdict is mapped back, and a flip
  (or any disagreement between the two orders) counts as a tie (MT-Bench's rule).

The ``pairwise_judgments`` table has no aspect column, so its ``judge`` column holds
``"<judge model>|<aspect or overall>"``; :func:`pairwise_frame` splits it again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd

from bench.backends.base import Backend, ChatRequest, complete_text
from bench.config import PromptItem
from bench.errors import BenchError
from bench.store import Store, utc_now
from rubrics.agreement import Stat
from rubrics.answers import answers_by_prompt
from rubrics.judge_parse import ParsedJudgment, Verdict, parse_judgment, parse_verdict
from rubrics.schema import Aspect, RubricSet, applicable_aspects

MAX_TOKENS = 256
TEMPERATURE = 0.0
SEED = 42
OVERALL = "overall"
OVERALL_DESCRIPTION = "Overall quality: correct, complete, concise, and following the prompt's instructions."

Cancel = threading.Event | Callable[[], bool] | None
T = TypeVar("T")

_SINGLE_REMINDER = (
    "\n\nReminder: end your reply with one JSON object of the form"
    ' {"rationale": "<one sentence>", "score": <whole number>}; the score is one of the five'
    " levels listed above."
)
_PAIR_REMINDER = "\n\nReminder: end your reply with exactly one verdict: [[A]], [[B]] or [[tie]]."


@dataclass(frozen=True)
class JudgeProgress:
    """Sent to ``progress`` after each item (judged or skipped)."""

    done: int
    total: int
    model: str
    prompt_id: str
    aspect: str
    outcome: str  # "scored 4", "missing: no score found", "skipped (already judged)", ...


@dataclass(frozen=True)
class JudgeSummary:
    """What a judging call did: items in scope, judged now, skipped (already judged), missing."""

    total: int
    judged: int
    skipped: int
    missing: int
    cancelled: bool = False


# ---- prompts ------------------------------------------------------------------------------------
def _section(title: str, body: str) -> str:
    return f"### {title}\n{body.strip()}\n"


def build_single_prompt(prompt_item: PromptItem, answer: str, aspect: Aspect) -> str:
    """The judge prompt for one answer on one aspect, with the aspect's five anchors."""
    anchors = "\n".join(f"Score {score}: {text}" for score, text in aspect.levels())
    parts = [
        "You are grading one answer to a prompt on a single aspect.\n",
        _section("Prompt", prompt_item.prompt),
    ]
    if prompt_item.reference:
        parts.append(_section("Reference answer", prompt_item.reference))
    parts += [
        _section("Answer to grade", answer or "(empty answer)"),
        _section(f"Aspect: {aspect.name}", aspect.description),
        _section("What each score means", anchors),
        "Judge only this aspect. First write a short rationale (one or two sentences). Then, on"
        " the last line, write one JSON object of the form"
        ' {"rationale": "<your rationale>", "score": <whole number>}'
        " where the score is the level above that fits the answer best.",
    ]
    return "\n".join(parts)


def build_pairwise_prompt(
    prompt_item: PromptItem, answer_a: str, answer_b: str, criterion: str, description: str
) -> str:
    """The judge prompt comparing two answers on one criterion (an aspect, or overall)."""
    parts = [
        "You are comparing two answers to the same prompt.\n",
        _section("Prompt", prompt_item.prompt),
    ]
    if prompt_item.reference:
        parts.append(_section("Reference answer", prompt_item.reference))
    parts += [
        _section("Answer A", answer_a or "(empty answer)"),
        _section("Answer B", answer_b or "(empty answer)"),
        _section(f"Criterion: {criterion}", description),
        "Do not let the order or the length of the answers decide. First write a short rationale"
        " (one or two sentences). Then, on the last line, write your verdict: [[A]] if Answer A"
        " is better, [[B]] if Answer B is better, or [[tie]] if they are equally good.",
    ]
    return "\n".join(parts)


# ---- asking -------------------------------------------------------------------------------------
def _cancelled(cancel: Cancel) -> bool:
    if cancel is None:
        return False
    if isinstance(cancel, threading.Event):
        return cancel.is_set()
    return bool(cancel())


def _loader(backend: Backend, judge_model: str, enabled: bool) -> Callable[[], None]:
    """Load the judge on first use only: a fully resumed run should not pay for a model load."""
    state = {"loaded": not enabled}

    def ensure_loaded() -> None:
        if not state["loaded"]:
            backend.load(judge_model)
            state["loaded"] = True

    return ensure_loaded


def _request(judge_model: str, prompt: str) -> ChatRequest:
    return ChatRequest(
        model=judge_model, prompt=prompt, max_tokens=MAX_TOKENS, temperature=TEMPERATURE, seed=SEED
    )


def _check_attempts(max_attempts: int) -> None:
    if max_attempts < 1:
        raise BenchError("max_attempts", f"is {max_attempts}", "use 1 or more")


def _ask(
    backend: Backend,
    judge_model: str,
    prompt: str,
    parse: Callable[[str, str], T],
    ok: Callable[[T], bool],
    reminder: str,
    max_attempts: int,
) -> tuple[T, str, int]:
    """Ask until the reply parses or ``max_attempts`` is spent: (parsed, raw reply, attempts)."""
    _check_attempts(max_attempts)
    for attempt in range(1, max_attempts + 1):
        text = prompt if attempt == 1 else prompt + reminder
        raw = complete_text(backend, _request(judge_model, text))
        parsed = parse(raw, text)
        if ok(parsed):
            break
    return parsed, raw, attempt


def ask_single(
    backend: Backend, judge_model: str, prompt: str, max_attempts: int = 2
) -> tuple[ParsedJudgment, str, int]:
    """One single-answer judgment with bounded retries: (parsed, raw reply, attempts)."""
    return _ask(
        backend,
        judge_model,
        prompt,
        lambda raw, text: parse_judgment(raw, prompt=text),
        lambda parsed: parsed.ok,
        _SINGLE_REMINDER,
        max_attempts,
    )


def ask_verdict(
    backend: Backend, judge_model: str, prompt: str, max_attempts: int = 2
) -> tuple[Verdict | None, str, int]:
    """One pairwise verdict (answers as shown) with bounded retries."""
    return _ask(
        backend,
        judge_model,
        prompt,
        lambda raw, text: parse_verdict(raw, prompt=text),
        lambda verdict: verdict is not None,
        _PAIR_REMINDER,
        max_attempts,
    )


# ---- single-answer run --------------------------------------------------------------------------
def _judged_keys(store: Store, run_id: str, judge: str) -> set[tuple[str, str, str]]:
    with store.connect() as conn:
        rows = conn.execute(
            "SELECT model, prompt_id, aspect FROM judgments WHERE run_id = ? AND judge = ?",
            (run_id, judge),
        ).fetchall()
    return {(r[0], r[1], r[2]) for r in rows}


def _save_judgment(
    store: Store,
    key: tuple[str, str, str, str, str],
    parsed: ParsedJudgment,
    raw: str,
    attempts: int,
) -> None:
    with store.connect() as conn:
        conn.execute(
            "INSERT INTO judgments (run_id, model, prompt_id, aspect, judge, score, rationale, raw,"
            " attempts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (run_id, model, prompt_id, aspect, judge) DO UPDATE SET"
            " score = excluded.score, rationale = excluded.rationale, raw = excluded.raw,"
            " attempts = excluded.attempts, created_at = excluded.created_at",
            (*key, parsed.score, parsed.rationale, raw, attempts, utc_now()),
        )


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
) -> JudgeSummary:
    """Score every graded answer of a run on its aspects with ``judge_model``; stores as it goes.

    ``cancel`` is a ``threading.Event`` or a callable returning True to stop; what was judged
    before stays stored. ``load_model`` loads the judge once before the first request. An error
    raised by the backend stops the run and propagates (a broken judge should not be asked 200
    more times); every judgment stored before it stays, and the next call resumes after it.
    """
    _check_attempts(max_attempts)
    tasks = judge_tasks(store, run_id, rubric_set)
    done_keys = _judged_keys(store, run_id, judge_model)
    ensure_loaded = _loader(backend, judge_model, load_model)
    judged = skipped = missing = 0
    for index, (item, model, answer, aspect) in enumerate(tasks, start=1):
        if _cancelled(cancel):
            return JudgeSummary(len(tasks), judged, skipped, missing, cancelled=True)
        if (model, item.id, aspect.id) in done_keys:
            skipped += 1
            outcome = "skipped (already judged)"
        else:
            ensure_loaded()
            prompt = build_single_prompt(item, answer, aspect)
            parsed, raw, attempts = ask_single(backend, judge_model, prompt, max_attempts)
            key = (run_id, model, item.id, aspect.id, judge_model)
            _save_judgment(store, key, parsed, raw, attempts)
            judged += 1
            missing += not parsed.ok
            outcome = f"scored {parsed.score}" if parsed.ok else f"missing: {parsed.reason}"
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
    "created_at",
]


def scored_by_judge(judge: str) -> str:
    """The ``scored_by`` label of a judge's scores (people's are ``"people"``)."""
    return f"judge:{judge}"


def _in_runs(table: str, run_ids: list[str], order: str) -> tuple[str, list[str]]:
    marks = ", ".join("?" * len(run_ids))
    return f"SELECT * FROM {table} WHERE run_id IN ({marks}) ORDER BY {order}", run_ids


def judgments_frame(store: Store, run_ids: Iterable[str]) -> pd.DataFrame:
    """All judge scores of the runs; ``score`` is NaN where the reply could not be parsed."""
    ids = list(run_ids)
    rows: list[dict[str, Any]] = []
    if ids:
        sql, params = _in_runs("judgments", ids, "run_id, prompt_id, model, aspect, judge")
        with store.connect() as conn:
            rows = [dict(r) for r in conn.execute(sql, params).fetchall()]
    for row in rows:
        row["scored_by"] = scored_by_judge(row["judge"])
    frame = pd.DataFrame(rows, columns=JUDGMENT_COLUMNS)
    frame["score"] = pd.to_numeric(frame["score"]).astype("float64")
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


# ---- pairwise -----------------------------------------------------------------------------------
_SWAP: dict[Verdict, Verdict] = {"A": "B", "B": "A", "tie": "tie"}


def pairwise_judge_key(judge_model: str, aspect_or_overall: str) -> str:
    """What the ``judge`` column of ``pairwise_judgments`` holds (the table has no aspect column)."""
    return f"{judge_model}|{aspect_or_overall}"


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


def _pairwise_done(store: Store, run_id: str, pair: tuple[str, str], key: str) -> set[str]:
    with store.connect() as conn:
        rows = conn.execute(
            "SELECT prompt_id FROM pairwise_judgments"
            " WHERE run_id = ? AND model_a = ? AND model_b = ? AND judge = ?",
            (run_id, *pair, key),
        ).fetchall()
    return {r[0] for r in rows}


def _save_pairwise(store: Store, row: dict[str, Any]) -> None:
    cols = list(row)
    updates = ", ".join(f"{c} = excluded.{c}" for c in cols[5:])
    with store.connect() as conn:
        conn.execute(
            f"INSERT INTO pairwise_judgments ({', '.join(cols)})"
            f" VALUES ({', '.join('?' * len(cols))})"
            f" ON CONFLICT (run_id, prompt_id, model_a, model_b, judge) DO UPDATE SET {updates}",
            [row[c] for c in cols],
        )


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
    ``cancel``, ``load_model``, resume and backend errors behave as in :func:`judge_run`.
    """
    if model_a == model_b:
        raise BenchError("pairwise", f"both models are {model_a!r}", "pick two different models")
    _check_attempts(max_attempts)
    model_a, model_b = sorted((model_a, model_b))
    criterion = _criterion(aspect_or_overall, rubric_set)
    key = pairwise_judge_key(judge_model, aspect_or_overall)
    done = _pairwise_done(store, run_id, (model_a, model_b), key)
    items = [
        (item, (answers[model_a].text, answers[model_b].text))
        for item, answers in answers_by_prompt(store, run_id)
        if model_a in answers and model_b in answers
    ]
    ensure_loaded = _loader(backend, judge_model, load_model)
    judged = skipped = missing = 0
    for index, (item, pair_answers) in enumerate(items, start=1):
        if _cancelled(cancel):
            return JudgeSummary(len(items), judged, skipped, missing, cancelled=True)
        if item.id in done:
            skipped += 1
            outcome = "skipped (already judged)"
        else:
            ensure_loaded()
            verdicts = judge_both_orders(backend, judge_model, item, pair_answers, criterion, max_attempts)
            row = {"run_id": run_id, "prompt_id": item.id, "model_a": model_a, "model_b": model_b}
            _save_pairwise(store, {**row, "judge": key, **verdicts, "created_at": utc_now()})
            judged += 1
            missing += verdicts["final"] is None
            outcome = f"final {verdicts['final']}" if verdicts["final"] else "missing"
        if progress is not None:
            pair = f"{model_a} vs {model_b}"
            progress(JudgeProgress(index, len(items), pair, item.id, aspect_or_overall, outcome))
    return JudgeSummary(len(items), judged, skipped, missing)


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


def pairwise_frame(store: Store, run_ids: Iterable[str]) -> pd.DataFrame:
    """Pairwise verdicts; ``judge`` is the judge model and ``aspect`` the criterion.

    ``consistent`` is True when both orders gave the same verdict, False when they differ, and
    None when either is missing.
    """
    ids = list(run_ids)
    rows: list[dict[str, Any]] = []
    if ids:
        sql, params = _in_runs("pairwise_judgments", ids, "run_id, prompt_id, model_a, model_b")
        with store.connect() as conn:
            rows = [dict(r) for r in conn.execute(sql, params).fetchall()]
    for row in rows:
        row["judge"], _, row["aspect"] = row["judge"].rpartition("|")
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
