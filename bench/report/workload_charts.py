"""Long-context charts (Altair, no Streamlit): TTFT and prefill tokens/s against input tokens, per model.

Every request is a point (x: the prompt tokens the model's own usage counted, so two models' points of
one prompt may sit apart), with a line through each model's median at each prompt size: how fast
prefill cost grows with the input, the number that separates small models most on a laptop.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

METRICS = {"ttft_s": "time to first token (s)", "prefill_tps": "prefill tokens/s"}


def _medians(points: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per model and prompt size: the median input tokens and the median metric (the line)."""
    size = points["prompt_id"].str.extract(r"^lc-(\w+)-", expand=False).fillna(points["prompt_id"])
    grouped = points.assign(size=size).groupby(["series", "size"], sort=False)
    return grouped.agg(prompt_tokens=("prompt_tokens", "median"), value=(metric, "median")).reset_index()


def input_tokens_chart(points: pd.DataFrame, metric: str = "ttft_s") -> alt.LayerChart:
    """Points (every ok long-context request) plus a line through each model's medians."""
    title = METRICS[metric]
    frame = points.dropna(subset=[metric]).assign(value=lambda f: f[metric])
    color = alt.Color("series:N", title="model")
    x = alt.X("prompt_tokens:Q", title="input tokens (the model's own count)")
    dots = (
        alt.Chart(frame)
        .mark_circle(size=50, opacity=0.6)
        .encode(
            x=x,
            y=alt.Y("value:Q", title=title),
            color=color,
            tooltip=[
                "series:N",
                "prompt_id:N",
                "prompt_tokens:Q",
                alt.Tooltip("value:Q", title=title, format=".3f"),
            ],
        )
    )
    line = alt.Chart(_medians(frame, metric)).mark_line(point=False).encode(x=x, y="value:Q", color=color)
    n = len(frame)
    return alt.layer(dots, line).properties(title=f"{title} against input tokens (n={n} requests)", width=520)
