"""The one interval function of SLM Bench: seeded cluster bootstrap by prompt, and proportions.

Every interval, P(best), limit and verdict (Results, Compare, Decide, the limits, the reports) comes
from here, so the same data never gets two intervals.

**The prompt is the unit of certainty.** Rounds of one prompt are correlated (same input, same
answer length), so resampling single requests makes intervals too narrow when rounds > 1. A
resample draws *prompts* with replacement and keeps every round of a drawn prompt (the cluster
bootstrap, "resample clusters, not units"): the spread of a prompt's rounds is already inside its
cluster, and resampling the rounds again within it would count that spread twice. Latency and
speed of one request stay together, because whole requests are drawn. Without prompt ids each
request is its own cluster (the plain bootstrap); with one prompt the rounds are the units.
``n`` is shown as prompts x rounds (:meth:`Interval.n_words`).

Small-sample correction: the percentile bootstrap of k clusters is too narrow by ``sqrt((k-1)/k)``
and uses normal instead of Student-t quantiles, so deviations from the estimate are widened by
``sqrt(k/(k-1)) * t(k-1) / z`` (the "expanded" percentile bootstrap, k = clusters).

**Changes between two runs** are the log ratio ``log(stat(new) / stat(base))`` reported as a percent;
when both runs measured the same prompts the two sides are drawn with the *same* prompts (paired),
so a hard prompt is hard in both and its effect cancels. Its interval is ``estimate ± t(k-1) * se``
with ``se`` the bootstrap standard error widened by ``sqrt(k/(k-1))`` (k = prompts): with 5 prompts a
percentile interval cannot say less than "all 5 prompts moved the same way" (p = 1/32), which fails
a 15-row gate a third of the time; the t form keeps the gate at its level. Paired, its degrees of
freedom are Kish's effective number of prompts minus one (a prompt that takes most of the time
counts for more than the others). The statistic, not each value, must be
positive: zeros and failed-item scores of 0 stay in the data.

**Proportions** (error, truncation and pass rates) are proportions, not means to bootstrap: Wilson
score intervals, and differences in percentage points with Newcombe's hybrid score interval, from
statsmodels. **Several gated rows** share one family-wise error rate through Holm–Bonferroni
(:func:`bench.stats.multiple_tests.holm`), on one-sided p-values (:func:`p_beyond`) of "worse by more
than the threshold".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from bench.stats.nan_quantile import nan_percentile  # numpy's nanpercentile, vectorised

Stat = Callable[[np.ndarray], np.ndarray]  # statistic along the last axis, NaN = no value


def _nan_aware(fast: Callable[..., np.ndarray], slow: Callable[..., np.ndarray], *args: float) -> Stat:
    """numpy's fast statistic when there is no NaN padding (unequal rounds per prompt), else its nan- twin."""
    return lambda a: slow(a, *args, axis=-1) if np.isnan(a).any() else fast(a, *args, axis=-1)


#: statistic name -> function along the last axis (vectorised over resamples; NaN padding ignored)
STATS: dict[str, Stat] = {
    "mean": _nan_aware(np.mean, np.nanmean),
    "p50": _nan_aware(np.percentile, nan_percentile, 50),
    "p95": _nan_aware(np.percentile, nan_percentile, 95),
    "p99": _nan_aware(np.percentile, nan_percentile, 99),
    "max": _nan_aware(np.max, np.nanmax),
}
#: the fewest values a statistic needs before it gets an interval or a verdict ("too few samples")
MIN_N = {"mean": 2, "p50": 2, "p95": 20, "p99": 100, "max": 2}
N_BOOT = 2000
LEVEL = 0.95
TOO_FEW = "too few samples"


@dataclass(frozen=True)
class Interval:
    """A statistic with its interval, the values behind it, and how many prompts they came from."""

    estimate: float
    low: float
    high: float
    n: int
    level: float = LEVEL
    prompts: int = 0  # clusters drawn (0: each value its own unit)

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def n_words(self) -> str:
        return n_words(self.n, self.prompts)


@dataclass(frozen=True)
class Change:
    """``new`` against ``base``: a percent (``kind="ratio"``), percentage points (``"pp"``) or one value each.

    A ``"ratio"`` keeps the standard error of its log ratio for :func:`p_beyond`; a ``"pp"`` change
    keeps its counts instead, to invert Newcombe's interval.
    """

    base: float
    new: float
    pct: float
    low: float
    high: float
    n_base: int
    n_new: int
    level: float = LEVEL
    kind: str = "ratio"
    prompts: int = 0
    paired: bool = False
    #: log-ratio standard error (bootstrap, small-sample corrected) and its degrees of freedom (units - 1)
    se: float = math.nan
    df: float = 0.0
    counts: tuple[float, int, float, int] | None = field(default=None, repr=False, compare=False)


