"""The chart drawn *while* a run goes: one point per finished request, as the runner reports it.

A person who clicks "Run" should see the first number after the first answer, not after the whole
run (the quick benchmark's 15 requests take about a minute on two cores). This chart is built from
the runner's progress events alone (no database read), so it costs nothing per refresh. It is a
progress view, not a statistic: every point is one request, warm-up and the cold first request are
drawn apart (their own colour and shape) and the caption says how many measured requests there are.
The charts on Results, with intervals over prompts, come when the run ends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from bench.report.charts import FIT_X, PHASE_SHAPES

#: in the order of :data:`bench.report.charts.PHASES` (warm, cold, warm-up), drawn with its shapes
PHASE_ORDER = ["measured", "cold (first after load)", "warm-up (not in statistics)"]
PHASE_COLORS = ["#4E79A7", "#E15759", "#BAB0AC"]


def live_point(index: int, sample: Mapping[str, Any]) -> dict[str, Any] | None:
    """One finished request as a chart point; None when it failed or has no decode speed."""
    metrics = sample.get("metrics") or {}
    if not sample.get("ok") or metrics.get("decode_tps") is None:
        return None
    phase = PHASE_ORDER[0]
    if sample.get("cold"):  # drawn as cold even in a warm-up round, as on Results (bench.report.charts)
        phase = PHASE_ORDER[1]
    elif sample.get("warmup"):
        phase = PHASE_ORDER[2]
    return {
        "request": index,
        "model": sample.get("model", ""),
        "prompt_id": sample.get("prompt_id", ""),
        "phase": phase,
        "decode_tps": float(metrics["decode_tps"]),
        "ttft_s": metrics.get("ttft_s"),
        "e2e_s": metrics.get("e2e_s"),
        "output_tokens": metrics.get("output_tokens"),
        "source": f"{metrics.get('output_token_source') or 'n/a'} · {sample.get('transport') or 'n/a'}",
    }


def measured_count(points: Sequence[Mapping[str, Any]]) -> int:
    """Requests that will enter the run's statistics (not warm-up, not the cold first one)."""
    return sum(1 for p in points if p["phase"] == PHASE_ORDER[0])


def live_requests(points: Sequence[Mapping[str, Any]], total: int) -> alt.Chart:
    """Decode tokens/s of each finished request, in the order they finished (x runs to ``total``)."""
    frame = pd.DataFrame(list(points))
    x = alt.X("request:Q", title="Request (in the order they finished)",
              scale=alt.Scale(domain=[1, max(total, 2)]), axis=alt.Axis(tickMinStep=1, format="d"))  # fmt: skip
    phase = alt.Color("phase:N", title="Request", scale=alt.Scale(domain=PHASE_ORDER, range=PHASE_COLORS),
                      legend=alt.Legend(orient="bottom"))  # fmt: skip
    tooltip = [
        alt.Tooltip("request:Q", title="Request"),
        alt.Tooltip("model:N", title="Model"),
        alt.Tooltip("prompt_id:N", title="Prompt"),
        alt.Tooltip("phase:N", title="Phase"),
        alt.Tooltip("decode_tps:Q", title="Decode tok/s", format=".1f"),
        alt.Tooltip("ttft_s:Q", title="TTFT (s)", format=".3f"),
        alt.Tooltip("e2e_s:Q", title="End to end (s)", format=".2f"),
        alt.Tooltip("output_tokens:Q", title="Output tokens"),
        alt.Tooltip("source:N", title="Token count · transport"),
    ]
    base = alt.Chart(frame)
    line = base.mark_line(color="#4E79A7", opacity=0.35).encode(x=x, y="decode_tps:Q")
    dots = base.mark_point(size=90, filled=True).encode(
        x=x,
        y=alt.Y("decode_tps:Q", title="Decode tokens/s", scale=alt.Scale(zero=True)),
        color=phase,
        shape=alt.Shape("phase:N", scale=alt.Scale(domain=PHASE_ORDER, range=PHASE_SHAPES), legend=None),
        tooltip=tooltip,
    )
    return (line + dots).properties(height=220, autosize=FIT_X)
