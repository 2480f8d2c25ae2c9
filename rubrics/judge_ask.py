"""Asking a judge model: bounded retries, optional k samples with the median kept, cancel, progress.

Requests are deterministic by default (temperature 0, seed 42). So a retry of an unreadable reply
re-asks with a reminder of the format appended: the identical request would return the identical
text. Retries are bounded (``max_attempts``); a reply still unreadable is missing, never a score.

``k`` judgments per item (optional): the judge is asked ``k`` times at a small temperature with
different seeds; the median of the readable scores is kept (the lower middle one for an even
count, so the kept score is one the judge actually gave) and the spread (highest minus lowest)
is reported, a direct read of how sure the judge is. Fewer than half the replies readable makes
the item missing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from bench.backends.base import Backend, ChatRequest, complete_text
from bench.errors import BenchError
from rubrics.judge_parse import ParsedJudgment, Verdict, parse_judgment, parse_verdict

MAX_TOKENS = 256
TEMPERATURE = 0.0
SEED = 42
SAMPLE_TEMPERATURE = 0.3
"""Temperature of the k judgments per item (low: variation, not a different judge)."""
REPLY_SEPARATOR = "\n\n----- next judgment -----\n\n"

Cancel = threading.Event | Callable[[], bool] | None
T = TypeVar("T")

SINGLE_REMINDER = (
    "\n\nReminder: end your reply with one JSON object of the form"
    ' {"rationale": "<one sentence>", "score": <whole number>}; the score is one of the five'
    " levels listed above."
)
PAIR_REMINDER = "\n\nReminder: end your reply with exactly one verdict: [[A]], [[B]] or [[tie]]."


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


@dataclass(frozen=True)
class Judgment:
    """The kept judgment of one item: the (median) score, all raw replies, attempts and spread."""

    parsed: ParsedJudgment
    raw: str
    attempts: int
    samples: int = 1
    spread: int | None = None  # highest - lowest readable score of the k samples; None for k = 1


def cancelled(cancel: Cancel) -> bool:
    if cancel is None:
        return False
    if isinstance(cancel, threading.Event):
        return cancel.is_set()
    return bool(cancel())


def loader(backend: Backend, judge_model: str, enabled: bool) -> Callable[[], None]:
    """Load the judge on first use only: a fully resumed run should not pay for a model load."""
    state = {"loaded": not enabled}

    def ensure_loaded() -> None:
        if not state["loaded"]:
            backend.load(judge_model)
            state["loaded"] = True

    return ensure_loaded


def check_attempts(max_attempts: int) -> None:
    if max_attempts < 1:
        raise BenchError("max_attempts", f"is {max_attempts}", "use 1 or more")


def _ask(
    backend: Backend,
    request: ChatRequest,
    parse: Callable[[str, str], T],
    ok: Callable[[T], bool],
    reminder: str,
    max_attempts: int,
) -> tuple[T, str, int]:
    """Ask until the reply parses or ``max_attempts`` is spent: (parsed, raw reply, attempts)."""
    check_attempts(max_attempts)
    prompt = request.prompt
    for attempt in range(1, max_attempts + 1):
        text = prompt if attempt == 1 else prompt + reminder
        raw = complete_text(backend, replace(request, prompt=text))
        parsed = parse(raw, text)
        if ok(parsed):
            break
    return parsed, raw, attempt


def _request(
    judge_model: str, prompt: str, temperature: float = TEMPERATURE, seed: int = SEED
) -> ChatRequest:
    return ChatRequest(
        model=judge_model, prompt=prompt, max_tokens=MAX_TOKENS, temperature=temperature, seed=seed
    )


def ask_single(
    backend: Backend, judge_model: str, prompt: str, max_attempts: int = 2
) -> tuple[ParsedJudgment, str, int]:
    """One single-answer judgment with bounded retries: (parsed, raw reply, attempts)."""
    return _ask(
        backend,
        _request(judge_model, prompt),
        lambda raw, text: parse_judgment(raw, prompt=text),
        lambda parsed: parsed.ok,
        SINGLE_REMINDER,
        max_attempts,
    )


def lower_median(values: list[int]) -> int:
    """The median, or the lower of the two middle values for an even count (a score given)."""
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2]


def ask_single_k(
    backend: Backend, judge_model: str, prompt: str, k: int = 1, max_attempts: int = 2
) -> Judgment:
    """``k`` judgments of one item (k = 1: the deterministic one); the median is kept."""
    if k < 1:
        raise BenchError("k", f"is {k}", "use 1 or more judgments per item")
    if k == 1:
        return Judgment(*ask_single(backend, judge_model, prompt, max_attempts))
    replies = []
    for index in range(k):
        request = _request(judge_model, prompt, SAMPLE_TEMPERATURE, SEED + index)
        replies.append(
            _ask(
                backend,
                request,
                lambda raw, text: parse_judgment(raw, prompt=text),
                lambda p: p.ok,
                SINGLE_REMINDER,
                max_attempts,
            )
        )
    scores = [p.score for p, _, _ in replies if p.score is not None]
    raw = REPLY_SEPARATOR.join(r for _, r, _ in replies)
    attempts = sum(a for _, _, a in replies)
    if len(scores) * 2 < k:
        reason = f"only {len(scores)} of {k} replies readable"
        return Judgment(ParsedJudgment(None, "", False, reason), raw, attempts, k, None)
    median = lower_median(scores)
    rationale = next(p.rationale for p, _, _ in replies if p.score == median)
    spread = max(scores) - min(scores)
    return Judgment(ParsedJudgment(median, rationale, True), raw, attempts, k, spread)


def ask_verdict(
    backend: Backend, judge_model: str, prompt: str, max_attempts: int = 2
) -> tuple[Verdict | None, str, int]:
    """One pairwise verdict (answers as shown) with bounded retries."""
    return _ask(
        backend,
        _request(judge_model, prompt),
        lambda raw, text: parse_verdict(raw, prompt=text),
        lambda verdict: verdict is not None,
        PAIR_REMINDER,
        max_attempts,
    )
