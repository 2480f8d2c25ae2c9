"""Blind pairwise votes by people: which pair to show next, which side is which, and the ratings.

A vote compares two models' answers to one prompt on one aspect (``overall`` by default). The
annotator sees "Left" and "Right" with the model names hidden; which model is left is shuffled
per (run, prompt, pair, annotator) with the same stable hash as the blind 1–5 order
(:mod:`rubrics.blind`), so a page rerun shows the same sides and a position bias does not favour
one model. The vote is stored about the models (``model_a`` < ``model_b``), with the model shown
on the left kept for position-bias checks.

The next pair offered is the model pair whose order is least certain given every vote so far
(:func:`rubrics.bradley_terry.least_certain_pair`), then a prompt of that pair this annotator has
not voted on; until every model pair has a vote, the pair with the fewest votes comes first.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from bench.errors import BenchError
from bench.inputs.config import PromptItem
from bench.store.store import Store
from rubrics import bradley_terry as bt
from rubrics import storage
from rubrics.answers import Answer, answers_by_prompt
from rubrics.blind import stable_seed
from rubrics.storage import VOTE_COLUMNS

OVERALL = "overall"
Choice = Literal["left", "right", "tie", "skip"]
CHOICES: tuple[Choice, ...] = ("left", "right", "tie", "skip")


@dataclass(frozen=True)
class VotePair:
    """Two answers to one prompt as one annotator sees them (left/right already shuffled)."""

    run_id: str
    prompt_id: str
    prompt: str
    aspect: str
    left_model: str  # hidden until the vote is saved
    right_model: str
    left_text: str
    right_text: str
    reference: str | None = None

    @property
    def models(self) -> tuple[str, str]:
        """``(model_a, model_b)`` in storage order (sorted)."""
        return tuple(sorted((self.left_model, self.right_model)))  # type: ignore[return-value]


def _sides(run_id: str, prompt_id: str, pair: tuple[str, str], annotator: str) -> tuple[str, str]:
    """(left, right) for this annotator: a stable coin flip per run, prompt, pair and person."""
    rng = random.Random(stable_seed(run_id, prompt_id, *pair, annotator.strip(), "sides"))
    return (pair[1], pair[0]) if rng.random() < 0.5 else pair


def _candidates(store: Store, run_id: str) -> list[tuple[PromptItem, tuple[str, str], dict[str, Answer]]]:
    """(prompt item, (model_a, model_b), answers) for every prompt and pair that both answered."""
    out = []
    for item, answers in answers_by_prompt(store, run_id):
        for pair in itertools.combinations(sorted(answers), 2):
            out.append((item, pair, answers))
    return out


def vote_progress(store: Store, run_id: str, annotator: str, aspect: str = OVERALL) -> tuple[int, int]:
    """``(voted, total)`` (prompt, pair) comparisons of the run for this annotator; skips count."""
    total = len(_candidates(store, run_id))
    done = storage.voted_pairs(store, run_id, annotator.strip(), aspect)
    return len(done), total


def _pair_order(store: Store, run_id: str, aspect: str, pairs: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """Model pairs, most useful first: unvoted pairs first, then the least certain order."""
    votes = [r for r in storage.vote_records(store, [run_id]) if r["aspect"] == aspect]
    counts = {pair: 0 for pair in pairs}
    for r in votes:
        if r["verdict"] != "skip" and (r["model_a"], r["model_b"]) in counts:
            counts[(r["model_a"], r["model_b"])] += 1
    fewest = min(counts.values())
    if fewest == 0:
        return sorted(pairs, key=lambda p: (counts[p], p))
    models = sorted({m for p in pairs for m in p})
    data = bt.comparisons([(r["model_a"], r["model_b"], r["verdict"]) for r in votes], models)
    index = {m: i for i, m in enumerate(data.models)}
    allowed = {(index[a], index[b]) for a, b in pairs}
    best = bt.least_certain_pair(data, allowed)
    first = (data.models[best[0]], data.models[best[1]])
    return [first, *sorted(pairs - {first}, key=lambda p: (counts[p], p))]


def next_pair(store: Store, run_id: str, annotator: str, aspect: str = OVERALL) -> VotePair | None:
    """The next comparison to show this annotator, or None when they voted on every one."""
    if not annotator.strip():
        raise BenchError("annotator", "is empty", "enter your name or initials before voting")
    done = storage.voted_pairs(store, run_id, annotator.strip(), aspect)
    open_items: dict[tuple[str, str], list[tuple[PromptItem, dict[str, Answer]]]] = {}
    for item, pair, answers in _candidates(store, run_id):
        if (item.id, *pair) not in done:
            open_items.setdefault(pair, []).append((item, answers))
    if not open_items:
        return None
    pair = _pair_order(store, run_id, aspect, set(open_items))[0]
    item, answers = open_items[pair][0]
    left, right = _sides(run_id, item.id, pair, annotator)
    return VotePair(
        run_id=run_id,
        prompt_id=item.id,
        prompt=item.prompt,
        aspect=aspect,
        left_model=left,
        right_model=right,
        left_text=answers[left].text,
        right_text=answers[right].text,
        reference=item.reference,
    )


def record_vote(store: Store, pair: VotePair, annotator: str, choice: Choice) -> str:
    """Store a vote given as the sides shown; returns the verdict stored (A, B, tie or skip)."""
    if choice not in CHOICES:
        raise BenchError("choice", f"{choice!r} is not a vote", f"use one of {', '.join(CHOICES)}")
    model_a, model_b = pair.models
    winner = {"left": pair.left_model, "right": pair.right_model}.get(choice)
    verdict = choice if winner is None else ("A" if winner == model_a else "B")
    storage.upsert_vote(
        store,
        {
            "run_id": pair.run_id,
            "prompt_id": pair.prompt_id,
            "model_a": model_a,
            "model_b": model_b,
            "aspect": pair.aspect,
            "annotator": annotator.strip(),
            "verdict": verdict,
            "left_model": pair.left_model,
        },
    )
    return verdict


def votes_frame(store: Store, run_ids: Iterable[str]) -> pd.DataFrame:
    """Every vote of the runs (:data:`rubrics.storage.VOTE_COLUMNS`), oldest first."""
    return pd.DataFrame(storage.vote_records(store, run_ids), columns=VOTE_COLUMNS)


def left_share(votes: pd.DataFrame) -> tuple[float | None, int]:
    """Share of decisive votes (not tie, not skip) won by the answer shown on the left, and n.

    Near 0.5 when people read both sides; far from it is a position bias worth a look.
    """
    decisive = votes[votes["verdict"].isin(["A", "B"]) & (votes["left_model"] != "")]
    if decisive.empty:
        return None, 0
    winner = decisive["model_a"].where(decisive["verdict"] == "A", decisive["model_b"])
    return float((winner == decisive["left_model"]).mean()), len(decisive)


def people_ratings(
    votes: pd.DataFrame, aspect: str | None = None, resamples: int = bt.RESAMPLES
) -> pd.DataFrame:
    """Bradley–Terry ratings from people's votes (skips left out), optionally of one aspect."""
    if aspect is not None:
        votes = votes[votes["aspect"] == aspect]
    pairs = list(zip(votes["model_a"], votes["model_b"], votes["verdict"], strict=True))
    return bt.ratings_table(pairs, resamples=resamples)


def judge_ratings(
    pairwise: pd.DataFrame, judge: str, aspect: str | None = None, resamples: int = bt.RESAMPLES
) -> pd.DataFrame:
    """Bradley–Terry ratings from a judge's pairwise verdicts (both orders combined, missing out)."""
    rows = pairwise[pairwise["judge"] == judge]
    if aspect is not None:
        rows = rows[rows["aspect"] == aspect]
    finals = zip(rows["model_a"], rows["model_b"], rows["final"], strict=True)
    pairs = [(a, b, v) for a, b, v in finals if isinstance(v, str)]
    return bt.ratings_table(pairs, resamples=resamples)
