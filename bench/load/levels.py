"""What one load level measured, whether it met the service-level objectives, and the capacity.

Per level: requests/s and output tokens/s over the level's wall time (first request scheduled to
last one ended), TTFT / inter-token latency / e2e percentiles over the requests that succeeded,
the error rate, and **goodput** — requests/s that succeeded *and* met every per-request target.
A level *meets the SLOs* when each named percentile (any whole percentile 1-99, computed for the
SLO when the table does not hold it) is within its target and errors (failed and cut-short
requests) stay at or under ``max_error_rate``; the **capacity** is the highest level that does
*with every lower level doing so too* (a level above one that missed is luck, not capacity). The load stops rising
once the server **saturates**: throughput grows by less than 5% while median latency climbs by
more than 20% (more load only makes everyone wait).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from bench.errors import BenchError
from bench.load.engine import Level, Record, parse_seconds
from bench.measure.request_metrics import PERCENTILES, summarize
from bench.units import fmt_seconds

METRICS = {"ttft": "ttft_s", "itl": "itl_s", "e2e": "e2e_s", "tpot": "tpot_s"}
SATURATION_GROWTH = 1.05  # throughput must grow at least this much from one level to the next
SATURATION_LATENCY = 1.20  # ... unless median e2e rose less than this


@dataclass(frozen=True)
class Slo:
    """``metric_pXX <= limit_s`` (e.g. ttft_p95 <= 0.5 s)."""

    metric: str
    percentile: int
    limit_s: float

    @property
    def name(self) -> str:
        return f"{self.metric}_p{self.percentile}"


def parse_slos(text: str | None) -> list[Slo]:
    """``ttft_p95=0.5s,itl_p95=50ms,e2e_p95=5s`` -> SLOs; a bad item names itself and the fix."""
    if not text:
        return []
    return [_parse_slo(item) for item in text.split(",") if item.strip()]


def _parse_slo(item: str) -> Slo:
    """One ``METRIC_pNN=TIME``; NN is a whole percentile from 1 to 99 (p0 and p100 are the min and
    max, never a service level; p99.9 needs thousands of requests per level)."""
    fix = (
        f"METRIC is one of {', '.join(METRICS)}, NN a whole percentile from 1 to 99;"
        " e.g. ttft_p75=0.4s,itl_p95=50ms,e2e_p95=5s"
    )
    match = re.fullmatch(r"\s*(\w+?)_p([^=\s]*)\s*=\s*(.+)", item)
    if not match or match.group(1) not in METRICS:
        raise BenchError("--slo", f"{item.strip()!r} is not METRIC_pNN=TIME", fix)
    metric, pct = match.group(1), match.group(2)
    if not pct.isdigit() or not 1 <= int(pct) <= 99:
        raise BenchError("--slo", f"{item.strip()!r}: p{pct} is not a percentile from 1 to 99", fix)
    return Slo(metric, int(pct), parse_seconds(match.group(3), f"--slo {metric}_p{pct}"))


@dataclass
class LevelResult:
    """Everything the Load page and the report show for one level (times in seconds)."""

    level: str
    kind: str
    value: float
    requests: int
    ok: int
    errors: int
    error_rate: float
    wall_s: float
    requests_per_s: float
    output_tokens_per_s: float
    goodput_per_s: float | None
    percentiles: dict[str, dict[str, float | None]] = field(default_factory=dict)
    lag_ms: dict[str, float | None] = field(default_factory=dict)
    meets_slo: bool | None = None
    slo_detail: dict[str, str] = field(default_factory=dict)
    saturated: bool = False
    first_errors: list[str] = field(default_factory=list)
    incomplete: int = 0  # of ``errors``: streams cut after they began

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def request_metrics(rec: Record) -> dict[str, Any]:
    """One request's metrics, defined exactly as for every other run (``bench.measure.request_metrics``)."""
    if rec.error:
        return {}
    return summarize(rec.events, rec.sent_ns, streamed=True).to_dict()


def _pct(values: list[float], q: int) -> float | None:
    return float(np.percentile(values, q)) if values else None


