"""People's and judges' items and their summary statistic; the tables per (run, model) are
:mod:`bench.quality.score_sources`'s, through the providers in :mod:`rubrics.sources`.

People's scores and a judge's scores are never averaged together: they are different instruments
with different biases, and a mixed mean would hide which one moved. ``scored_by`` picks one source:
``"people"`` or ``"judge:<model>"``.

The unit is the item (run, model, prompt, aspect). Several annotators on one item are averaged
first (unrounded), so an item scored by three people does not weigh three times. A judge's missing
scores are left out and counted in ``missing``. The 95% interval is a percentile bootstrap of the
mean over items (2,000 resamples, fixed seed, so the same data gives the same interval); it is
NaN when fewer than two items back the mean.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from bench.errors import BenchError
from bench.store.store import Store
from rubrics.agreement import ITEM_KEY
from rubrics.annotate import annotations_frame
from rubrics.judge import judgments_frame

PEOPLE = "people"
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20261122
INTERVAL_METHOD = "95% percentile bootstrap of the mean over items (2,000 resamples, fixed seed)"


def bootstrap_interval(
    values: np.ndarray, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> tuple[float, float]:
    """2.5th and 97.5th percentiles of resampled means; NaN for fewer than two values."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(resamples, len(values)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def item_scores(store: Store, run_ids: Iterable[str], scored_by: str = PEOPLE) -> pd.DataFrame:
    """One row per item of the chosen source: ``ITEM_KEY`` + ``score`` (NaN = judge missing)."""
    ids = list(run_ids)
    if scored_by == PEOPLE:
        people = annotations_frame(store, ids)
        return people.groupby(ITEM_KEY, as_index=False)["score"].mean()
    if scored_by.startswith("judge:") and len(scored_by) > len("judge:"):
        judged = judgments_frame(store, ids)
        return judged.loc[judged["scored_by"] == scored_by, [*ITEM_KEY, "score"]]
    raise BenchError(f"scored_by {scored_by!r}", "is not a score source", "use 'people' or 'judge:<model>'")


def item_summary(scores: pd.Series) -> dict[str, float | int]:
    """mean, bootstrap interval, n scored items and missing ones of one group of items."""
    values = scores.dropna().to_numpy(dtype=float)
    low, high = bootstrap_interval(values)
    return {
        "mean": float(values.mean()) if len(values) else float("nan"),
        "low": low,
        "high": high,
        "n": len(values),
        "missing": int(scores.isna().sum()),
    }
