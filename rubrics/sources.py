"""People's and judges' scores as score sources of :mod:`bench.quality.score_sources`.

``bench`` never imports :mod:`rubrics`; it finds this module by name and this module registers the
``people`` family (blind 1–5 sliders, annotators averaged per item first), the ``judge`` family
(one source per judge model, ``judge:<model>``; unparsed replies count as missing) and, through
:mod:`rubrics.votes_source`, the ``votes`` family (Bradley–Terry ratings from pairwise votes).

A judge source is ``validated`` only when its agreement with people passes :mod:`rubrics.trust`
(kappa interval's lower end at least 0.4); its ``trust`` says why in either case, and Decide and
the reports use an unvalidated one only when the user opts in. A judge also reports its
``replies`` (parsed / total per run and model): its parse rate in :mod:`bench.quality.summary`.

Every frame is keyed by (run_id, model): quality belongs to a run, so two runs of one model are
two rows and never pool their items.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from bench.quality.score_sources import REPLY_COLUMNS, SUMMARY_COLUMNS, TABLE_COLUMNS, SourceInfo, register
from bench.store.store import Store
from rubrics.annotate import annotations_frame
from rubrics.judge import judgments_frame
from rubrics.quality import INTERVAL_METHOD, PEOPLE, item_scores, item_summary
from rubrics.trust import judge_trust
from rubrics.votes_source import VotesProvider

__all__ = ["JudgeProvider", "PeopleProvider", "VotesProvider"]

PEOPLE_NOTE = f"people's 1–5 scores, annotators averaged per item; {INTERVAL_METHOD}"
JUDGE_NOTE = f"a local judge model's 1–5 scores, unparsed replies counted as missing; {INTERVAL_METHOD}"


def _grouped(items: pd.DataFrame, keys: list[str], columns: list[str], source: str) -> pd.DataFrame:
    rows = [
        {**dict(zip(keys, key, strict=True)), **item_summary(group["score"]), "scored_by": source}
        for key, group in items.groupby(keys, sort=False)
    ]
    return pd.DataFrame(rows, columns=columns)


class _RubricProvider:
    """Shared summary/table of the families whose items come from :func:`rubrics.quality.item_scores`."""

    family = ""

    def summary(self, store: Store, run_ids: Sequence[str], source: str) -> pd.DataFrame:
        items = item_scores(store, run_ids, source)
        return _grouped(items, ["run_id", "model"], SUMMARY_COLUMNS, source)

    def table(self, store: Store, run_ids: Sequence[str], source: str) -> pd.DataFrame:
        items = item_scores(store, run_ids, source)
        return _grouped(items, ["run_id", "model", "aspect"], TABLE_COLUMNS, source)

    def items(self, store: Store, run_ids: Sequence[str], source: str) -> pd.DataFrame:
        """One row per item (run_id, model, prompt_id, aspect, score): what resampling needs (bench.quality.scored_items)."""
        return item_scores(store, run_ids, source)


class PeopleProvider(_RubricProvider):
    family = PEOPLE

    def sources(self, store: Store, run_ids: Sequence[str]) -> list[SourceInfo]:
        if annotations_frame(store, run_ids).empty:
            return []
        return [SourceInfo(PEOPLE, note=PEOPLE_NOTE)]


class JudgeProvider(_RubricProvider):
    family = "judge"

    def sources(self, store: Store, run_ids: Sequence[str]) -> list[SourceInfo]:
        judgments = judgments_frame(store, run_ids)
        infos = []
        for judge in sorted(judgments["judge"].dropna().unique()):
            # kappa only (the label needs nothing else), with the resamples and seed of the Judge page's
            # panel: the same interval, so Decide, the reports and that page never disagree on the label
            trust = judge_trust(store, run_ids, str(judge), kappa_only=True)
            note = f"{JUDGE_NOTE}; {trust.label}: {trust.reason}"
            words = f"{trust.words} ({trust.reason})"  # plain words first, the statistic after
            infos.append(SourceInfo(f"judge:{judge}", validated=trust.validated, note=note, trust=words))
        return infos

    def replies(self, store: Store, run_ids: Sequence[str], source: str) -> pd.DataFrame:
        """Per (run, model): the judge's replies and those holding a readable 1–5 score."""
        judged = judgments_frame(store, run_ids)
        judged = judged[judged["scored_by"] == source]
        if judged.empty:
            return pd.DataFrame(columns=REPLY_COLUMNS)
        grouped = judged.groupby(["run_id", "model"], as_index=False, sort=False)
        return grouped.agg(parsed=("score", "count"), total=("score", "size")).reindex(columns=REPLY_COLUMNS)


register(PeopleProvider())
register(JudgeProvider())
register(VotesProvider())
