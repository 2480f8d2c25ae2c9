"""Decide: weights turn the per-model numbers into a ranking, a Pareto front and a recommendation.

- **Candidates** are the (run, model) pairs that finished with at least one measured request.
- **Raw values** with their n, from :mod:`bench.results`: quality (one source), latency (p50, p95 or
  mean TTFT), decode tok/s, memory (left out when not comparable), size, reliability (share of
  counted requests that succeeded; weight 0 unless asked: the default error limit already guards it),
  and per workload its pass rate ``pass:WORKLOAD`` (:mod:`bench.decide.workload_pass`; 0 unless asked).
- **Limits first** (:mod:`bench.decide.hard_limits`): a candidate that breaks a hard limit with 95%
  confidence is out, with the reason in words; one whose interval straddles a limit stays, flagged.
- **Scored relative to the best** survivor (best = 1; best/value or value/best), so 437 ms vs 440 ms is
  1.0 vs 0.993. A criterion some candidate lacks is left out for everyone (``attrs["dropped"]``).
- **Uncertainty** (:mod:`bench.decide.ranking`): prompts resampled, ranking recomputed per resample:
  ``p_best`` and a 95% rank interval; a model is named only when ``p_best`` reaches ``Criteria.level``.
- **Score** = sum(weight x normalised) / sum(weights of the criteria every candidate has).
- Candidates measured differently get no recommendation unless accepted (:mod:`bench.decide.differences`).
  Pure pandas (no Streamlit): the Decide page and the markdown/JSON report share it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, field_validator, model_validator

from bench.decide import differences, explain, hard_limits, ranking, workload_pass
from bench.decide.candidates import Candidate, ModelInfo, from_results, workload_scores
from bench.decide.pareto import Front, pareto_front  # noqa: F401  (re-exported: the page and reports use decide.*)
from bench.decide.ranking import CRITERIA, LOWER_IS_BETTER, criteria_in
from bench.decide.raw_values import LATENCY_STATS, as_count, as_float, raw_table
from bench.results import Results, load_results
from bench.stats.aggregates import MIN_N, MIN_N_QUALITY
from bench.store.store import Store
from bench.units import is_missing

#: criteria weighted 0 by default and listed only when weighted
OPTIONAL = ("energy", "cost", "reliability")
P95_MIN_N = MIN_N[95]
QUALITY_MIN_N = MIN_N_QUALITY
CLOSE_SCORE = 0.05

#: what the score and the chart call each criterion
LABELS = {
    "quality": "Quality",
    "latency": "Latency (s)",
    "throughput": "Decode tok/s",
    "memory": "Memory (MB)",
    "size": "Size on disk (MB)",
    "energy": "Energy (J/token)",
    "cost": "Cost per 1k tokens (estimate)",
    "reliability": "Reliability (share ok)",
}


def label(c: str) -> str:
    """What the score, the chart and the page call a criterion (``Pass rate: tool-calls`` per workload)."""
    workload = workload_pass.workload_of(c)
    return f"Pass rate: {workload}" if workload is not None else LABELS[c]


class Criteria(BaseModel):
    """Weights (any non-negative numbers, not all zero; only their ratios matter) and sources."""

    model_config = ConfigDict(extra="forbid")

    quality: float = Field(default=0.4, ge=0)
    latency: float = Field(default=0.3, ge=0)
    throughput: float = Field(default=0.1, ge=0)
    memory: float = Field(default=0.1, ge=0)
    size: float = Field(default=0.1, ge=0)
    #: joules per output token and the cost estimate: 0 unless asked for (not every machine measures)
    energy: float = Field(default=0.0, ge=0)
    cost: float = Field(default=0.0, ge=0)
    reliability: float = Field(default=0.0, ge=0)  # 1 - error rate
    #: workload -> weight of its pass rate (``pass:WORKLOAD``, higher is better); none unless asked for
    workloads: dict[str, NonNegativeFloat] = Field(default_factory=dict)
    #: "people" or "judge:<model>"; None = the first source with scores (people before judges)
    scored_by: str | None = None
    latency_stat: Literal["p95", "p50", "ttft", "ttft4k"] = "p95"
    #: name a model only when it is best in at least this share of resamples
    level: float = Field(default=ranking.LEVEL, gt=0.5, lt=1.0)

    @field_validator("workloads")
    @classmethod
    def _known_workloads(cls, value: dict[str, float]) -> dict[str, float]:
        for workload in value:
            if wrong := workload_pass.unknown(workload):
                raise ValueError(wrong)
        return value

    @model_validator(mode="after")
    def _some_weight(self) -> Criteria:
        if sum(self.weights().values()) <= 0:
            raise ValueError("at least one weight must be above 0")
        return self

    def weights(self) -> dict[str, float]:
        """Every criterion's weight; energy, cost, reliability and workloads only when given one (most
        machines lack a sensor, most runs hold no workload set)."""
        fixed = {c: float(getattr(self, c)) for c in CRITERIA if c not in OPTIONAL or getattr(self, c) > 0}
        return fixed | {workload_pass.criterion(w): float(v) for w, v in self.workloads.items() if v > 0}


@dataclass
class Recommendation:
    model: str | None
    score: float | None
    reasons: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    run_id: str | None = None
    series: str | None = None
    #: share of resamples the model came first (None: ranked from means alone, no samples)
    p_best: float | None = None
    rank_low: int | None = None
    rank_high: int | None = None
    level: float = ranking.LEVEL
    #: no clear winner: the candidates tied within the noise, and the verdict in words
    tied: list[str] = field(default_factory=list)
    verdict: str = ""
    #: "series: reason" for each candidate a hard limit removed; "series: flag" for the kept-but-close
    excluded: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def normalise(values: pd.Series, lower_is_better: bool) -> pd.Series:
    """Relative to the best (1 = best; best/value when lower is better, value/best when higher); missing is 0.

    Unlike min-max, a 0.7% difference stays a 0.7% difference: noise cannot turn 437 ms against
    440 ms into 1 against 0.
    """
    return pd.Series(ranking.relative(values.to_numpy(dtype=float), lower_is_better), index=values.index)


def _one(value: Any) -> np.ndarray:
    return np.array([] if is_missing(value) else [float(value)])


def _point_candidates(rows: pd.DataFrame, source: str, stat: str) -> list[Candidate]:
    """Candidates from the raw means alone (no samples): a ranking without uncertainty."""
    return [
        Candidate(
            name=str(r["series"]),
            model=str(r["model"]),
            e2e=_one(r.get("latency")) if stat != "ttft" else np.empty(0),
            ttft=_one(r.get("latency")) if stat == "ttft" else np.empty(0),
            decode_tps=_one(r.get("throughput")),
            memory=as_float(r.get("memory")),
            size=as_float(r.get("size")),
            quality={source: _one(r.get("quality"))},
            energy_j=_one(r.get("energy")),
            energy_tokens=np.ones(_one(r.get("energy")).size),  # J/token over one "token": the mean itself
            cost=as_float(r.get("cost")),
            failed=None if is_missing(r.get("reliability")) else np.array([1.0 - float(r["reliability"])]),
            workloads={
                w: workload_pass.WorkloadScore(_one(r.get(c)), np.empty(0, dtype=object))
                for c in r
                if (w := workload_pass.workload_of(str(c))) is not None and not str(c).endswith("_n")
            },
        )
        for r in rows.to_dict("records")
    ]


def score_table(
    raw: pd.DataFrame, criteria: Criteria, cands: Sequence[Candidate] | None = None
) -> pd.DataFrame:
    """Relative criteria, score, rank, P(best) and rank interval for the eligible rows of ``raw``.

    Eligible: a candidate (finished with measured requests) not removed by a limit (``out``).
    With ``cands`` (their samples) the ranking is resampled (:func:`bench.decide.ranking.rank`); without,
    it is computed from the means alone and ``p_best``/``rank_low``/``rank_high`` stay empty.
    Adds ``norm_<criterion>``, ``missing``, ``score``, ``rank`` (1 = best), ``p_best``,
    ``rank_low``, ``rank_high``. Sorted by rank, unranked last.
    """
    out = raw.copy()
    for col, default in (("candidate", True), ("out", False)):
        if col not in out:
            out[col] = default
    eligible = out["candidate"].astype(bool) & ~out["out"].astype(bool)
    rows = out[eligible]
    # a criterion some eligible candidate lacks is left out for everyone: a missing value never scores
    every = criteria_in(criteria.weights())
    available = [c for c in every if c in out and len(rows) and rows[c].notna().all()]
    source = criteria.scored_by or next((str(s) for s in out.get("scored_by", []) if s), "")
    uncertain = cands is not None
    pool = list(cands) if uncertain else _point_candidates(rows, source, criteria.latency_stat)
    names = set(rows["series"]) if "series" in rows else set()
    pool = [c for c in pool if c.name in names]
    result = ranking.rank(
        pool,
        criteria.weights(),
        criteria.latency_stat,
        source,
        criteria.level,
        n_boot=ranking.N_BOOT if uncertain else 1,
    )
    by_name = {r.name: r for r in result.rows}
    for c in every:
        out[f"norm_{c}"] = np.nan
        if c in available:
            out.loc[eligible, f"norm_{c}"] = normalise(rows[c].astype(float), c in LOWER_IS_BETTER)
    ranked = [by_name.get(str(s)) if ok else None for s, ok in zip(out["series"], eligible, strict=True)]
    scored = [r if r is not None and not np.isnan(r.score) else None for r in ranked]
    out["missing"] = [list(r.missing) if r else [] for r in ranked]
    out["score"] = [r.score if r else np.nan for r in scored]
    out["rank"] = pd.array([r.rank if r else pd.NA for r in scored], dtype="Int64")
    out["p_best"] = [r.p_best if r and uncertain else np.nan for r in scored]
    out["rank_low"] = pd.array([r.rank_low if r and uncertain else pd.NA for r in scored], dtype="Int64")
    out["rank_high"] = pd.array([r.rank_high if r and uncertain else pd.NA for r in scored], dtype="Int64")
    out.attrs.update(
        available=available, weights=criteria.weights(), ranking=result, uncertain=uncertain,
        dropped=result.dropped,
    )  # fmt: skip
    out = out.assign(_unranked=out["rank"].isna(), _r=out["rank"].fillna(0))
    return out.sort_values(["_unranked", "_r", "order" if "order" in out else "model"], kind="stable").drop(
        columns=["_unranked", "_r"]
    )


def decision_table(
    store: Store,
    run_ids: Sequence[str],
    criteria: Criteria | None = None,
    results: Results | None = None,
    limits: Sequence[hard_limits.Limit] = (),
    info: dict[str, ModelInfo] | None = None,
    accept_differences: bool = False,
) -> pd.DataFrame:
    """Per (run, model): raw values with n, the limits' verdict, relative scores, rank, P(best), rank interval.

    Adds ``out`` (removed by a limit), ``out_reasons`` and ``flags`` (kept, but close to a limit
    or not checkable against it) to :func:`score_table`'s columns.
    """
    criteria = criteria or Criteria()
    results = results or load_results(store, run_ids)
    workloads = workload_scores(results, store)  # read once: the raw table and the candidates share it
    raw = raw_table(store, run_ids, criteria, results, workloads)
    limits = hard_limits.with_default(limits)
    hard_limits.check_ranges(limits, hard_limits.ranges_of(results.sources))
    survivors, verdicts = hard_limits.apply(from_results(results, store, info, workloads), limits)
    by_name = {v.name: v for v in verdicts}
    none = hard_limits.LimitVerdict("")
    raw["out"] = [by_name.get(s, none).out for s in raw["series"]]
    raw["out_reasons"] = [list(by_name.get(s, none).reasons) for s in raw["series"]]
    raw["flags"] = [list(by_name.get(s, none).flags) for s in raw["series"]]
    for cand in survivors:
        if not cand.memory_comparable:
            cand.memory = float("nan")  # ranked like raw_table: memory measured differently is left out
    table = score_table(raw, criteria, survivors)
    table.attrs["limits"] = [limit.words() for limit in limits]
    table.attrs.update(
        differences=differences.differences(store, run_ids, results), accepted=accept_differences,
        unvalidated=differences.unvalidated(results, str(raw["scored_by"].iloc[0]) if len(raw) else ""),
    )  # fmt: skip
    return table


weights_text = explain.weights_text


# ---- recommendation -------------------------------------------------------------------------------
def recommendation(table: pd.DataFrame) -> Recommendation:
    """The top-ranked candidate, why (in plain words, with n), and what to be careful about."""
    weights: dict[str, float] = table.attrs.get("weights") or Criteria().weights()
    available: list[str] = table.attrs.get("available") or [
        c for c in CRITERIA if c in table and table.loc[table["candidate"].astype(bool), c].notna().any()
    ]
    ranked = table[table["rank"].notna()].sort_values("rank")
    failed = [r["model"] for r in table.to_dict("records") if r["status"] == "failed"]
    caveats = [f"{m} failed and is not ranked" for m in failed] + explain.unmeasured(weights, available)
    caveats += [
        f"{explain.name(c)} left out of the score for every model: no value for {', '.join(names)}"
        for c, names in (table.attrs.get("dropped") or {}).items()
    ]
    excluded, flagged = explain.limit_lines(table)
    result: ranking.Ranking | None = table.attrs.get("ranking")
    level = result.level if result else ranking.LEVEL
    if blocked := differences.blocking(table):
        return Recommendation(None, None, caveats=blocked + caveats, level=level, verdict=blocked[0])
    caveats += differences.accepted_lines(table)
    if ranked.empty:
        if excluded:
            caveats.insert(0, "every candidate breaks a hard limit: relax a limit or add a model")
        elif table["candidate"].astype(bool).any():
            caveats.insert(0, "none of the weighted criteria was measured: give weight to another criterion")
        else:
            caveats.insert(0, "no model finished with measured requests")
        return Recommendation(
            model=None, score=None, caveats=caveats, level=level, excluded=excluded, flagged=flagged
        )
    top = ranked.iloc[0]
    cands = table[table["candidate"].astype(bool)]
    if "out" in cands:
        cands = cands[~cands["out"].astype(bool)]
    uncertain = bool(table.attrs.get("uncertain")) and result is not None
    prompts = _prompt_count(table)
    if uncertain and result.winner is None:
        if "quality" not in available:
            caveats.insert(0, "no quality scores: ranked on speed, memory and size only")
        return Recommendation(
            model=None,
            score=None,
            caveats=caveats,
            p_best=float(top["p_best"]),
            level=level,
            tied=list(result.tied),
            verdict=ranking.words(result, prompts),
            excluded=excluded,
            flagged=flagged,
        )
    stat = str(top.get("latency_stat") or "p95")
    stat_words = LATENCY_STATS.get(stat, ("", "", stat))[2]
    reasons = []
    if len(ranked) == 1:
        alone = "left within the limits" if excluded else "that finished with measured requests"
        reasons.append(f"the only model {alone}")
    else:
        second = ranked.iloc[1]
        reasons.append(
            f"highest weighted score among {len(ranked)} candidates ({top['score']:.2f} of 1;"
            f" next {second['series']} {second['score']:.2f})"
        )
        if uncertain:
            reasons.insert(
                0,
                f"best in {top['p_best']:.0%} of {result.n_boot:,} resamples of its requests and scored items"
                f" (rank {top['rank_low']}–{top['rank_high']} at 95%; {level:.0%} needed)",
            )
    for c in sorted(available, key=lambda c: -weights.get(c, 0)):
        if weights.get(c, 0) <= 0:
            continue
        standing, others = explain.standing(c, top, cands)
        if standing == "worse":  # a reason must never be a number the winner loses on
            caveats.append(explain.trade_off(c, top, others, stat_words))
            continue
        text = explain.reason(c, top, standing == "best", stat_words)
        if text and standing == "tied":
            text += f", tied with {', '.join(str(o['series']) for o in others)}"
        if text:
            reasons.append(text)
    if "quality" not in available:
        caveats.insert(0, "no quality scores: ranked on speed, memory and size only")
    elif is_missing(top["quality"]):
        caveats.insert(
            0, f"no quality scores by {top['scored_by']} for {top['model']}: counted as 0 on quality"
        )
    elif as_count(top["quality_n"]) < QUALITY_MIN_N:
        caveats.append(
            f"quality from fewer than {QUALITY_MIN_N} scored items (n={as_count(top['quality_n'])})"
        )
    if stat == "p95" and as_count(top["latency_n"]) < P95_MIN_N:
        caveats.append(f"p95 from fewer than {P95_MIN_N} samples (n={as_count(top['latency_n'])})")
    if not uncertain and len(ranked) > 1 and top["score"] - ranked.iloc[1]["score"] <= CLOSE_SCORE + 1e-12:
        caveats.append(
            f"runner-up within {CLOSE_SCORE} of the score ({ranked.iloc[1]['series']}"
            f" {ranked.iloc[1]['score']:.2f} vs {top['score']:.2f})"
        )
    bases = {b for b in cands.get("memory_basis", pd.Series(dtype=str)) if b}
    if len(bases) > 1:
        caveats.append("memory is measured differently across models (some lack a baseline)")
    return Recommendation(
        model=str(top["model"]),
        score=float(top["score"]),
        reasons=reasons,
        caveats=caveats,
        run_id=str(top["run_id"]) if "run_id" in top else None,
        series=str(top["series"]) if "series" in top else None,
        p_best=float(top["p_best"]) if uncertain else None,
        rank_low=int(top["rank_low"]) if uncertain else None,
        rank_high=int(top["rank_high"]) if uncertain else None,
        level=level,
        verdict=ranking.words(result, prompts) if uncertain else "",
        excluded=excluded,
        flagged=flagged,
    )


def _prompt_count(table: pd.DataFrame) -> int | None:
    """Prompts per round (to turn 'more requests' into 'more rounds'), when the table knows it."""
    value = table.attrs.get("prompts")
    return int(value) if value else None


def recommendation_markdown(
    rec: Recommendation, criteria: Criteria, table: pd.DataFrame | None = None, limits: Sequence[str] = ()
) -> list[str]:
    """Lines of the report's Recommendation section: the verdict, why, the limits, the ranked table."""
    how = f"weights {weights_text(criteria.weights())}, latency {LATENCY_STATS[criteria.latency_stat][2]}"
    return explain.markdown_lines(rec, how, table, limits)
