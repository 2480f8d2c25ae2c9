"""Measured speed per model from stored runs: which model to preselect, and how long a job will take.

Race and Judge preselect the fastest suitable model, and Judge estimates its time before it starts.
Both come from what this machine actually measured (the requests :func:`bench.stats.aggregates.measured`
keeps, streamed, of the most recent runs); a model never measured is ordered by its size on disk instead, smaller first.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bench.stats import aggregates
from bench.store.store import Store

RECENT_RUNS = 30


@dataclass(frozen=True)
class Speed:
    """Decode tokens/s and time to first token of one model, with the count behind them."""

    model: str
    decode_tps: float
    ttft_s: float | None
    n: int
    run_id: str  # the most recent run that measured it

    def words(self) -> str:
        return f"{self.decode_tps:.0f} tok/s decode (median of {self.n} warm requests, run {self.run_id})"


def measured_speeds(store: Store, recent_runs: int = RECENT_RUNS) -> dict[str, Speed]:
    """``{model: Speed}`` over the warm, successful requests of the most recent runs."""
    runs = store.list_runs(limit=recent_runs)
    tps: dict[str, list[float]] = {}
    ttft: dict[str, list[float]] = {}
    latest: dict[str, str] = {}
    for run in runs:  # newest first
        frame = aggregates.measured(aggregates.samples_frame(store.samples([run["id"]])))
        for row in frame.to_dict("records") if len(frame) else []:
            if not row["decode_tps"] > 0:  # NaN (not streamed, a chunk burst) or 0
                continue
            tps.setdefault(row["model"], []).append(float(row["decode_tps"]))
            if row["ttft_s"] == row["ttft_s"]:
                ttft.setdefault(row["model"], []).append(float(row["ttft_s"]))
            latest.setdefault(row["model"], run["id"])
    return {
        model: Speed(
            model=model,
            decode_tps=statistics.median(values),
            ttft_s=statistics.median(ttft[model]) if ttft.get(model) else None,
            n=len(values),
            run_id=latest[model],
        )
        for model, values in tps.items()
    }


def fastest_first(
    names: Sequence[str], speeds: Mapping[str, Speed], sizes: Mapping[str, int | None] | None = None
) -> list[str]:
    """``names`` ordered fastest first: measured decode speed, then (unmeasured) smaller on disk first."""
    sizes = sizes or {}

    def key(name: str) -> tuple[int, float, float, int]:
        speed = speeds.get(name)
        if speed is not None:
            return (0, -speed.decode_tps, 0.0, names.index(name))
        size = sizes.get(name)
        return (1, 0.0, float(size) if size else float("inf"), names.index(name))

    return sorted(names, key=key)


@dataclass(frozen=True)
class Estimate:
    """How long ``requests`` requests take at a measured speed: typical and worst case (longest replies)."""

    requests: int
    typical_s: float | None
    worst_s: float | None
    basis: str


def estimate(
    requests: int, speed: Speed | None, typical_tokens: int = 100, max_tokens: int = 256
) -> Estimate:
    """Time for ``requests`` replies of ``typical_tokens`` (at most ``max_tokens``) at ``speed``."""
    if speed is None or speed.decode_tps <= 0:
        return Estimate(requests, None, None, "no measured speed for this model: benchmark it on Run first")
    first = speed.ttft_s or 0.0
    typical = requests * (first + typical_tokens / speed.decode_tps)
    worst = requests * (first + max_tokens / speed.decode_tps)
    basis = f"{speed.words()}; ~{typical_tokens}-token replies, at most {max_tokens}" + (
        f", plus {first:.2f} s to the first token" if first else ""
    )
    return Estimate(requests, typical, worst, basis)