def summarize_level(
    level: Level,
    records: list[Record],
    metrics: list[dict[str, Any]],
    wall_s: float,
    slos: list[Slo],
    max_error_rate: float = 0.01,
) -> LevelResult:
    """Statistics of one level; ``metrics[i]`` belongs to ``records[i]``."""
    good = [m for r, m in zip(records, metrics, strict=True) if not r.error]
    errors = len(records) - len(good)
    wall = max(wall_s, 1e-9)
    tokens = sum(m.get("output_tokens") or 0 for m in good)
    pct: dict[str, dict[str, float | None]] = {}
    for short, key in METRICS.items():
        values = [m[key] for m in good if m.get(key) is not None]
        wanted = sorted({*PERCENTILES, *(s.percentile for s in slos if s.metric == short)})
        pct[short] = {f"p{q}": _pct(values, q) for q in wanted} | {"n": float(len(values))}
    lags = [r.lag_s * 1000 for r in records if r.sent_ns]
    result = LevelResult(
        level=level.label,
        kind=level.kind,
        value=level.value,
        requests=len(records),
        ok=len(good),
        errors=errors,
        error_rate=errors / len(records) if records else 0.0,
        wall_s=wall_s,
        requests_per_s=len(good) / wall,
        output_tokens_per_s=tokens / wall,
        goodput_per_s=None,
        percentiles=pct,
        lag_ms={"p50": _pct(lags, 50), "p99": _pct(lags, 99), "max": max(lags) if lags else None},
        first_errors=sorted({r.error for r in records if r.error})[:3],  # type: ignore[misc]
        incomplete=sum(1 for r in records if r.outcome == "incomplete"),
    )
    if slos:
        met = sum(1 for m in good if _meets_each(m, slos))
        result.goodput_per_s = met / wall
        result.meets_slo, result.slo_detail = _level_meets(result, slos, max_error_rate)
    return result


def _meets_each(metrics: dict[str, Any], slos: list[Slo]) -> bool:
    """Per request: every targeted metric within its limit (a metric it lacks counts as missed)."""
    for slo in slos:
        value = metrics.get(METRICS[slo.metric])
        if value is None or value > slo.limit_s:
            return False
    return True


def _level_meets(result: LevelResult, slos: list[Slo], max_error_rate: float) -> tuple[bool, dict[str, str]]:
    detail, ok = {}, True
    for slo in slos:
        value = _percentile_of(result, slo)
        passed = value is not None and value <= slo.limit_s
        ok = ok and passed
        detail[slo.name] = f"{fmt_seconds(value)} {'<=' if passed else '>'} {fmt_seconds(slo.limit_s)}"
    errors_ok = result.error_rate <= max_error_rate
    detail["error_rate"] = f"{result.error_rate:.1%} {'<=' if errors_ok else '>'} {max_error_rate:.1%}"
    return ok and errors_ok, detail


def _percentile_of(result: LevelResult, slo: Slo) -> float | None:
    """The level's pNN of the metric (``summarize_level`` adds every SLO's percentile to the table)."""
    return result.percentiles[slo.metric].get(f"p{slo.percentile}")


def saturated(previous: LevelResult, current: LevelResult) -> bool:
    """Throughput stopped growing while latency climbed (or the server started failing)."""
    if current.ok == 0:
        return True
    grew = current.requests_per_s >= previous.requests_per_s * SATURATION_GROWTH
    before = previous.percentiles["e2e"].get("p50")
    now = current.percentiles["e2e"].get("p50")
    climbed = before is not None and now is not None and now > before * SATURATION_LATENCY
    return not grew and climbed


def capacity(levels: list[LevelResult]) -> dict[str, Any]:
    """The highest level meeting every SLO, or why there is none."""
    judged = [lv for lv in levels if lv.meets_slo is not None]
    if not judged:
        best = max(levels, key=lambda lv: lv.requests_per_s, default=None)
        return {
            "level": None,
            "reason": "n/a: no SLO given (pass --slo)",
            "peak_requests_per_s": best.requests_per_s if best else None,
            "peak_level": best.level if best else None,
        }
    ordered = sorted(judged, key=lambda lv: lv.value)
    missed = next((lv for lv in ordered if not lv.meets_slo), None)
    passing = [lv for lv in ordered if missed is None or lv.value < missed.value]
    if not passing:
        return {"level": None, "reason": "no level met the SLOs (not even the lowest)"}
    top = passing[-1]
    stop = f"; {missed.level} missed them, so no higher level counts" if missed else ""
    return {
        "level": top.level,
        "value": top.value,
        "kind": top.kind,
        "requests_per_s": top.requests_per_s,
        "goodput_per_s": top.goodput_per_s,
        "reason": f"highest level meeting every SLO with every lower level too, {top.ok} requests{stop}",
    }


def slo_dicts(slos: list[Slo]) -> list[dict[str, Any]]:
    return [asdict(s) | {"name": s.name} for s in slos]
