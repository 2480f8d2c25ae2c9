"""Seeded bootstrap intervals: of one statistic, and of the percent change between two samples.

Why a bootstrap: latencies are skewed and p95 has no simple formula for its error. Every function
takes a ``seed`` (same data + same seed = the same interval, so reports diff only on real changes).

Two small-sample corrections keep the intervals honest at the sample sizes a benchmark has (tens,
not thousands): the percentile bootstrap of a mean is too narrow by a factor ``sqrt((n-1)/n)`` and
uses normal rather than Student-t quantiles, so the resampled deviations around the estimate are
widened by ``sqrt(n/(n-1)) * t(n-1) / z`` before taking percentiles ("expanded" percentile
bootstrap). The change between two runs is computed on the log ratio ``log(new/base)`` (symmetric,
multiplicative, like speed changes are) and reported as a percent ``(new/base - 1) * 100``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

Stat = Callable[[np.ndarray], np.ndarray]  # statistic along the last axis

#: statistic name -> function along the last axis (vectorised over resamples)
STATS: dict[str, Stat] = {
    "mean": lambda a: np.mean(a, axis=-1),
    "p50": lambda a: np.percentile(a, 50, axis=-1),
    "p95": lambda a: np.percentile(a, 95, axis=-1),
    "max": lambda a: np.max(a, axis=-1),
}
N_BOOT = 2000
LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """A statistic with its bootstrap interval and the sample count behind it."""

    estimate: float
    low: float
    high: float
    n: int
    level: float = LEVEL

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class Change:
    """``new`` relative to ``base`` in percent, with its interval; n of each side."""

    base: float
    new: float
    pct: float
    low: float
    high: float
    n_base: int
    n_new: int
    level: float = LEVEL


def clean(values: object) -> np.ndarray:
    """A 1-d float array without NaN (missing values do not count as samples)."""
    arr = np.asarray(values, dtype=float).ravel()
    return arr[~np.isnan(arr)]


def t_quantile(p: float, df: int) -> float:
    """Student-t quantile by the Cornish-Fisher expansion (error < 0.5% for df >= 3; no scipy needed)."""
    z = NormalDist().inv_cdf(p)
    v = float(df)
    return (
        z
        + (z**3 + z) / (4 * v)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3)
    )


def expansion(n: int, level: float = LEVEL) -> float:
    """How much wider than the plain percentile bootstrap an interval from n samples must be."""
    if n < 2:
        return 1.0
    p = 1 - (1 - level) / 2
    return float(np.sqrt(n / (n - 1)) * t_quantile(p, n - 1) / NormalDist().inv_cdf(p))


def resample(values: np.ndarray, stat: Stat, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``n_boot`` values of ``stat`` over resamples (with replacement) of ``values``."""
    idx = rng.integers(0, values.size, size=(n_boot, values.size))
    return stat(values[idx])


def _expanded(estimate: float, draws: np.ndarray, factor: float, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return estimate - (estimate - low) * factor, estimate + (high - estimate) * factor


def interval(
    values: object, stat: str = "mean", n_boot: int = N_BOOT, seed: int = 0, level: float = LEVEL
) -> Interval | None:
    """The statistic and its expanded percentile-bootstrap interval; None below two samples."""
    data = clean(values)
    if data.size < 2:
        return None
    fn = STATS[stat]
    estimate = float(fn(data))
    draws = resample(data, fn, n_boot, np.random.default_rng(seed))
    low, high = _expanded(estimate, draws, expansion(data.size, level), level)
    return Interval(estimate, float(low), float(high), int(data.size), level)


def change(
    base: object,
    new: object,
    stat: str = "mean",
    n_boot: int = N_BOOT,
    seed: int = 0,
    level: float = LEVEL,
) -> Change | None:
    """Percent change of ``stat`` from ``base`` to ``new`` (independent samples) with its interval.

    None when either side has fewer than two positive values (a log ratio needs positive numbers:
    latencies, rates, bytes and 1–5 scores all are).
    """
    a, b = clean(base), clean(new)
    a, b = a[a > 0], b[b > 0]
    if a.size < 2 or b.size < 2:
        return None
    fn = STATS[stat]
    est_a, est_b = float(fn(a)), float(fn(b))
    rng = np.random.default_rng(seed)
    log_ratio = np.log(resample(b, fn, n_boot, rng)) - np.log(resample(a, fn, n_boot, rng))
    point = float(np.log(est_b) - np.log(est_a))
    low, high = _expanded(point, log_ratio, expansion(min(a.size, b.size), level), level)
    to_pct = lambda x: float(np.expm1(x) * 100)  # noqa: E731
    return Change(est_a, est_b, to_pct(point), to_pct(low), to_pct(high), int(a.size), int(b.size), level)


def single_change(base: float, new: float) -> Change | None:
    """The change between two single measurements (load time, size): no interval can be drawn."""
    if not (np.isfinite(base) and np.isfinite(new)) or base <= 0:
        return None
    pct = (new / base - 1) * 100
    return Change(float(base), float(new), float(pct), float("nan"), float("nan"), 1, 1)
