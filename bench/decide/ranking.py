"""A weighted ranking that knows how sure it is: P(best) and a rank interval per candidate.

Min-max normalising raw means turns 437 ms against 440 ms into 1.0 against 0.0, so noise decides.
Here each criterion is scored **relative to the best candidate**: the best gets 1, another gets
``best / value`` when lower is better (latency, memory, size) or ``value / best`` when higher is
better (quality, decode tok/s, a workload's pass rate ``pass:WORKLOAD``; energy per output token and
the cost estimate are lower-is-better and weighted 0 unless asked for). 437 ms vs 440 ms becomes 1.0
vs 0.993: a 0.7% difference stays a 0.7% difference. A missing value never scores: a criterion that
some candidate lacks is left out for every candidate (named in ``dropped``, said in the reasons), so
no model wins on a number it does not have. A memory or size of 0 is not a measurement and counts as
missing.

Uncertainty: every resample redraws each candidate's *prompts* with replacement (the cluster
bootstrap of :mod:`bench.stats.bootstrap`: every round of a drawn prompt comes along, and the same
drawn prompts give its latency, its decode speed and its scored items, so the values of one request
stay together), and recomputes the weighted scores and ranks. A workload's pass rate is redrawn the
way quality is: its checked answers clustered by their prompt (the same draw when they cover the same
prompts, else a draw of the workload's own prompts). ``p_best`` is the share of resamples a candidate
came first (ties shared), the rank interval the 2.5th–97.5th percentile of its ranks. Energy per token
is the ratio of summed joules to summed output tokens over the redrawn requests. Memory, size and the
cost estimate (a price the user sets, applied once) are single values and do not vary between
resamples. Seeded: the same data gives the same probabilities.

A model is named only when its ``p_best`` reaches ``level`` (default 0.8). Otherwise the candidates
whose rank interval reaches 1 are tied within the noise, and :func:`more_data_for` estimates how
much more data would let the leader beat every rival at once (a margin over its spread grows like
sqrt(n); see there). :func:`more_data` is the two-candidate shortcut from P(best) alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np

from bench.decide.candidates import Candidate
from bench.decide.workload_pass import workload_of
from bench.stats import bootstrap

CRITERIA = ("quality", "latency", "throughput", "memory", "size", "energy", "cost", "reliability")
#: besides CRITERIA, one per workload weighted: ``pass:tool-calls`` (higher is better), see criteria_in
LOWER_IS_BETTER = {"latency", "memory", "size", "energy", "cost"}
LATENCY = {
    "p95": ("e2e", "p95"),
    "p50": ("e2e", "p50"),
    "ttft": ("ttft", "mean"),
    "ttft4k": ("ttft_long", "p95"),
}
N_BOOT = 2000
LEVEL = 0.8
#: beyond this many times the data, two candidates are called practically equal
MAX_FACTOR = 100.0


@dataclass
class Ranked:
    """One candidate's place: point score and rank, and how sure they are."""

    name: str
    score: float
    rank: int
    p_best: float
    rank_low: int
    rank_high: int
    score_low: float
    score_high: float
    missing: list[str] = field(default_factory=list)


@dataclass
class MoreData:
    """How much more data would likely separate the leader from the runner-up."""

    factor: float  # times the current data; inf = practically equal
    requests: int  # more measured requests per candidate
    items: int  # more scored items per candidate
    practically_equal: bool = False


