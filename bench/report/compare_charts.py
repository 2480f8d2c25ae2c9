"""The chart of a run comparison: each change with its 95% interval around zero (Altair, no Streamlit)."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from bench.compare.changes import BETTER, SAME, WORSE, Comparison

VERDICT_COLORS = {BETTER: "#15803D", WORSE: "#B91C1C", SAME: "#6B7280"}


def change_frame(comparison: Comparison) -> pd.DataFrame:
    """One row per (model, metric) with an interval: what the chart draws."""
    rows = [
        {
            "model": r.model,
            "metric": r.label,  # the words on screen; the code name (r.metric) is in exports
            "row": f"{r.model} · {r.label}" + (" (points)" if r.kind == "pp" else ""),
            "pct": r.pct,
            "low": r.low,
            "high": r.high,
            "verdict": r.verdict,
            "n": f"{r.n_base} → {r.n_new}",
        }
        for r in comparison.rows
        if not math.isnan(r.low)
    ]
    return pd.DataFrame(rows, columns=["model", "metric", "row", "pct", "low", "high", "verdict", "n"])


def change_chart(comparison: Comparison) -> alt.LayerChart | alt.Chart:
    """Percent change (dot) and 95% interval (bar) per model and metric; the zero line is 'no change'."""
    data = change_frame(comparison)
    if data.empty:
        return (
            alt.Chart(pd.DataFrame({"t": ["No model with an interval in both runs."]}))
            .mark_text()
            .encode(text="t:N")
        )
    y = alt.Y("row:N", title=None, sort=list(data["row"]), axis=alt.Axis(labelLimit=320))
    color = alt.Color(
        "verdict:N",
        title="Verdict",
        scale=alt.Scale(domain=list(VERDICT_COLORS), range=list(VERDICT_COLORS.values())),
    )
    tooltip = [
        alt.Tooltip("model:N", title="Model"),
        alt.Tooltip("metric:N", title="Metric"),
        alt.Tooltip("pct:Q", title="Change %", format="+.1f"),
        alt.Tooltip("low:Q", title="95% low %", format="+.1f"),
        alt.Tooltip("high:Q", title="95% high %", format="+.1f"),
        alt.Tooltip("n:N", title="Samples (base → new)"),
        alt.Tooltip("verdict:N", title="Verdict"),
    ]
    base = alt.Chart(data).encode(y=y, tooltip=tooltip)
    bars = base.mark_rule(strokeWidth=3, opacity=0.6).encode(
        x=alt.X("low:Q", title="Change, new vs base (%; rates in percentage points)"),
        x2="high:Q",
        color=color,
    )
    dots = base.mark_point(filled=True, size=80).encode(x="pct:Q", color=color)
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#111827", strokeDash=[4, 3]).encode(x="x:Q")
    return alt.layer(zero, bars, dots).properties(height=alt.Step(22))
