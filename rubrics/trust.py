"""Does a judge agree with people well enough to be used? Agreement with intervals, and the label.

A judge model's scores are only worth a decision once they are shown to track people's. On the
items both scored (people's score per item as in :mod:`rubrics.agreement`), we report quadratic
weighted kappa, Spearman's rho and within-one agreement, each with a 95% percentile bootstrap
interval over items (:data:`RESAMPLES` resamples, fixed seed).

The label: a judge is **validated** when the lower end of its kappa interval is at least
:data:`DEFAULT_LEVEL` (0.4, "moderate" agreement); otherwise, or when it was never compared with
people (no item scored by both), it is **not validated**. Its source carries
``SourceInfo.validated=False`` and Decide uses it only when the user opts in.

With too few shared items, :func:`validation_sample` picks the items people should score next
to validate it fastest: items the judge scored and people did not, stratified across models and
judge scores (round-robin over the strata), so a few dozen human scores cover the judge's whole
range instead of one model's 4s.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bench.quality.score_sources import SourceInfo, score_sources
from bench.store.store import Store
from rubrics.agreement import ITEM_KEY, Stat, judge_vs_people, spearman, weighted_kappa, within_one
from rubrics.annotate import annotations_frame
from rubrics.judge import judgments_frame

DEFAULT_LEVEL = 0.4
RESAMPLES = 1000
SEED = 20261201
INTERVAL_METHOD = f"95% percentile bootstrap over items both scored ({RESAMPLES:,} resamples, fixed seed)"
NOT_COMPARED = "never compared with people (no item scored by both)"


@dataclass(frozen=True)
class AgreementInterval:
    """An agreement statistic of a judge with people (kappa, Spearman, within-one), its 95% interval
    and the items behind it (None = undefined).

    Named apart from :class:`bench.stats.bootstrap.Interval` (a mean's interval over requests): this
    one holds a judge-vs-people agreement and is read by the trust label and the Judge page.
    """

    value: float | None
    low: float | None
    high: float | None
    n: int

    def text(self, digits: int = 2) -> str:
        if self.value is None:
            return f"n/a (n={self.n})"
        if self.low is None or self.high is None:
            return f"{self.value:.{digits}f} (n={self.n})"
        return f"{self.value:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}] (n={self.n})"


@dataclass(frozen=True)
class JudgeTrust:
    """Agreement of one judge with people, and whether that validates it at ``level``."""

    judge: str
    kappa: AgreementInterval
    spearman: AgreementInterval
    within_one: AgreementInterval
    level: float
    validated: bool
    reason: str

    @property
    def label(self) -> str:
        return "validated" if self.validated else "not validated"

    @property
    def words(self) -> str:
        """The label for a person: what it means, not the statistic (that is :attr:`reason`)."""
        if self.validated:
            return f"agrees with people well enough to trust (needs ≥ {self.level:.2f})"
        if self.kappa.n == 0:
            return "not checked against people yet: score some of its answers by hand"
        if self.kappa.low is None:
            return f"too few answers scored by both people and the judge to tell ({self.kappa.n})"
        return f"agrees with people too little to trust (needs ≥ {self.level:.2f})"


def _interval(
    stat: Callable[[Sequence[int], Sequence[int]], Stat],
    x: np.ndarray,
    y: np.ndarray,
    resamples: int,
    seed: int,
) -> AgreementInterval:
    point = stat(list(x), list(y))
    if point.value is None or len(x) < 2:
        return AgreementInterval(point.value, None, None, point.n)
    rng = np.random.default_rng(seed)
    index = np.stack([rng.integers(0, len(x), size=len(x)) for _ in range(resamples)])  # one row per resample
    many = _PER_ROW.get(stat)
    if many is not None:  # every resample at once: the label is computed on each page load
        values = many(x[index].astype(float), y[index].astype(float))
        draws = values[~np.isnan(values)].tolist()
    else:
        draws = [v for row in index if (v := stat(list(x[row]), list(y[row])).value) is not None]
    if len(draws) < resamples / 2:  # most resamples undefined (no variation): no honest interval
        return AgreementInterval(point.value, None, None, point.n)
    low, high = np.percentile(draws, [2.5, 97.5])
    return AgreementInterval(point.value, float(low), float(high), point.n)


def _kappa_rows(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """:func:`rubrics.agreement.weighted_kappa` of each row pair (NaN where undefined), in closed form.

    With quadratic weights over evenly spaced categories, observed disagreement is the mean squared
    gap of the pairs and expected disagreement the mean squared gap over all (i, j) combinations,
    ``var(x) + var(y) + (mean(x) - mean(y))^2``; the weights' scale cancels.
    """
    observed = ((xs - ys) ** 2).mean(axis=1)
    expected = xs.var(axis=1) + ys.var(axis=1) + (xs.mean(axis=1) - ys.mean(axis=1)) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(expected > 0, 1.0 - observed / expected, np.nan)


def _within_one_rows(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    return (np.abs(xs - ys) <= 1).mean(axis=1)


_STATS = {"kappa": weighted_kappa, "spearman": spearman, "within_one": within_one}
#: statistics computed for every resample at once (the same values as one call per resample)
_PER_ROW: dict[Callable[..., Stat], Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    weighted_kappa: _kappa_rows,
    within_one: _within_one_rows,
}


def agreement_intervals(
    people: Sequence[int],
    judge: Sequence[int],
    resamples: int = RESAMPLES,
    seed: int = SEED,
    which: Sequence[str] = tuple(_STATS),
) -> dict[str, AgreementInterval]:
    """Kappa, Spearman and within-one of two aligned score lists, each with a bootstrap interval.

    ``which`` limits the statistics computed (the label needs only kappa); the others are n/a.
    """
    x, y = np.asarray(people, dtype=int), np.asarray(judge, dtype=int)
    return {
        name: _interval(stat, x, y, resamples, seed)
        if name in which
        else AgreementInterval(None, None, None, len(x))
        for name, stat in _STATS.items()
    }


def trust_from_pairs(
    judge: str,
    people: Sequence[int],
    scores: Sequence[int],
    level: float = DEFAULT_LEVEL,
    resamples: int = RESAMPLES,
    kappa_only: bool = False,
) -> JudgeTrust:
    """The trust label from aligned (people, judge) scores of the items both scored."""
    stats = agreement_intervals(people, scores, resamples, which=("kappa",) if kappa_only else tuple(_STATS))
    kappa = stats["kappa"]
    if kappa.n == 0:
        validated, reason = False, NOT_COMPARED
    elif kappa.low is None:
        validated, reason = False, f"kappa has no interval on {kappa.n} items (too few, or no variation)"
    elif kappa.low < level:
        validated, reason = False, f"kappa's 95% interval starts at {kappa.low:.2f}, below {level:.2f}"
    else:
        validated, reason = True, f"kappa's 95% interval starts at {kappa.low:.2f}, at least {level:.2f}"
    return JudgeTrust(judge, kappa, stats["spearman"], stats["within_one"], level, validated, reason)


def judge_trust(
    store: Store,
    run_ids: Sequence[str],
    judge: str,
    level: float = DEFAULT_LEVEL,
    resamples: int = RESAMPLES,
    kappa_only: bool = False,
) -> JudgeTrust:
    """Trust of judge model ``judge`` from the items of ``run_ids`` both it and people scored.

    ``kappa_only`` skips the Spearman and within-one intervals (the label needs only kappa's).
    """
    judgments = judgments_frame(store, run_ids)
    annotations = annotations_frame(store, run_ids)
    compared = judge_vs_people(judgments, annotations, judge=judge).pairs
    people, scores = compared["people"].tolist(), compared["judge"].tolist()
    return trust_from_pairs(judge, people, scores, level, resamples, kappa_only)


def validated_sources(
    store: Store, run_ids: Sequence[str], include_unvalidated: bool = False
) -> list[SourceInfo]:
    """The score sources Decide may use: validated ones only, unless the user opted in.

    Each is a ``bench.quality.score_sources.SourceInfo`` whose ``validated`` flag the providers set
    (people and task checks are validated; a judge by :func:`judge_trust`).
    """
    sources = score_sources(store, list(run_ids))
    return [s for s in sources if include_unvalidated or s.validated]


def validation_sample(store: Store, run_ids: Sequence[str], judge: str, size: int = 20) -> pd.DataFrame:
    """Up to ``size`` items the judge scored and people did not, stratified by model and judge score.

    Strata are (model, judge score); items are taken round-robin across strata (each stratum in
    run/prompt order), so the sample spans every model and every score the judge gave.
    """
    judged = judgments_frame(store, run_ids)
    judged = judged[(judged["judge"] == judge) & judged["score"].notna()]
    people = annotations_frame(store, run_ids)
    scored = set(map(tuple, people[ITEM_KEY].to_numpy().tolist())) if not people.empty else set()
    keep = np.array([tuple(k) not in scored for k in judged[ITEM_KEY].to_numpy().tolist()], dtype=bool)
    open_items = judged.loc[keep] if len(judged) else judged
    strata = [group for _, group in open_items.groupby(["model", "score"], sort=True)]
    picked = [
        row
        for rows in itertools.zip_longest(*(g.itertuples(index=False) for g in strata))
        for row in rows
        if row is not None
    ][:size]
    return pd.DataFrame(picked, columns=judged.columns)[[*ITEM_KEY, "score"]].rename(
        columns={"score": "judge"}
    )