@dataclass
class Ranking:
    """The ranked candidates (best first) and the verdict at ``level``."""

    rows: list[Ranked]
    criteria: list[str]  # the criteria that counted (weight > 0 and some candidate has a value)
    weights: dict[str, float]
    level: float
    n_boot: int
    winner: str | None = None
    tied: list[str] = field(default_factory=list)
    more: MoreData | None = None
    #: weighted criteria left out for everyone because these candidates lack a value
    dropped: dict[str, list[str]] = field(default_factory=dict)

    def __deepcopy__(self, memo: dict[int, Any]) -> Ranking:
        """The same object: a finished ranking is never changed, and pandas deep-copies a table's
        ``attrs`` (where the decision keeps it) on every operation, 25,000 copies per report."""
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---- values per resample -------------------------------------------------------------------------
def _draws(
    cand: Candidate,
    criterion: str,
    latency_stat: str,
    source: str | None,
    n_boot: int,
    rng: np.random.Generator,
    picks: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """(point value, n_boot resampled values) of one criterion; NaN when the candidate lacks it.

    ``picks`` (prompts drawn per resample) is shared by every criterion of one candidate.
    """
    if criterion in ("memory", "size", "cost"):
        value = float({"memory": cand.memory, "size": cand.size, "cost": cand.cost}[criterion])
        if criterion != "cost" and not value > 0:
            value = float("nan")  # 0 bytes is not a measurement
        return value, np.full(n_boot, value)
    if criterion == "energy":
        return cand.energy_per_token(), cand.energy_draws(n_boot, rng)
    if criterion == "reliability":  # share of counted requests that succeeded (higher is better)
        if cand.failed is None or cand.failed.size == 0:
            return float("nan"), np.full(n_boot, np.nan)
        ok = 1.0 - cand.failed
        return float(ok.mean()), (
            np.full(1, ok.mean()) if n_boot == 1 else bootstrap.draws(ok, "mean", None, n_boot, rng)
        )
    if criterion == "quality":
        key, stat = f"quality:{source or ''}", "mean"
        data = cand.quality.get(source or "", np.empty(0))
    elif (workload := workload_of(criterion)) is not None:  # redrawn by prompt, like quality's items
        score = cand.workloads.get(workload)
        key, stat, data = criterion, "mean", score.passed if score is not None else np.empty(0)
    elif criterion == "latency":
        key, stat = LATENCY[latency_stat]
        data = cand.samples(key)
    else:
        key, data, stat = "decode_tps", cand.decode_tps, "mean"
    if data.size == 0:
        return float("nan"), np.full(n_boot, np.nan)
    point = float(bootstrap.STATS[stat](data))
    if n_boot == 1:
        return point, np.full(1, point)
    return point, bootstrap.draws(data, stat, cand.prompts_of(key), n_boot, rng, picks)


def relative(values: np.ndarray, lower_is_better: bool) -> np.ndarray:
    """Scores in 0..1 relative to the best of each row (last axis = candidates); missing gives 0.

    The best is taken with infinities standing in for missing values, not ``nanmin``/``nanmax``: a row
    where nothing was measured then needs no warning (numpy's "All-NaN slice"), and scores the same.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        if lower_is_better:
            best = np.where(values > 0, values, np.inf).min(axis=-1, keepdims=True)
            out = np.where(values > 0, best / values, np.where(values == 0, 1.0, np.nan))
        else:
            best = np.where(np.isnan(values), -np.inf, values).max(axis=-1, keepdims=True)
            out = np.where(best > 0, values / best, 1.0)
    return np.nan_to_num(np.clip(out, 0.0, 1.0), nan=0.0)


def criteria_in(weights: Mapping[str, float]) -> list[str]:
    """:data:`CRITERIA` then the per-workload criteria (``pass:WORKLOAD``) that ``weights`` names."""
    return [*CRITERIA, *(c for c in weights if workload_of(c) is not None)]


def _available(
    cands: Sequence[Candidate], weights: Mapping[str, float], source: str | None, stat: str
) -> list[str]:
    out = []
    for c in criteria_in(weights):
        if weights.get(c, 0) <= 0:
            continue
        point = [_draws(x, c, stat, source, 1, np.random.default_rng(0))[0] for x in cands]
        if point and all(not math.isnan(v) for v in point):
            out.append(c)
    return out


def dropped(
    cands: Sequence[Candidate], weights: Mapping[str, float], source: str | None, stat: str
) -> dict[str, list[str]]:
    """Weighted criteria left out because some candidates lack them: criterion -> those candidates."""
    out = {}
    for c in criteria_in(weights):
        if weights.get(c, 0) <= 0:
            continue
        lacking = [
            x.name for x in cands if math.isnan(_draws(x, c, stat, source, 1, np.random.default_rng(0))[0])
        ]
        if lacking and len(lacking) < len(cands):
            out[c] = lacking
    return out


def _shared_picks(cand: Candidate, n_boot: int, rng: np.random.Generator) -> np.ndarray | None:
    """The prompts drawn for one candidate in every resample, shared across its criteria."""
    ids = cand.prompts_of("e2e")
    if ids is None or n_boot == 1:
        return None
    k = len(set(ids.tolist()))
    return rng.integers(0, k, size=(n_boot, k)) if k >= 2 else None


# ---- the ranking ---------------------------------------------------------------------------------
def rank(
    cands: Sequence[Candidate],
    weights: Mapping[str, float],
    latency_stat: str = "p95",
    source: str | None = None,
    level: float = LEVEL,
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> Ranking:
    """Rank ``cands`` by weighted relative scores, with P(best) and rank intervals over resamples."""
    crit = _available(cands, weights, source, latency_stat)
    w = np.array([weights[c] for c in crit], dtype=float)
    rng = np.random.default_rng(seed)
    k = len(cands)
    point = np.zeros((len(crit), k))
    boot = np.zeros((len(crit), n_boot, k))
    picks = [_shared_picks(cand, n_boot, rng) for cand in cands]
    for i, c in enumerate(crit):
        for j, cand in enumerate(cands):
            point[i, j], boot[i, :, j] = _draws(cand, c, latency_stat, source, n_boot, rng, picks[j])
    if not crit or k == 0:
        rows = [Ranked(c.name, math.nan, 0, 0.0, 0, 0, math.nan, math.nan) for c in cands]
        return Ranking(
            rows, crit, dict(weights), level, n_boot, dropped=dropped(cands, weights, source, latency_stat)
        )
    total = w.sum()
    score = sum(w[i] * relative(point[i], crit[i] in LOWER_IS_BETTER) for i in range(len(crit))) / total
    scores = sum(w[i] * relative(boot[i], crit[i] in LOWER_IS_BETTER) for i in range(len(crit))) / total
    ranks = _ranks(scores)
    p_best = _p_best(scores)
    order = sorted(range(k), key=lambda j: (-score[j], -p_best[j], cands[j].name))
    rows = []
    for place, j in enumerate(order, start=1):
        missing = [c for i, c in enumerate(crit) if math.isnan(point[i, j])]
        rows.append(
            Ranked(
                name=cands[j].name,
                score=float(score[j]),
                rank=place,
                p_best=float(p_best[j]),
                rank_low=int(np.quantile(ranks[:, j], 0.025, method="lower")),
                rank_high=int(np.quantile(ranks[:, j], 0.975, method="higher")),
                score_low=float(np.percentile(scores[:, j], 2.5)),
                score_high=float(np.percentile(scores[:, j], 97.5)),
                missing=missing,
            )
        )
    result = Ranking(rows, crit, {c: float(weights[c]) for c in crit}, level, n_boot)
    result.dropped = dropped(cands, weights, source, latency_stat)
    _verdict(result, order, cands, scores)
    return result


def _ranks(scores: np.ndarray) -> np.ndarray:
    """1 = best, per resample (rows); equal scores share the better rank."""
    return (scores[:, None, :] > scores[:, :, None]).sum(axis=2) + 1


def _p_best(scores: np.ndarray) -> np.ndarray:
    top = scores.max(axis=1, keepdims=True)
    at_top = np.isclose(scores, top, rtol=0, atol=1e-12)
    return (at_top / at_top.sum(axis=1, keepdims=True)).mean(axis=0)


def _verdict(result: Ranking, order: list[int], cands: Sequence[Candidate], scores: np.ndarray) -> None:
    rows = result.rows
    if len(rows) == 1 or rows[0].p_best >= result.level:
        result.winner = rows[0].name
        return
    result.tied = [r.name for r in rows if r.rank_low <= 1]
    if len(result.tied) < 2:
        result.tied = [r.name for r in rows[:2]]
    lead, second = order[0], order[1]
    requests = max(cands[lead].e2e.size, cands[second].e2e.size)
    items = max((v.size for c in (cands[lead], cands[second]) for v in c.quality.values()), default=0)
    result.more = more_data_for(scores, lead, result.level, requests, items)


def _p_lead(z: np.ndarray, factor: float) -> float:
    """P(the leader beats every rival) with ``factor`` times the data, rivals taken as independent."""
    return float(np.prod([NormalDist().cdf(math.sqrt(factor) * zi) for zi in z]))


def more_data_for(scores: np.ndarray, lead: int, level: float, requests: int, items: int) -> MoreData:
    """Data for the leader to be best in ``level`` of resamples, against *every* rival at once.

    Each rival i has a margin ``z_i`` = mean / sd of (leader's score - rival's score) over the
    resamples; each grows like sqrt(n). With f times the data the leader beats all with probability
    about ``prod Phi(sqrt(f) z_i)``: f is where that reaches ``level``. A rival level with or ahead
    of the leader (``z_i <= 0``), or f beyond 100x, is "practically equal".
    """
    diffs = scores[:, [lead]] - np.delete(scores, lead, axis=1)
    sd = diffs.std(axis=0)
    z = np.where(sd > 0, diffs.mean(axis=0) / np.where(sd > 0, sd, 1), np.inf)
    if z.size == 0 or (z <= 0).any() or _p_lead(z, MAX_FACTOR) < level:
        return MoreData(math.inf, 0, 0, practically_equal=True)
    lo, hi = 1.0, MAX_FACTOR
    if _p_lead(z, lo) >= level:
        return MoreData(1.0, 0, 0)
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if _p_lead(z, mid) >= level else (mid, hi)
    extra = hi - 1
    return MoreData(hi, math.ceil(requests * extra), math.ceil(items * extra))


def more_data(p_best: float, level: float, requests: int, items: int) -> MoreData:
    """Data needed for the leader, best in ``p_best`` of resamples now, to reach ``level``.

    The leader's margin over the spread of the resampled scores behaves like a z-score,
    ``z = Phi^-1(p_best)``, and grows like sqrt(n): reaching ``z(level)`` takes
    ``f = (z(level) / z)**2`` times the data. A leader at about 50% cannot be separated
    (practically equal).
    """
    z_now = NormalDist().inv_cdf(min(max(p_best, 1e-9), 1 - 1e-9))
    z_need = NormalDist().inv_cdf(level)
    factor = math.inf if z_now <= 0 else max((z_need / z_now) ** 2, 1.0)
    if factor > MAX_FACTOR:
        return MoreData(math.inf, 0, 0, practically_equal=True)
    extra = factor - 1
    return MoreData(factor, math.ceil(requests * extra), math.ceil(items * extra))


def words(result: Ranking, prompts: int | None = None) -> str:
    """The verdict in one sentence a product manager can forward."""
    if not result.rows:
        return "No candidate to rank."
    if result.winner:
        top = result.rows[0]
        if len(result.rows) == 1:
            return f"{top.name} is the only candidate left."
        return f"{top.name} is best in {top.p_best:.0%} of resamples (at least {result.level:.0%} needed)."
    names = ", ".join(result.tied)
    text = f"No clear winner: {names} are tied within the noise (none is best in {result.level:.0%} of resamples)."
    more = result.more
    if more is None:
        return text
    if more.practically_equal:
        return text + " They are practically equal: more data is unlikely to separate them."
    parts = []
    if more.requests:
        n_rounds = math.ceil(more.requests / prompts) if prompts else 0
        rounds = (
            f" (about {n_rounds} more round{'s' if n_rounds != 1 else ''} of every prompt)" if prompts else ""
        )
        parts.append(f"about {more.requests} more measured requests per model{rounds}")
    if more.items:
        parts.append(f"about {more.items} more scored items per model")
    if parts:
        text += f" To separate the first two: {' and '.join(parts)} (≈{more.factor:.1f}× the data)."
    return text
