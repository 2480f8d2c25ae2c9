"""Decide: weights turn the per-model numbers into a ranking, a Pareto front and a recommendation.

Pure pandas (no Streamlit), so the app's Decide page and the markdown/JSON report share it.

- **Candidates** are the (run, model) pairs that finished (status ``done``) with at least one warm,
  successful request. Other models are listed unranked, with their status.
- **Raw values**, each with the count behind it: quality mean (one score source, never mixed),
  latency (p50 or p95 end-to-end, or mean TTFT), decode tok/s, memory (:mod:`bench.results`' one
  definition: peak - baseline RSS when both are known, else the peak, ``memory_basis`` says which;
  left out when not comparable) and size on disk. Everything is read from :mod:`bench.results`.
- **Normalised** 0..1 across the candidates by min-max (lower is better for latency, memory and
  size). One candidate, or equal values, give 1.0. A candidate without a value gets 0 and its
  criterion is named in ``missing``; a criterion no candidate has is left out of the score.
- **Score** = sum(weight x normalised) / sum(weights of the criteria some candidate has).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bench.metrics import MIN_N, MIN_N_QUALITY
from bench.results import Results, load_results
from bench.store import Store
from bench.units import fmt_bytes, is_missing

CRITERIA = ("quality", "latency", "throughput", "memory", "size")
LOWER_IS_BETTER = {"latency", "memory", "size"}
LATENCY_STATS: dict[str, tuple[str, str, str]] = {
    # key -> (summary column, its count column, words)
    "p95": ("e2e_s_p95", "e2e_s_n", "p95"),
    "p50": ("e2e_s_p50", "e2e_s_n", "p50"),
    "ttft": ("ttft_s_mean", "ttft_s_n", "mean time to first token"),
}
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
}


class Criteria(BaseModel):
    """Weights (any non-negative numbers, not all zero; only their ratios matter) and sources."""

    model_config = ConfigDict(extra="forbid")

    quality: float = Field(default=0.4, ge=0)
    latency: float = Field(default=0.3, ge=0)
    throughput: float = Field(default=0.1, ge=0)
    memory: float = Field(default=0.1, ge=0)
    size: float = Field(default=0.1, ge=0)
    #: "people" or "judge:<model>"; None = the first source with scores (people before judges)
    scored_by: str | None = None
    latency_stat: Literal["p95", "p50", "ttft"] = "p95"

    @model_validator(mode="after")
    def _some_weight(self) -> Criteria:
        if sum(self.weights().values()) <= 0:
            raise ValueError("at least one weight must be above 0")
        return self

    def weights(self) -> dict[str, float]:
        return {c: float(getattr(self, c)) for c in CRITERIA}


@dataclass
class Front:
    """The Pareto front of ``x`` (lower is better) against ``y`` (higher is better)."""

    points: pd.DataFrame  # the non-dominated candidates, sorted by x
    x: str
    y: str
    note: str = ""


@dataclass
class Recommendation:
    model: str | None
    score: float | None
    reasons: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    run_id: str | None = None
    series: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---- formatting ----------------------------------------------------------------------------------
def _secs(value: float) -> str:
    return f"{value:.3g} s"


def _n(value: Any) -> int:
    return 0 if is_missing(value) else int(value)


# ---- the table -----------------------------------------------------------------------------------
def raw_table(
    store: Store, run_ids: Sequence[str], criteria: Criteria, results: Results | None = None
) -> pd.DataFrame:
    """One row per (run, model) with the raw values and counts, before normalising.

    Memory that the run marked as not comparable (a remote server, a shared process) is left out
    (NaN), so no model wins or loses on a number measured differently from the others'.
    """
    results = results or load_results(store, run_ids)
    scored_by = criteria.scored_by or _default_source(results)
    col, n_col, _ = LATENCY_STATS[criteria.latency_stat]
    rows = []
    for m in results.models:
        q = m.quality.get(scored_by) if scored_by else None
        memory = m.memory_bytes if m.memory_comparable and m.memory_bytes is not None else np.nan
        rows.append(
            {
                "order": m.order,
                "run_id": m.run_id,
                "model": m.model,
                "series": m.series,
                "status": m.status,
                "error": m.error,
                "n": m.n,
                "candidate": m.candidate,
                "quality": q.mean if q else np.nan,
                "quality_n": q.n if q else 0,
                "quality_low": q.low if q else np.nan,
                "quality_high": q.high if q else np.nan,
                "scored_by": scored_by or "",
                "latency": _float(m.stat(col)),
                "latency_n": _n(m.stat(n_col)),
                "latency_stat": criteria.latency_stat,
                "throughput": _float(m.stat("decode_tps_mean")),
                "throughput_n": _n(m.stat("decode_tps_n")),
                "memory": memory,
                "memory_basis": m.memory_basis if not is_missing(memory) else "",
                "size": _float(m.size_bytes),
            }
        )
    return pd.DataFrame(rows, columns=_RAW_COLUMNS)


_RAW_COLUMNS = [
    "order", "run_id", "model", "series", "status", "error", "n", "candidate", "quality", "quality_n",
    "quality_low", "quality_high", "scored_by", "latency", "latency_n", "latency_stat", "throughput",
    "throughput_n", "memory", "memory_basis", "size",
]  # fmt: skip


def _float(value: Any) -> float:
    return np.nan if is_missing(value) else float(value)


def _default_source(results: Results) -> str | None:
    """The first validated score source (people before judges), else none."""
    return next((s.name for s in results.sources if s.validated), None)


def normalise(values: pd.Series, lower_is_better: bool) -> pd.Series:
    """Min-max to 0..1 (1 = best); equal values or a single one give 1.0; missing gives 0."""
    present = values.dropna()
    if present.empty:
        return pd.Series(0.0, index=values.index)
    low, high = float(present.min()), float(present.max())
    if high == low:
        out = values.where(values.isna(), 1.0)  # present values tie for best; missing stay missing
    elif lower_is_better:
        out = (high - values) / (high - low)
    else:
        out = (values - low) / (high - low)
    return out.fillna(0.0).astype(float)


def score_table(raw: pd.DataFrame, criteria: Criteria) -> pd.DataFrame:
    """Normalised criteria, score and rank for the candidates of ``raw``; others get no rank.

    Adds ``norm_<criterion>``, ``missing`` (criteria a candidate lacks while another has them),
    ``score`` and ``rank`` (1 = best; ties broken by latency, then name). Sorted by rank, unranked last.
    """
    out = raw.copy()
    if "candidate" not in out:
        out["candidate"] = True
    cand = out["candidate"].astype(bool)
    weights = criteria.weights()
    available = [c for c in CRITERIA if c in out and out.loc[cand, c].notna().any()]
    out["missing"] = [[] for _ in range(len(out))]
    for c in CRITERIA:
        out[f"norm_{c}"] = np.nan
        if c not in available:
            continue
        out.loc[cand, f"norm_{c}"] = normalise(out.loc[cand, c].astype(float), c in LOWER_IS_BETTER)
        for idx in out.index[cand & out[c].isna()]:
            out.at[idx, "missing"] = [*out.at[idx, "missing"], c]
    denominator = sum(weights[c] for c in available)
    out["score"] = np.nan
    if denominator > 0 and cand.any():
        total = sum(weights[c] * out.loc[cand, f"norm_{c}"] for c in available)
        out.loc[cand, "score"] = total / denominator
    out["rank"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    ranked = out[cand & out["score"].notna()].copy()
    ranked["_lat"] = ranked["latency"].fillna(np.inf) if "latency" in ranked else 0.0
    ranked = ranked.sort_values(["score", "_lat", "model"], ascending=[False, True, True], kind="stable")
    out.loc[ranked.index, "rank"] = range(1, len(ranked) + 1)
    out.attrs["available"] = available
    out.attrs["weights"] = weights
    out = out.assign(_unranked=out["rank"].isna(), _r=out["rank"].fillna(0))
    return out.sort_values(["_unranked", "_r", "order" if "order" in out else "model"], kind="stable").drop(
        columns=["_unranked", "_r"]
    )


def decision_table(
    store: Store, run_ids: Sequence[str], criteria: Criteria | None = None, results: Results | None = None
) -> pd.DataFrame:
    """Raw values with n, normalised 0..1 scores, weighted score and rank per (run, model)."""
    criteria = criteria or Criteria()
    return score_table(raw_table(store, run_ids, criteria, results), criteria)


# ---- Pareto front --------------------------------------------------------------------------------
def pareto_front(table: pd.DataFrame, x: str = "latency", y: str = "quality") -> Front:
    """Candidates no other candidate beats on both ``x`` (lower is better) and ``y`` (higher).

    Without any ``quality`` value the front is drawn against decode tok/s instead, and ``note``
    says so. Candidates lacking x or y cannot be placed and are left out (also in ``note``).
    """
    cand = table[table["candidate"].astype(bool)] if "candidate" in table else table
    notes = []
    if y == "quality" and (cand.empty or cand["quality"].isna().all()):
        y = "throughput"
        notes.append("No quality scores: the front is latency against decode tok/s.")
    placed = cand[cand[x].notna() & cand[y].notna()]
    left_out = sorted(set(cand["model"]) - set(placed["model"]))
    if left_out:
        notes.append(f"Not placed (no {x} or {y}): {', '.join(left_out)}.")
    xs, ys = placed[x].to_numpy(dtype=float), placed[y].to_numpy(dtype=float)
    keep = []
    for i in range(len(placed)):
        dominated = ((xs <= xs[i]) & (ys >= ys[i]) & ((xs < xs[i]) | (ys > ys[i]))).any()
        keep.append(not dominated)
    points = placed[np.array(keep, dtype=bool)] if len(placed) else placed
    points = points.sort_values([x, y], ascending=[True, False], kind="stable")
    return Front(points=points, x=x, y=y, note=" ".join(notes))


# ---- recommendation -------------------------------------------------------------------------------
def _reason(c: str, row: pd.Series, best: bool, stat_words: str) -> str | None:
    """One plain-words reason: ``fastest p95 among the candidates (1.2 s, n=10)`` or ``p95 latency 1.2 s (n=10)``."""
    value = row.get(c)
    if is_missing(value):
        return None
    if c == "latency":
        if best:
            return f"fastest {stat_words} among the candidates ({_secs(value)}, n={_n(row['latency_n'])})"
        return f"{stat_words} latency {_secs(value)} (n={_n(row['latency_n'])})"
    if c == "quality":
        text = f"quality {value:.1f} by {row['scored_by']} (n={_n(row['quality_n'])})"
        return text + (", the highest among the candidates" if best else "")
    if c == "throughput":
        if best:
            return f"fastest decoding among the candidates ({value:.1f} tok/s, n={_n(row['throughput_n'])})"
        return f"decodes {value:.1f} tok/s (n={_n(row['throughput_n'])})"
    if c == "memory":
        what = "memory added" if str(row.get("memory_basis", "")).startswith("added") else "peak memory"
        return (
            f"smallest {what} among the candidates ({fmt_bytes(value)})"
            if best
            else f"{what} {fmt_bytes(value)}"
        )
    if c == "size":
        return (
            f"smallest on disk among the candidates ({fmt_bytes(value)})"
            if best
            else f"{fmt_bytes(value)} on disk"
        )
    return None


def _standing(c: str, top: pd.Series, cands: pd.DataFrame) -> tuple[str, list[pd.Series]]:
    """Where the winner stands on ``c``: ``best`` (alone), ``tied`` (with ``others``), ``worse``
    (``others`` are better, best first) or ``alone`` (no other candidate has a value)."""
    if is_missing(top[c]):
        return "alone", []
    rest = [r for _, r in cands.iterrows() if r["series"] != top["series"] and not is_missing(r[c])]
    if not rest:
        return "alone", []
    lower = c in LOWER_IS_BETTER
    better = [r for r in rest if (r[c] < top[c] if lower else r[c] > top[c])]
    if better:
        return "worse", sorted(better, key=lambda r: r[c] if lower else -r[c])
    tied = [r for r in rest if r[c] == top[c]]
    return ("tied", tied) if tied else ("best", [])


def _trade_off(c: str, top: pd.Series, better: list[pd.Series], stat_words: str) -> str:
    """``uses more memory than small (1323 MB vs 400 MB)``: what the winner gives up, in numbers."""
    best = better[0]
    value: dict[str, Any] = {
        "latency": lambda v: _secs(v),
        "throughput": lambda v: f"{v:.1f} tok/s",
        "memory": fmt_bytes,
        "size": fmt_bytes,
        "quality": lambda v: f"{v:.1f}",
    }
    words = {
        "latency": f"slower {stat_words} than",
        "throughput": "decodes slower than",
        "memory": "uses more memory than",
        "size": "is larger on disk than",
        "quality": f"scored lower by {top['scored_by']} than",
    }
    fmt = value.get(c, str)
    return f"{top['series']} {words.get(c, 'is behind')} {best['series']} ({fmt(top[c])} vs {fmt(best[c])})"


def recommendation(table: pd.DataFrame) -> Recommendation:
    """The top-ranked candidate, why (in plain words, with n), and what to be careful about."""
    weights: dict[str, float] = table.attrs.get("weights") or Criteria().weights()
    available: list[str] = table.attrs.get("available") or [
        c for c in CRITERIA if c in table and table.loc[table["candidate"].astype(bool), c].notna().any()
    ]
    ranked = table[table["rank"].notna()].sort_values("rank")
    failed = [r["model"] for r in table.to_dict("records") if r["status"] == "failed"]
    caveats = [f"{m} failed and is not ranked" for m in failed]
    if ranked.empty:
        if table["candidate"].astype(bool).any():
            caveats.insert(0, "none of the weighted criteria was measured: give weight to another criterion")
        else:
            caveats.insert(0, "no model finished with measured requests")
        return Recommendation(model=None, score=None, reasons=[], caveats=caveats)
    top = ranked.iloc[0]
    cands = table[table["candidate"].astype(bool)]
    stat = str(top.get("latency_stat") or "p95")
    stat_words = LATENCY_STATS.get(stat, ("", "", stat))[2]
    reasons = []
    if len(ranked) == 1:
        reasons.append("the only model that finished with measured requests")
    else:
        second = ranked.iloc[1]
        reasons.append(
            f"highest weighted score among {len(ranked)} candidates ({top['score']:.2f} of 1;"
            f" next {second['series']} {second['score']:.2f})"
        )
    for c in sorted(available, key=lambda c: -weights.get(c, 0)):
        if weights.get(c, 0) <= 0:
            continue
        standing, others = _standing(c, top, cands)
        if standing == "worse":  # a reason must never be a number the winner loses on
            caveats.append(_trade_off(c, top, others, stat_words))
            continue
        text = _reason(c, top, standing == "best", stat_words)
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
    elif _n(top["quality_n"]) < QUALITY_MIN_N:
        caveats.append(f"quality from fewer than {QUALITY_MIN_N} scored items (n={_n(top['quality_n'])})")
    if stat == "p95" and _n(top["latency_n"]) < P95_MIN_N:
        caveats.append(f"p95 from fewer than {P95_MIN_N} samples (n={_n(top['latency_n'])})")
    for c in top["missing"]:
        if c != "quality":
            caveats.append(f"{top['model']} has no {LABELS[c].split(' (')[0].lower()} value: counted as 0")
    if len(ranked) > 1 and top["score"] - ranked.iloc[1]["score"] <= CLOSE_SCORE + 1e-12:
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
    )


def weights_text(weights: dict[str, float]) -> str:
    total = sum(weights.values()) or 1.0
    return ", ".join(f"{c} {w / total:.0%}" for c, w in weights.items() if w > 0)


def recommendation_markdown(rec: Recommendation, criteria: Criteria) -> list[str]:
    """Lines of the report's Recommendation section."""
    if rec.model is None:
        return [f"No recommendation: {'; '.join(rec.caveats) or 'nothing to rank'}."]
    lines = [
        f"Recommended default: **{rec.series or rec.model}** (score {rec.score:.2f} of 1; weights"
        f" {weights_text(criteria.weights())}, latency {LATENCY_STATS[criteria.latency_stat][2]}).",
        "",
        *[f"- {r}" for r in rec.reasons],
    ]
    if rec.caveats:
        lines += ["", "Caveats:", "", *[f"- {c}" for c in rec.caveats]]
    return lines
