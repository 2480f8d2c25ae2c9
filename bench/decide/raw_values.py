"""Decide's raw values: one row per (run, model) with every criterion's number and its n, before weighing.

Kept apart from :mod:`bench.decide.recommend` (which weighs and explains them) so each stays short.
Quality from one score source (never mixed), latency by the chosen statistic, memory only where
comparable, and per weighted workload its pass rate ``pass:WORKLOAD`` with its n
(:mod:`bench.decide.workload_pass`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from bench.decide import workload_pass
from bench.decide.candidates import workload_scores
from bench.results import Results, load_results
from bench.store.store import Store
from bench.units import is_missing

LATENCY_STATS: dict[str, tuple[str, str, str]] = {
    # key -> (summary column, its count column, words)
    "p95": ("e2e_s_p95", "e2e_s_n", "p95"),
    "p50": ("e2e_s_p50", "e2e_s_n", "p50"),
    "ttft": ("ttft_s_mean", "ttft_s_n", "mean time to first token"),
    "ttft4k": ("ttft_4k_s_p95", "ttft_4k_s_n", "TTFT p95 at >= 4k prompt tokens"),
}


# ---- formatting ----------------------------------------------------------------------------------
def as_count(value: Any) -> int:
    return 0 if is_missing(value) else int(value)


# ---- the table -----------------------------------------------------------------------------------
def raw_table(
    store: Store,
    run_ids: Sequence[str],
    criteria: Any,
    results: Results | None = None,
    workloads: Mapping[tuple[str, str], dict[str, workload_pass.WorkloadScore]] | None = None,
) -> pd.DataFrame:
    """One row per (run, model) with the raw values and counts, before normalising.

    Memory that the run marked as not comparable (a remote server, a shared process) is left out
    (NaN), so no model wins or loses on a number measured differently from the others'. ``workloads``:
    :func:`bench.decide.candidates.workload_scores` when the caller has it already.
    """
    results = results or load_results(store, run_ids)
    scored_by = criteria.scored_by or _default_source(results)
    col, n_col, _ = LATENCY_STATS[criteria.latency_stat]
    if criteria.workloads and workloads is None:
        workloads = workload_scores(results, store)
    passes = _pass_columns(criteria, workloads) if criteria.workloads else {}
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
                "latency": as_float(m.stat(col)),
                "latency_n": as_count(m.stat(n_col)),
                "latency_n_words": m.stat("e2e_s_n_words") or "",
                "latency_stat": criteria.latency_stat,
                "throughput": as_float(m.stat("decode_tps_mean")),
                "throughput_n": as_count(m.stat("decode_tps_n")),
                "memory": memory,
                "memory_basis": m.memory_basis if not is_missing(memory) else "",
                "size": as_float(m.size_bytes),
                "energy": as_float(m.energy_j_per_token),
                "energy_n": m.energy_n,
                "energy_source": m.energy_source,
                "cost": as_float(m.cost_per_1k_tokens),
                "cost_basis": m.cost_basis,
                "reliability": 1.0 - float(m.stat("error_rate"))
                if m.stat("error_rate") is not None
                else np.nan,
                "reliability_n": as_count(m.stat("requests")),
                "machine": m.machine,
                **passes.get((m.run_id, m.model), {}),
            }
        )
    extra = [f"{workload_pass.criterion(w)}{end}" for w in criteria.workloads for end in ("", "_n")]
    return pd.DataFrame(rows, columns=_RAW_COLUMNS + extra)


def _pass_columns(
    criteria: Any, found: Mapping[tuple[str, str], dict[str, workload_pass.WorkloadScore]]
) -> dict[tuple[str, str], dict[str, float]]:
    """Per (run, model): ``pass:WORKLOAD`` (share of checked answers passing every check) and its n."""
    out: dict[tuple[str, str], dict[str, float]] = {}
    for key, scores in found.items():
        row = out.setdefault(key, {})
        for workload in criteria.workloads:
            passed = scores[workload].passed if workload in scores else np.empty(0)
            row[workload_pass.criterion(workload)] = float(passed.mean()) if passed.size else np.nan
            row[f"{workload_pass.criterion(workload)}_n"] = int(passed.size)
    return out


_RAW_COLUMNS = [
    "order", "run_id", "model", "series", "status", "error", "n", "candidate", "quality", "quality_n",
    "quality_low", "quality_high", "scored_by", "latency", "latency_n", "latency_n_words", "latency_stat", "throughput",
    "throughput_n", "memory", "memory_basis", "size", "energy", "energy_n", "energy_source", "cost",
    "cost_basis", "machine", "reliability", "reliability_n",
]  # fmt: skip


def as_float(value: Any) -> float:
    return np.nan if is_missing(value) else float(value)


def _default_source(results: Results) -> str | None:
    """The first validated score source (people before judges), else none."""
    return next((s.name for s in results.sources if s.validated), None)
