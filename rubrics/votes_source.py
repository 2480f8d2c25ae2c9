"""Pairwise preferences as a score source (family ``votes``) of :mod:`bench.quality.score_sources`.

Sources: ``votes:people`` (people's blind votes on the Annotate page) and ``votes:judge:<model>``
(a judge's pairwise verdicts, both orders combined). The number is a Bradley–Terry rating on the
Elo scale (1000 = the run's average model), with a bootstrap interval over votes; ``n`` is the
number of votes the model took part in. Ratings are fitted per run: a rating says how a model
compares with the others *of that run*, so two runs are never pooled into one fit.

A judge's votes are as trustworthy as the judge: ``votes:judge:<model>`` carries the judge's
validation (:mod:`rubrics.trust`, from its 1–5 scores against people's). :mod:`rubrics.sources`
registers the provider (after people and judges, so sources list in that order).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from bench.quality.score_sources import SUMMARY_COLUMNS, TABLE_COLUMNS, SourceInfo
from bench.store.store import Store
from rubrics.bradley_terry import INTERVAL_METHOD
from rubrics.judge_pairwise import pairwise_frame
from rubrics.trust import JudgeTrust, judge_trust
from rubrics.votes import judge_ratings, people_ratings, votes_frame

FAMILY = "votes"
PEOPLE_SOURCE = "votes:people"
SCALE = "Bradley–Terry rating, Elo scale (1000 = the run's average)"
PEOPLE_NOTE = f"people's blind pairwise votes; {INTERVAL_METHOD}"
JUDGE_NOTE = f"a judge model's pairwise verdicts (both orders, a flip is a tie); {INTERVAL_METHOD}"


def judge_source(judge: str) -> str:
    return f"{FAMILY}:judge:{judge}"


def _ratings(store: Store, run_id: str, source: str, aspect: str | None) -> pd.DataFrame:
    if source == PEOPLE_SOURCE:
        return people_ratings(votes_frame(store, [run_id]), aspect)
    judge = source.removeprefix(f"{FAMILY}:judge:")
    return judge_ratings(pairwise_frame(store, [run_id]), judge, aspect)


def _aspects(store: Store, run_id: str, source: str) -> list[str]:
    frame = votes_frame(store, [run_id]) if source == PEOPLE_SOURCE else pairwise_frame(store, [run_id])
    return sorted(frame["aspect"].dropna().unique())


def _rows(ratings: pd.DataFrame, run_id: str, source: str, extra: dict[str, str]) -> list[dict]:
    return [
        {"run_id": run_id, "model": r.model, **extra, "mean": r.rating, "low": r.low, "high": r.high}
        | {"n": int(r.votes), "missing": 0, "scored_by": source}
        for r in ratings.itertuples(index=False)
    ]


class VotesProvider:
    """``votes:people`` and ``votes:judge:<model>``: Bradley–Terry ratings per run."""

    family = FAMILY

    def __init__(self, trust: Callable[[Store, Sequence[str], str], JudgeTrust] | None = None) -> None:
        self._trust = trust or (
            lambda store, run_ids, judge: judge_trust(store, run_ids, judge, kappa_only=True)
        )

    def sources(self, store: Store, run_ids: Sequence[str]) -> list[SourceInfo]:
        found = []
        votes = votes_frame(store, run_ids)
        if (votes["verdict"] != "skip").any():
            found.append(SourceInfo(PEOPLE_SOURCE, scale=SCALE, note=PEOPLE_NOTE))
        pairwise = pairwise_frame(store, run_ids)
        for judge in sorted(pairwise.loc[pairwise["final"].notna(), "judge"].unique()):
            trust = self._trust(store, run_ids, judge)
            found.append(
                SourceInfo(
                    judge_source(judge),
                    scale=SCALE,
                    validated=trust.validated,
                    note=JUDGE_NOTE,
                    trust=f"as judge {judge}'s 1–5 scores: {trust.reason}",
                )
            )
        return found

    def summary(self, store: Store, run_ids: Sequence[str], source: str) -> pd.DataFrame:
        rows = [
            row
            for run_id in run_ids
            for row in _rows(_ratings(store, run_id, source, None), run_id, source, {})
        ]
        return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)

    def table(self, store: Store, run_ids: Sequence[str], source: str) -> pd.DataFrame:
        rows = [
            row
            for run_id in run_ids
            for aspect in _aspects(store, run_id, source)
            for row in _rows(_ratings(store, run_id, source, aspect), run_id, source, {"aspect": aspect})
        ]
        return pd.DataFrame(rows, columns=TABLE_COLUMNS)
