"""Drift inside a run: does decode speed fall as the run goes on (thermal throttling, a filling cache,
a background job)? A run whose speed falls looks like any other in a mean; this check looks at order.

Method, per (run, model): the measured requests (ok, not warm-up, not cold) in the order they were
sent (``started_at``). Each request's decode rate is taken relative to its own prompt's median
(``log(rate) - median log(rate) of that prompt``), so a prompt that is slower by nature is not a
trend. The slope of that against the request's position is the **Theil-Sen** estimate (the median
of all pairwise slopes: robust to a few outliers) with its 95% interval (``scipy.stats.theilslopes``).
The change over the run is ``exp(slope x (n - 1)) - 1``: what the last request's speed is relative
to the first, for the same prompt.

A run is flagged **falling** only when the whole 95% interval of the slope lies below zero *and* the
estimated fall is at least :data:`PRACTICAL_FALL` (5%): a real but tiny trend is not worth a warning.
Fewer than :data:`MIN_REQUESTS` requests with a decode rate are "too few requests", never a verdict.
The false-alarm and detection rates of this rule are tested on seeded synthetic runs whose truth is
known (``tests/test_run_noise.py``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from bench.stats.aggregates import measured
from bench.stats.theil_sen import theil_sen

MIN_REQUESTS = 10
PRACTICAL_FALL = 0.05
METRIC = "decode_tps"


@dataclass(frozen=True)
class Drift:
    """The trend of one model's decode rate over one run's request order."""

    run_id: str
    model: str
    n: int
    change: float | None  # fraction over the run, e.g. -0.12 = the last request 12% slower than the first
    low: float | None  # 95% interval of ``change``
    high: float | None
    verdict: str  # "falling", "rising", "steady" or "too few requests"

    @property
    def flagged(self) -> bool:
        return self.verdict == "falling"

    def sentence(self) -> str:
        """What a reader sees: the verdict, the estimate, its interval and its n."""
        if self.change is None:
            return f"{self.model}: too few requests to see a trend (n={self.n}, want ≥ {MIN_REQUESTS})"
        what = {
            "falling": "decode speed FELL during the run",
            "rising": "decode speed rose during the run",
            "steady": "no trend in decode speed",
        }[self.verdict]
        return (
            f"{self.model}: {what}: {self.change:+.1%} first to last request"
            f" (95% interval {self.low:+.1%} to {self.high:+.1%}, Theil-Sen on request order, n={self.n})"
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"flagged": self.flagged, "sentence": self.sentence()}


def drift_of(frame: pd.DataFrame) -> list[Drift]:
    """One :class:`Drift` per (run, model) of a samples frame (``aggregates.samples_frame``).

    Load runs are left out: their levels raise the load on purpose, so speed falls by design."""
    data = measured(frame)
    if not data.empty and "load_level" in data:
        data = data[data["load_level"].isna()]
    if data.empty or METRIC not in data:
        return []
    out = []
    for (run_id, model), group in data.groupby(["run_id", "model"], sort=True):
        out.append(_one(str(run_id), str(model), group))
    return out


def _ordered_relative_log_rates(group: pd.DataFrame) -> np.ndarray:
    """log(rate) minus its prompt's median log(rate), in the order the requests were sent."""
    rows = group[group[METRIC] > 0]
    order = [c for c in ("started_at", "id") if c in rows]
    rows = rows.sort_values(order, kind="stable") if order else rows
    logs = np.log(rows[METRIC].to_numpy(dtype=float))
    medians = pd.Series(logs, index=rows.index).groupby(rows["prompt_id"]).transform("median")
    return logs - medians.to_numpy(dtype=float)


def _one(run_id: str, model: str, group: pd.DataFrame) -> Drift:
    y = _ordered_relative_log_rates(group)
    n = int(y.size)
    if n < MIN_REQUESTS:
        return Drift(run_id, model, n, None, None, None, "too few requests")
    slope, low, high = theil_sen(y)  # scipy.stats.theilslopes(y, arange(n), 0.95)'s figures
    span = n - 1
    change, lo, hi = (float(np.expm1(s * span)) for s in (slope, low, high))
    if high < 0 and change <= -PRACTICAL_FALL:
        verdict = "falling"
    elif low > 0 and change >= PRACTICAL_FALL:
        verdict = "rising"
    else:
        verdict = "steady"
    return Drift(run_id, model, n, change, lo, hi, verdict)


# ---- in reports -------------------------------------------------------------------------------------
def markdown(samples: pd.DataFrame) -> list[str]:
    """``## Drift within a run``: every (run, model) with its trend; the falling ones first."""
    from bench.escape import md_cell

    found = sorted(drift_of(samples), key=lambda d: (not d.flagged, d.run_id, d.model))
    if not found:
        return []
    falling = [d for d in found if d.flagged]
    head = (
        f"**Decode speed fell during {len(falling)} run/model pair(s)**: their means mix a fast start with a slow"
        " end (thermal throttling? a background job?); rerun or compare like with like."
        if falling
        else "Decode speed held steady in every run (no fall of 5% or more with 95% confidence)."
    )
    lines = [
        "## Drift within a run",
        "",
        head,
        "",
        "| run | model | n | first to last | 95% interval | trend |",
    ]
    lines.append("|---|---|---:|---:|---|---|")
    for d in found:
        change = "n/a" if d.change is None else f"{d.change:+.1%}"
        interval = "n/a" if d.low is None else f"{d.low:+.1%} to {d.high:+.1%}"
        trend = "FELL" if d.flagged else d.verdict
        lines.append(
            f"| {md_cell(d.run_id)} | {md_cell(d.model)} | {d.n} | {change} | {interval} | {trend} |"
        )
    lines += [
        "",
        "Decode tok/s relative to its prompt's median, against request order: Theil-Sen slope with its 95%"
        f" interval; flagged when the whole interval is below zero and the fall is at least {PRACTICAL_FALL:.0%}.",
        "",
    ]
    return lines


def as_json(samples: pd.DataFrame) -> list[dict[str, Any]]:
    """Every (run, model) trend for ``report.json``."""
    return [d.to_dict() for d in drift_of(samples)]