def n_words(n: int, prompts: int) -> str:
    """``5 prompts × 20 rounds`` (when every prompt has the same rounds), ``5 prompts, 97 requests``, ``n=12``."""
    if prompts <= 1:
        return f"n={n}"
    rounds, rest = divmod(n, prompts)
    return f"{prompts} prompts × {rounds} rounds" if not rest else f"{prompts} prompts, {n} requests"


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
    """How much wider than the plain percentile bootstrap an interval from n units must be."""
    if n < 2:
        return 1.0
    p = 1 - (1 - level) / 2
    return float(np.sqrt(n / (n - 1)) * t_quantile(p, n - 1) / NormalDist().inv_cdf(p))


# ---- clusters ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Clusters:
    """Values grouped by prompt into a NaN-padded matrix (one row per prompt), ready to resample."""

    keys: tuple[str, ...]
    matrix: np.ndarray  # (prompts, most rounds), NaN-padded
    n: int
    by_prompt: bool

    @property
    def k(self) -> int:
        return len(self.keys)


def clusters(values: object, groups: Sequence[object] | None = None) -> Clusters:
    """Group ``values`` by ``groups`` (prompt ids); NaN values are dropped, a prompt without values too.

    Without groups, or with a single prompt, each value is its own cluster (its own unit).
    """
    arr = np.asarray(values, dtype=float).ravel()
    keep = ~np.isnan(arr)
    if groups is not None:
        # a Series of pandas' Arrow strings yields one element at a time slowly: take its objects first
        plain = groups.to_numpy(dtype=object) if hasattr(groups, "to_numpy") else groups
        keys_all = np.asarray([str(g) for g in plain], dtype=object)[keep]
        if len(set(keys_all)) >= 2:
            arr = arr[keep]
            keys = tuple(dict.fromkeys(keys_all))
            rows = [arr[keys_all == key] for key in keys]
            width = max(r.size for r in rows)
            matrix = np.full((len(rows), width), np.nan)
            for i, row in enumerate(rows):
                matrix[i, : row.size] = row
            return Clusters(keys, matrix, int(arr.size), True)
    arr = arr[keep]
    return Clusters(tuple(str(i) for i in range(arr.size)), arr.reshape(-1, 1), int(arr.size), False)


def _picks(k: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, k, size=(n_boot, k))


def _stat_draws(c: Clusters, fn: Stat, picks: np.ndarray) -> np.ndarray:
    """The statistic over each resample (rows of ``picks`` = the clusters drawn)."""
    if c.matrix.shape[1] == 1:
        return fn(c.matrix[:, 0][picks])
    if fn is STATS["mean"]:  # the mean of drawn prompts = their summed values / their summed counts
        return _mean_draws(c, picks)
    return _distinct_draws(c, fn, picks)


#: up to this many prompts, resamples that drew the same prompts (in any order) are computed once
DISTINCT_MAX_K = 16


def _distinct_draws(c: Clusters, fn: Stat, picks: np.ndarray) -> np.ndarray:
    """An order-free statistic (percentile, max) over each resample, computed once per distinct draw.

    It depends only on *how often* each prompt was drawn: with few prompts and many rounds (4 x 625)
    the 2,000 resamples hold a few dozen distinct draws (at most C(2k-1, k): 35 for 4 prompts), and
    gathering and sorting 2,000 x 2,500 values cost a report 0.1 s. Each distinct draw is computed
    from one resample that drew it: the same figures to the bit. Not for the mean (its sum depends on
    the order, at the last bit), which has its own fast path."""
    if c.k <= DISTINCT_MAX_K:
        n_boot = picks.shape[0]
        offsets = picks + (np.arange(n_boot) * c.k)[:, None]
        counts = np.bincount(offsets.ravel(), minlength=n_boot * c.k).reshape(n_boot, c.k)
        _, first, inverse = np.unique(counts, axis=0, return_index=True, return_inverse=True)
        if first.size < n_boot:
            chosen = picks[first]
            values = fn(c.matrix[chosen].reshape(chosen.shape[0], -1))
            return values[inverse.reshape(-1)]
    return fn(c.matrix[picks].reshape(picks.shape[0], -1))


def _mean_draws(c: Clusters, picks: np.ndarray) -> np.ndarray:
    """The resampled means from each prompt's sum and count: (resamples x prompts) work instead of
    (resamples x requests), the same numbers as the mean over the gathered values (to rounding)."""
    present = ~np.isnan(c.matrix)
    sums = np.where(present, c.matrix, 0.0).sum(axis=1)
    counts = present.sum(axis=1)
    return sums[picks].sum(axis=1) / counts[picks].sum(axis=1)


