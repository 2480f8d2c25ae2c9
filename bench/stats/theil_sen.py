"""Theil-Sen slope of a series against its order, with Sen's (1968) 95% interval, in numpy alone.

The same figures as ``scipy.stats.theilslopes(y, np.arange(n), alpha=0.95)`` (the median of every
pairwise slope; the interval's ranks from Sen's equation 2.6 with ties in ``y`` counted), without
importing ``scipy.stats``: that import alone took over a second of every report's start.
Order statistics come from ``np.partition`` instead of a full sort.
"""

from __future__ import annotations

import numpy as np

#: the normal quantile for a two-sided 95% interval (``scipy.stats.norm.ppf(0.025)``)
Z_975 = -1.959963984540054


def theil_sen(y: np.ndarray) -> tuple[float, float, float]:
    """``(slope, low, high)`` of ``y`` against ``0..n-1``: the median pairwise slope and its 95% interval."""
    y = np.asarray(y, dtype=float)
    n = y.size
    if n < 2:
        raise ValueError("a slope needs at least two points")
    slopes = np.concatenate([(y[k:] - y[:-k]) / k for k in range(1, n)])  # every pair, lag k apart
    total = slopes.size
    _, counts = np.unique(y, return_counts=True)
    ties = counts[counts > 1].astype(float)
    sigsq = (n * (n - 1) * (2 * n + 5) - float(np.sum(ties * (ties - 1) * (2 * ties + 5)))) / 18.0
    sigma = np.sqrt(sigsq)
    upper = min(int(np.round((total - Z_975 * sigma) / 2.0)), total - 1)
    lower = max(int(np.round((total + Z_975 * sigma) / 2.0)) - 1, 0)
    middle = [(total - 1) // 2, total // 2]
    ranked = np.partition(slopes, sorted({lower, upper, *middle}))
    slope = float(np.mean(ranked[middle]))
    return slope, float(ranked[lower]), float(ranked[upper])
