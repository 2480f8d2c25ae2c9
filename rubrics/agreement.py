"""Agreement statistics: between people, and between people and the judge.

A judge's scores mean little until we know how well it agrees with people, and people's scores
mean little until we know how well they agree with each other (MT-Bench found human-human agreement
of only 63%). Implemented with numpy alone (no scipy dependency):

- quadratic-weighted Cohen's kappa, two raters, categories 1..5: near-misses cost less than big
  misses, which suits an ordinal 1..5 scale;
- Krippendorff's alpha, interval metric: any number of raters, missing scores allowed;
- Spearman's rho with average ranks for ties;
- exact and within-1 agreement, the plain numbers people read first.

Every statistic comes back as :class:`Stat` with the number of items behind it: a kappa from 4
items is not the same evidence as one from 400. ``value`` is None when the statistic is undefined
(too few items, or no variation to compare).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bench.errors import BenchError
from rubrics.schema import SCORES

ITEM_KEY = ["run_id", "model", "prompt_id", "aspect"]

PEOPLE_SCORE_RULE = (
    "people's score per item = mean of the annotators' scores, rounded half up to a whole number"
)


@dataclass(frozen=True)
class Stat:
    """A statistic and the number of items it rests on; ``value`` None means undefined."""

    value: float | None
    n: int

    def as_float(self) -> float:
        """NaN for undefined, for tables and charts."""
        return float("nan") if self.value is None else self.value


def _paired(a: Sequence[Any], b: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """The pairs where both raters gave a score (None and NaN are missing)."""
    x = np.asarray(pd.to_numeric(pd.Series(list(a), dtype="object")), dtype=float)
    y = np.asarray(pd.to_numeric(pd.Series(list(b), dtype="object")), dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"raters scored different numbers of items ({len(x)} vs {len(y)})")
    keep = ~(np.isnan(x) | np.isnan(y))
    return x[keep], y[keep]


# ---- two raters ---------------------------------------------------------------------------------
def weighted_kappa(a: Sequence[Any], b: Sequence[Any], categories: Sequence[int] = SCORES) -> Stat:
    """Cohen's kappa with quadratic weights ``(i - j)^2 / (k - 1)^2`` over fixed categories.

    Categories are fixed (1..5), not taken from the data, so two runs' kappas are comparable.
    Undefined when the expected disagreement is zero (both raters used one and the same score).
    """
    x, y = _paired(a, b)
    n = len(x)
    cats = np.asarray(categories, dtype=float)
    k = len(cats)
    if n == 0:
        return Stat(None, 0)
    index = {c: i for i, c in enumerate(cats)}
    try:
        rows = np.array([index[v] for v in x])
        cols = np.array([index[v] for v in y])
    except KeyError as exc:
        raise ValueError(f"score {exc.args[0]} is not one of {list(categories)}") from None
    observed = np.zeros((k, k))
    np.add.at(observed, (rows, cols), 1.0)
    observed /= n
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    grid = np.arange(k)
    weights = (grid[:, None] - grid[None, :]) ** 2 / (k - 1) ** 2
    denominator = float((weights * expected).sum())
    if denominator == 0.0:
        return Stat(None, n)
    return Stat(1.0 - float((weights * observed).sum()) / denominator, n)


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n; tied values share the mean of the ranks they occupy."""
    order = np.argsort(values, kind="mergesort")
    _, first, counts = np.unique(values[order], return_index=True, return_counts=True)
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(first + (counts + 1) / 2.0, counts)
    return ranks


def spearman(a: Sequence[Any], b: Sequence[Any]) -> Stat:
    """Spearman's rho: Pearson correlation of average ranks. Undefined if either is constant."""
    x, y = _paired(a, b)
    n = len(x)
    if n < 2:
        return Stat(None, n)
    rx, ry = average_ranks(x), average_ranks(y)
    dx, dy = rx - rx.mean(), ry - ry.mean()
    denominator = float(np.sqrt((dx * dx).sum() * (dy * dy).sum()))
    if denominator == 0.0:
        return Stat(None, n)
    return Stat(float((dx * dy).sum()) / denominator, n)


def exact_agreement(a: Sequence[Any], b: Sequence[Any]) -> Stat:
    """Share of items given the same score."""
    x, y = _paired(a, b)
    return Stat(float(np.mean(x == y)) if len(x) else None, len(x))


def within_one(a: Sequence[Any], b: Sequence[Any]) -> Stat:
    """Share of items whose scores differ by at most 1."""
    x, y = _paired(a, b)
    return Stat(float(np.mean(np.abs(x - y) <= 1)) if len(x) else None, len(x))


# ---- any number of raters -----------------------------------------------------------------------
def krippendorff_alpha(ratings: Sequence[Sequence[Any]] | np.ndarray | pd.DataFrame) -> Stat:
    """Krippendorff's alpha, interval metric, for a raters x units table with gaps (None/NaN).

    ``alpha = 1 - D_o / D_e``: D_o is the mean squared difference between values in the same unit
    (each unit with m values weighted 1/(m-1)), D_e the same over all pairable values. Units with
    fewer than two values are not pairable and drop out; ``n`` is the number of pairable units.
    """
    table = np.asarray(pd.DataFrame(ratings).apply(pd.to_numeric), dtype=float)
    units = [col[~np.isnan(col)] for col in table.T]
    units = [u for u in units if len(u) >= 2]
    if not units:
        return Stat(None, 0)
    pooled = np.concatenate(units)
    total = len(pooled)

    def squared_diffs(v: np.ndarray) -> float:
        # sum over ordered pairs (i, j) of (v_i - v_j)^2 = 2 (m * sum v^2 - (sum v)^2)
        return 2.0 * (len(v) * float((v * v).sum()) - float(v.sum()) ** 2)

    observed = sum(squared_diffs(u) / (len(u) - 1) for u in units) / total
    expected = squared_diffs(pooled) / (total * (total - 1))
    if expected == 0.0:
        return Stat(None, len(units))
    return Stat(1.0 - observed / expected, len(units))


