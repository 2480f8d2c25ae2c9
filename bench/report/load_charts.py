"""The throughput-latency curve of a load run (Altair, no Streamlit): one line per model, one
point per level, the capacity ringed, and the SLO target as a dashed rule."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from bench.report.charts import FIT_X, series_legend

LATENCIES = {"e2e": "end-to-end", "ttft": "time to first token", "itl": "inter-token latency"}


def level_frame(
    results: dict[str, list[dict[str, Any]]], latency: str = "e2e", pct: str = "p95"
) -> pd.DataFrame:
    """One row per (model, level): throughput, the chosen latency percentile, n, SLO verdict."""
    rows = []
    for model, levels in results.items():
        for lv in levels:
            value = (lv["percentiles"].get(latency) or {}).get(pct)
            rows.append(
                {
                    "model": model,
                    "level": lv["level"],
                    "load": lv["value"],
                    "requests_per_s": lv["requests_per_s"],
                    "output_tokens_per_s": lv["output_tokens_per_s"],
                    "latency_ms": None if value is None else value * 1000,
                    "n": lv["ok"],
                    "requests": lv["requests"],
                    "error_rate": lv["error_rate"],
                    "goodput_per_s": lv.get("goodput_per_s"),
                    "meets_slo": {None: "no SLO", True: "meets SLOs", False: "misses SLOs"}[
                        lv.get("meets_slo")
                    ],
                    "saturated": bool(lv.get("saturated")),
                    "send_lag_p99_ms": (lv.get("lag_ms") or {}).get("p99"),
                    "energy_j_per_token": lv.get("energy_j_per_token"),
                }
            )
    return pd.DataFrame(rows)


def throughput_latency(
    frame: pd.DataFrame, capacity: dict[str, str | None], latency: str = "e2e", pct: str = "p95",
    slo_ms: float | None = None,
) -> alt.LayerChart:  # fmt: skip
    """x: output tokens/s, y: latency percentile; each point is a level (n in the tooltip)."""
    y_title = f"{LATENCIES.get(latency, latency)} {pct} (ms)"
    base = alt.Chart(frame).encode(
        x=alt.X("output_tokens_per_s:Q", title="output tokens/s (all requests together)"),
        y=alt.Y("latency_ms:Q", title=y_title),
        color=alt.Color("model:N", title="model", legend=series_legend(sorted(set(frame["model"])))),
        tooltip=[
            "model", "level", alt.Tooltip("requests_per_s:Q", format=".1f", title="requests/s"),
            alt.Tooltip("output_tokens_per_s:Q", format=".0f", title="output tok/s"),
            alt.Tooltip("latency_ms:Q", format=".1f", title=y_title), alt.Tooltip("n:Q", title="n (ok requests)"),
            alt.Tooltip("error_rate:Q", format=".1%", title="errors"), "meets_slo",
        ],
    )  # fmt: skip
    line = base.mark_line(point=alt.OverlayMarkDef(size=70, filled=True), order=False).encode(order="load:Q")
    # above the capacity ring (size 400: radius ~11 px), never on it: "c=8" overlapped its ring at dy=-10
    labels = base.mark_text(dy=-20, fontSize=11, baseline="bottom").encode(text="level:N")
    caps = frame[[capacity.get(m) == lv for m, lv in zip(frame["model"], frame["level"], strict=True)]]
    ring = alt.Chart(caps).mark_point(size=400, shape="circle", strokeWidth=2, filled=False).encode(
        x="output_tokens_per_s:Q", y="latency_ms:Q", color=alt.Color("model:N"),
        tooltip=[alt.Tooltip("level:N", title="capacity")],
    )  # fmt: skip
    layers = [line, labels, ring]
    if slo_ms is not None:
        rule = alt.Chart(pd.DataFrame({"slo": [slo_ms]})).mark_rule(strokeDash=[6, 4], color="gray")
        layers.append(rule.encode(y="slo:Q"))
    return alt.layer(*layers).properties(height=380, autosize=FIT_X)