def draws(
    values: object,
    stat: str = "mean",
    groups: Sequence[object] | None = None,
    n_boot: int = N_BOOT,
    rng: np.random.Generator | None = None,
    picks: np.ndarray | None = None,
) -> np.ndarray:
    """``n_boot`` resampled values of ``stat`` (clusters by prompt); ``picks`` shares the draw across metrics."""
    c = clusters(values, groups)
    if c.n == 0:
        return np.full(n_boot, np.nan)
    if picks is None or picks.shape[1] != c.k:
        picks = _picks(c.k, n_boot, rng or np.random.default_rng(0))
    return _stat_draws(c, STATS[stat], picks)


def resample(values: np.ndarray, stat: Stat, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``n_boot`` values of ``stat`` over resamples (with replacement) of single values."""
    idx = rng.integers(0, values.size, size=(n_boot, values.size))
    return stat(values[idx])


def _widen(estimate: float, boot: np.ndarray, factor: float) -> np.ndarray:
    return estimate + (boot - estimate) * factor


def _bounds(widened: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(widened, [tail, 100 - tail])
    return float(low), float(high)


# ---- one statistic -------------------------------------------------------------------------------
def interval(
    values: object,
    stat: str = "mean",
    n_boot: int = N_BOOT,
    seed: int = 0,
    level: float = LEVEL,
    groups: Sequence[object] | None = None,
) -> Interval | None:
    """The statistic and its expanded cluster-bootstrap interval; None below the statistic's minimum n."""
    c = clusters(values, groups)
    if c.n < max(MIN_N[stat], 2):
        return None
    fn = STATS[stat]
    estimate = float(fn(c.matrix.ravel()))
    boot = _stat_draws(c, fn, _picks(c.k, n_boot, np.random.default_rng(seed)))
    low, high = _bounds(_widen(estimate, boot, expansion(c.k, level)), level)
    return Interval(estimate, low, high, c.n, level, c.k if c.by_prompt else 0)


def proportion(count: float, n: int, level: float = LEVEL) -> Interval | None:
    """A proportion (error, truncation, pass rate) with its Wilson score interval; None without units.

    statsmodels' ``proportion_confint(method="wilson")`` formula, written out: importing statsmodels
    (and scipy.stats with it) cost every report over a second."""
    if n <= 0:
        return None
    crit = NormalDist().inv_cdf(1 - (1 - level) / 2)
    share, crit2 = count / n, crit**2
    denom = 1 + crit2 / n
    centre = (share + crit2 / (2 * n)) / denom
    dist = crit * math.sqrt(share * (1.0 - share) / n + crit2 / (4.0 * n**2)) / denom
    return Interval(share, float(max(0.0, centre - dist)), float(min(1.0, centre + dist)), int(n), level)


# ---- two runs ------------------------------------------------------------------------------------
def _aligned(base: Clusters, new: Clusters) -> Clusters | None:
    """``new`` with its prompts in ``base``'s order when both measured exactly the same prompts."""
    if not (base.by_prompt and new.by_prompt) or set(base.keys) != set(new.keys):
        return None
    order = [new.keys.index(key) for key in base.keys]
    return Clusters(base.keys, new.matrix[order], new.n, True)


def change(
    base: object,
    new: object,
    stat: str = "mean",
    n_boot: int = N_BOOT,
    seed: int = 0,
    level: float = LEVEL,
    base_groups: Sequence[object] | None = None,
    new_groups: Sequence[object] | None = None,
) -> Change | None:
    """Percent change of ``stat`` from ``base`` to ``new``, paired by prompt when both share their prompts.

    None below the statistic's minimum n on either side, or when a statistic is not positive (a
    ratio needs positive numbers; values of 0 are kept, only the statistic must be above 0).
    """
    cb, cn = clusters(base, base_groups), clusters(new, new_groups)
    if min(cb.n, cn.n) < max(MIN_N[stat], 2):
        return None
    fn = STATS[stat]
    est_b, est_n = float(fn(cb.matrix.ravel())), float(fn(cn.matrix.ravel()))
    if est_b <= 0 or est_n <= 0:
        return None
    rng = np.random.default_rng(seed)
    paired = _aligned(cb, cn)
    if paired is not None:
        picks = _picks(cb.k, n_boot, rng)
        boot_b, boot_n = _stat_draws(cb, fn, picks), _stat_draws(paired, fn, picks)
    else:
        boot_b = _stat_draws(cb, fn, _picks(cb.k, n_boot, rng))
        boot_n = _stat_draws(cn, fn, _picks(cn.k, n_boot, rng))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(np.where(boot_n > 0, boot_n, np.nan)) - np.log(
            np.where(boot_b > 0, boot_b, np.nan)
        )
    log_ratio = log_ratio[np.isfinite(log_ratio)]
    point = float(np.log(est_n) - np.log(est_b))
    units = min(cb.k, cn.k)
    se = float(np.std(log_ratio)) * math.sqrt(units / (units - 1))
    df = _effective(cb) - 1 if paired is not None else cb.k + cn.k - 2  # paired: prompts; else two samples
    q = _t_ppf(1 - (1 - level) / 2, df)
    pct = lambda x: float(np.expm1(x) * 100)  # noqa: E731
    prompts = cb.k if paired is not None else (min(cb.k, cn.k) if cb.by_prompt and cn.by_prompt else 0)
    return Change(
        est_b, est_n, pct(point), pct(point - q * se), pct(point + q * se), cb.n, cn.n, level,
        "ratio", prompts, paired is not None, se=se, df=df,
    )  # fmt: skip


def _effective(c: Clusters) -> float:
    """Kish's effective number of prompts: a prompt with most of the time counts for more than one."""
    weights = np.nansum(c.matrix, axis=1)
    total = float((weights**2).sum())
    return max(2.0, float(weights.sum()) ** 2 / total) if total > 0 else float(c.k)


def proportion_change(
    base_count: float, base_n: int, new_count: float, new_n: int, level: float = LEVEL
) -> Change | None:
    """The change of a proportion in percentage points with Newcombe's hybrid score interval.

    Zeros are kept: 0% -> 20% is +20 points with an interval, not a division by zero.
    """
    if base_n <= 0 or new_n <= 0:
        return None
    low, high = _newcombe(base_count, base_n, new_count, new_n, 1 - level)
    pb, pn = base_count / base_n, new_count / new_n
    return Change(
        pb, pn, (pn - pb) * 100, low, high, int(base_n), int(new_n), level, "pp",
        counts=(float(base_count), int(base_n), float(new_count), int(new_n)),
    )  # fmt: skip


def _newcombe(xb: float, nb: int, xn: float, nn: int, alpha: float) -> tuple[float, float]:
    from statsmodels.stats.proportion import confint_proportions_2indep

    low, high = confint_proportions_2indep(xn, nn, xb, nb, method="newcomb", compare="diff", alpha=alpha)
    return float(low) * 100, float(high) * 100


def single_change(base: float, new: float) -> Change | None:
    """The change between two single measurements (memory, load time, size): no interval can be drawn."""
    if not (np.isfinite(base) and np.isfinite(new)) or base <= 0:
        return None
    pct = (new / base - 1) * 100
    return Change(float(base), float(new), float(pct), float("nan"), float("nan"), 1, 1, kind="single")


# ---- gates ---------------------------------------------------------------------------------------
def p_beyond(ch: Change, threshold: float, worse_is_up: bool) -> float:
    """One-sided p-value of "the change is NOT worse than ``threshold``" (percent or points).

    Small p = worse beyond the threshold with confidence. Consistent with the interval: p < 2.5%
    exactly when the whole 95% interval lies beyond the threshold. NaN for single values.
    """
    sign = 1.0 if worse_is_up else -1.0
    if ch.kind == "pp" and ch.counts is not None:
        return _p_newcombe(ch.counts, threshold, sign)
    if ch.kind != "ratio" or not ch.se > 0:
        return math.nan
    bound = math.log1p(sign * threshold / 100)
    t = sign * (math.log1p(ch.pct / 100) - bound) / ch.se
    return float(_t_sf(t, ch.df))


def _t_ppf(p: float, df: float) -> float:
    from scipy.stats import t as student

    return float(student.ppf(p, df))


def _t_sf(t: float, df: float) -> float:
    from scipy.stats import t as student

    return float(student.sf(t, df))


def _p_newcombe(counts: tuple[float, int, float, int], threshold: float, sign: float) -> float:
    """Invert Newcombe's interval: the one-sided level at which its near bound touches the threshold."""

    def beyond(alpha: float) -> bool:
        low, high = _newcombe(*counts, alpha)
        return (low > threshold) if sign > 0 else (high < -threshold)

    lo, hi = 1e-9, 0.999
    if beyond(lo):
        return 0.0
    if not beyond(hi):
        return 1.0
    for _ in range(40):
        mid = math.sqrt(lo * hi)
        lo, hi = (lo, mid) if beyond(mid) else (mid, hi)
    return hi / 2