# ---- frames -------------------------------------------------------------------------------------
def _by_annotator(annotations: pd.DataFrame) -> pd.DataFrame:
    """Items (run, model, prompt, aspect) x annotators, NaN where one did not score."""
    return annotations.pivot_table(index=ITEM_KEY, columns="annotator", values="score", aggfunc="mean")


def _pair_row(x: pd.Series, y: pd.Series) -> dict[str, Any]:
    kappa = weighted_kappa(x, y)
    return {
        "n": kappa.n,
        "kappa": kappa.as_float(),
        "spearman": spearman(x, y).as_float(),
        "exact": exact_agreement(x, y).as_float(),
        "within_one": within_one(x, y).as_float(),
    }


PAIR_COLUMNS = ["annotator_a", "annotator_b", "n", "kappa", "spearman", "exact", "within_one"]


def pairwise_kappas(annotations: pd.DataFrame, by_aspect: bool = False) -> pd.DataFrame:
    """One row per pair of annotators (and per aspect when ``by_aspect``), on items both scored."""
    groups = annotations.groupby("aspect") if by_aspect else [(None, annotations)]
    rows = []
    for aspect, part in groups:
        table = _by_annotator(part)
        for first, second in itertools.combinations(sorted(table.columns), 2):
            row = {"annotator_a": first, "annotator_b": second}
            if by_aspect:
                row["aspect"] = aspect
            rows.append(row | _pair_row(table[first], table[second]))
    columns = PAIR_COLUMNS[:2] + (["aspect"] if by_aspect else []) + PAIR_COLUMNS[2:]
    return pd.DataFrame(rows, columns=columns)


def people_alpha(annotations: pd.DataFrame) -> Stat:
    """Krippendorff's alpha over all annotators; units are (run, model, prompt, aspect)."""
    if annotations.empty:
        return Stat(None, 0)
    return krippendorff_alpha(_by_annotator(annotations).T.to_numpy())


def people_scores(annotations: pd.DataFrame) -> pd.DataFrame:
    """One score per item: the annotators' mean rounded half up (see ``PEOPLE_SCORE_RULE``)."""
    grouped = annotations.groupby(ITEM_KEY, as_index=False).agg(
        people_mean=("score", "mean"), annotators=("annotator", "nunique")
    )
    grouped["people"] = np.floor(grouped["people_mean"] + 0.5).astype(int)
    return grouped


@dataclass(frozen=True)
class JudgeVsPeople:
    """How one judge's scores compare with people's on the items both scored."""

    kappa: Stat
    spearman: Stat
    exact: Stat
    within_one: Stat
    confusion: pd.DataFrame  # long form: people, judge, count (all 25 cells), for a heat map
    pairs: pd.DataFrame  # item key + people, people_mean, annotators, judge
    rule: str = PEOPLE_SCORE_RULE

    @property
    def n(self) -> int:
        return self.kappa.n


def _one_judge(judgments: pd.DataFrame, judge: str | None) -> pd.DataFrame:
    if judge is not None:
        return judgments[judgments["judge"] == judge]
    judges = sorted(judgments["judge"].dropna().unique())
    if len(judges) > 1:
        raise BenchError("judgments", f"hold several judges ({', '.join(judges)})", "pass judge=<model>")
    return judgments


def confusion_frame(people: Sequence[int], judge: Sequence[int]) -> pd.DataFrame:
    """Counts of (people score, judge score) over all 5 x 5 cells, zeros included."""
    counts = pd.crosstab(pd.Series(people, name="people"), pd.Series(judge, name="judge"))
    counts = counts.reindex(index=list(SCORES), columns=list(SCORES), fill_value=0)
    long = counts.stack().rename("count").reset_index()
    return long.astype({"people": int, "judge": int, "count": int})


def judge_vs_people(
    judgments: pd.DataFrame, annotations: pd.DataFrame, judge: str | None = None
) -> JudgeVsPeople:
    """Agreement of a judge with people on items both scored (a judge's missing score is skipped).

    People's score per item is their mean rounded half up (``PEOPLE_SCORE_RULE``), so several
    annotators count as one rater against the judge.
    """
    scored = _one_judge(judgments, judge).dropna(subset=["score"])
    people = people_scores(annotations) if not annotations.empty else None
    if people is None or scored.empty:
        pairs = pd.DataFrame(columns=[*ITEM_KEY, "people", "people_mean", "annotators", "judge"])
    else:
        judge_scores = scored[[*ITEM_KEY, "score"]].rename(columns={"score": "judge"})
        pairs = people.merge(judge_scores, on=ITEM_KEY, how="inner")
        pairs["judge"] = pairs["judge"].astype(int)
    x, y = pairs["people"].tolist(), pairs["judge"].tolist()
    return JudgeVsPeople(
        kappa=weighted_kappa(x, y),
        spearman=spearman(x, y),
        exact=exact_agreement(x, y),
        within_one=within_one(x, y),
        confusion=confusion_frame(x, y),
        pairs=pairs,
    )
