"""Altair charts of stored runs: DataFrames in, charts out (no Streamlit, so reports can reuse them).

Conventions every chart follows:

- one colour per *series* (a model, or ``model · run`` when several runs are compared), taken from
  one shared domain, so a model has the same colour in every chart;
- the request phase has its own shape: ``warm`` circle, ``cold`` (first request after a load)
  triangle, ``warm-up`` cross; warm-up and failed requests never enter a statistic;
- every mark has a tooltip that names the sample count and where the number came from (output
  token source, transport: in-process or HTTP);
- point layers (up to a thousand requests) carry no per-mark ARIA description (``aria=False``): Vega
  builds one sentence per point on every draw, a tenth of a second of the Results page at 10,000
  requests, and a screen reader cannot use a thousand of them; the chart's boxes, bars and tooltips keep theirs.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from bench.report import point_layers
from bench.report.chart_data import (
    BOX_TIPS,
    PALETTE,
    PHASE_SHAPES,
    PHASES,
    RESOURCE_PANELS,
    RESOURCE_TIPS,
    RESOURCE_UNITS,
    SERIES_TITLE,
    Tip,
    axis_format,
    has_percentiles,
    label,
    percentile_rows,
    percentile_tips,
    prompt_tips,
    resource_rows,
    sample_data,
    sample_tips,
)

#: a series name wraps at its " · " (model, then run) instead of being cut with "…"
WRAP_SERIES = "split(datum.label, ' · ')"
NO_LIMIT = 10_000  # px: Vega's label limit, high enough that no label is ever cut
#: the width fits the container, the height is the plot's own: legends and axis titles get room of their
#: own instead of squeezing the plot (Streamlit's default "fit" squeezed a 320 px chart with 8 series in
#: its legend to a 40 px plot with a cut axis title and overlapping ticks)
FIT_X = alt.AutoSizeParams(type="fit-x", contains="padding")
MIN_PLOT_PX = 160  # a plot lower than this cannot show its ticks apart


def hold(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """``chart`` sized to hold with many series and long names (see :data:`FIT_X`)."""
    return chart.properties(autosize=FIT_X)


def band_height(count: int, step: int = 34) -> int:
    """Plot height for ``count`` bands of ``step`` px, never under :data:`MIN_PLOT_PX`."""
    return max(MIN_PLOT_PX, step * max(count, 1))


def value_axis(metric: str, **kwargs: object) -> alt.Axis:
    """A quantitative axis with the metric's format (units are in the title)."""
    return alt.Axis(format=axis_format(metric), labelFlush=False, **kwargs)  # type: ignore[arg-type]


def series_axis(**kwargs: object) -> alt.Axis:
    """A model/run axis: every label shown, wrapped onto two lines rather than cut or dropped."""
    options: dict[object, object] = {"labelExpr": WRAP_SERIES, "labelLimit": NO_LIMIT, "labelOverlap": False}
    options.update(kwargs)
    return alt.Axis(**options)  # type: ignore[arg-type]


def series_legend(domain: Sequence[str]) -> alt.Legend:
    """The colour legend under the chart: one column per series name that fits, none cut."""
    longest = max((len(str(name)) for name in domain), default=0)
    columns = 1 if longest > 22 else 2 if longest > 14 else 4  # half-page charts are ~450 px wide
    return alt.Legend(
        orient="bottom",
        columns=min(columns, max(len(domain), 1)),
        labelLimit=NO_LIMIT,
        labelExpr=WRAP_SERIES,  # "model · run" on two lines: half-page charts stay inside their column
        symbolOpacity=1,
    )


# ---- scales -------------------------------------------------------------------------------------
def color_scale(domain: Sequence[str]) -> alt.Scale:
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(domain))]
    return alt.Scale(domain=list(domain), range=colors)


def _color(domain: Sequence[str], legend: bool = True) -> alt.Color:
    return alt.Color(
        "series:N",
        title=SERIES_TITLE,
        scale=color_scale(domain),
        legend=series_legend(domain) if legend else None,
    )


def _shape(legend: bool = True) -> alt.Shape:
    return alt.Shape(
        "phase:N",
        title="Request",
        scale=alt.Scale(domain=PHASES, range=PHASE_SHAPES),
        legend=alt.Legend(orient="top", direction="horizontal", labelLimit=NO_LIMIT) if legend else None,
    )


def _empty(message: str) -> alt.Chart:
    """A placeholder chart that says why there is nothing to draw."""
    return (
        alt.Chart(pd.DataFrame({"text": [message]}))
        .mark_text(size=14, color="#6B7280")
        .encode(text="text:N", tooltip=alt.Tooltip("text:N", title="Why empty"))
        .properties(height=80)
    )


def _tooltips(tips: list[Tip]) -> list[alt.Tooltip]:
    """Altair tooltips of :mod:`bench.report.chart_data`'s tip list (the report's SVG reads the same list)."""
    return [
        alt.Tooltip(f"{t.field}:{t.kind}", title=t.title, **({"format": t.fmt} if t.fmt else {}))  # type: ignore[arg-type]
        for t in tips
    ]


# ---- charts --------------------------------------------------------------------------------------
def latency_distribution(
    samples: pd.DataFrame,
    domain: Sequence[str],
    metric: str = "e2e_s",
    include_warmup: bool = False,
) -> alt.Chart | alt.LayerChart:
    """Box plot of warm requests per model with every request drawn on top (shape = phase)."""
    if samples.empty or metric not in samples:
        return _empty("No requests to draw yet.")
    data = sample_data(samples, metric, include_warmup)
    if data.empty:
        return _empty(f"No successful request has a value for {label(metric)}.")
    y = alt.Y("series:N", title=None, sort=list(domain), axis=series_axis())
    x = alt.X(
        f"{metric}:Q", title=label(metric), scale=alt.Scale(zero=False, nice=True), axis=value_axis(metric)
    )
    # the box from every warm request, computed here; the points a readable subset (bench.report.point_layers)
    boxes = _box_layers(point_layers.box_stats(data, metric), y, _color(domain, legend=False))
    # the y axis names every series: a colour legend would repeat it and steal the plot's width
    points = (
        alt.Chart(point_layers.thin(data))
        .mark_point(filled=True, size=70, opacity=0.9, stroke="#1B2333", strokeWidth=0.4, aria=False)
        .encode(
            y=y,
            x=x,
            yOffset=alt.YOffset("jitter:Q", scale=alt.Scale(domain=[-0.6, 1.6])),
            color=_color(domain, legend=False),
            shape=_shape(),
            tooltip=_tooltips(sample_tips(metric)),
        )
    )
    return hold(alt.layer(*boxes, points).properties(height=alt.Step(64)))


def percentile_bars(
    summary: pd.DataFrame, domain: Sequence[str], metric: str = "e2e_s"
) -> alt.LayerChart | alt.Chart:
    """p50 and p95 of warm requests per model, each bar labelled with its sample count."""
    if not has_percentiles(summary, metric):
        return _empty("No statistics yet: every request failed or the run has no warm request.")
    data = percentile_rows(summary, metric)
    if data.empty:
        return _empty("No percentile could be computed.")
    tooltip = _tooltips(percentile_tips(metric))
    # horizontal bars: the series names are y labels, one per band, so 8 long names never overlap
    y = alt.Y("series:N", title=None, sort=list(domain), axis=series_axis())
    y_offset = alt.YOffset("stat:N", sort=["p50", "p95"])
    x = alt.X("value:Q", title=label(metric), axis=value_axis(metric), scale=alt.Scale(nice=True))
    base = alt.Chart(data).encode(y=y, yOffset=y_offset, x=x, tooltip=tooltip)
    # p50 solid, p95 lighter, each bar named at its end ("p95 n=10"): no separate legend whose
    # black and grey swatches match no bar
    bars = base.mark_bar(cornerRadiusEnd=3).encode(
        color=_color(domain, legend=False),
        opacity=alt.Opacity("stat:N", scale=alt.Scale(domain=["p50", "p95"], range=[1.0, 0.55]), legend=None),
    )
    labels = base.mark_text(dx=4, fontSize=11, color="#374151", align="left", baseline="middle").encode(
        text="label:N"
    )
    return hold(alt.layer(bars, labels).properties(height=band_height(data["series"].nunique(), 44)))


def ttft_vs_decode(samples: pd.DataFrame, domain: Sequence[str]) -> alt.Chart:
    """Each request: time to first token (x) against decode tokens/s (y)."""
    if samples.empty:
        return _empty("No requests to draw yet.")
    data = sample_data(samples, "decode_tps", include_warmup=False)
    data = data[data["ttft_s"].notna()] if not data.empty else data
    if data.empty:
        return _empty("TTFT needs streamed requests; this run was not streamed or produced no tokens.")
    return (
        alt.Chart(point_layers.thin(data))
        .mark_point(filled=True, size=80, opacity=0.85, stroke="#1B2333", strokeWidth=0.4, aria=False)
        .encode(
            x=alt.X(
                "ttft_s:Q", title=label("ttft_s"), scale=alt.Scale(zero=False), axis=value_axis("ttft_s")
            ),
            y=alt.Y(
                "decode_tps:Q",
                title=label("decode_tps"),
                scale=alt.Scale(zero=False),
                axis=value_axis("decode_tps"),
            ),
            color=_color(domain),
            shape=_shape(),
            tooltip=_tooltips(sample_tips("decode_tps")),
        )
        .properties(height=320, autosize=FIT_X)
    )


def tps_per_prompt(
    prompts: pd.DataFrame, domain: Sequence[str], metric: str = "decode_tps_mean"
) -> alt.Chart:
    """Mean decode tokens/s per prompt and model (warm and cold requests, no warm-up)."""
    if prompts.empty or metric not in prompts:
        return _empty("No per-prompt statistics yet.")
    data = prompts[prompts[metric].notna()].copy()
    if data.empty:
        return _empty("No request produced enough tokens to measure decode speed.")
    # only what is drawn or shown: every other column costs a conversion per chart (issue 20: 10k requests)
    wanted = ["series", "prompt_id", metric, "e2e_s_mean", "ttft_s_mean", "output_tokens_mean", "n", "run_id"]
    data = data[[c for c in dict.fromkeys(wanted) if c in data.columns]]
    return (
        alt.Chart(data)
        .mark_bar(cornerRadiusTopLeft=3, cornerRadiusTopRight=3)
        .encode(
            x=alt.X(
                "prompt_id:N",
                title="Prompt",
                axis=alt.Axis(labelAngle=-30, labelAlign="right", labelOverlap=False, labelLimit=NO_LIMIT),
            ),
            xOffset=alt.XOffset("series:N", sort=list(domain)),
            y=alt.Y(f"{metric}:Q", title="Decode tok/s (mean)", axis=value_axis("decode_tps")),
            color=_color(domain),
            tooltip=_tooltips(prompt_tips(metric)),
        )
        .properties(height=300, autosize=FIT_X)
    )


def resource_bars(
    models: pd.DataFrame, domain: Sequence[str], field: str, width: int | None = None
) -> alt.Chart:
    """One bar per model of ``field`` (a key of RESOURCE_PANELS), tooltips with every resource number."""
    title = RESOURCE_PANELS[field]
    part = resource_rows(models, field)
    if part.empty:
        return _empty(f"{title}: not measured in these runs.")
    size = {"width": width} if width else {}
    return (
        alt.Chart(part)
        .mark_bar(cornerRadiusEnd=3)
        .encode(
            y=alt.Y("series:N", title=None, sort=list(domain), axis=series_axis()),
            x=alt.X(f"{field}:Q", title=title, axis=value_axis(RESOURCE_UNITS[field])),
            color=_color(domain, legend=False),
            tooltip=_tooltips(RESOURCE_TIPS),
        )
        .properties(height=band_height(part["series"].nunique()), autosize=FIT_X, **size)
    )


def _box_layers(stats: pd.DataFrame, y: alt.Y, color: alt.Color) -> list[alt.Chart]:
    """Whisker, box (Q1..Q3) and median tick drawn from :func:`point_layers.box_stats`, with n in the tooltip."""
    base = alt.Chart(stats).encode(y=y, color=color)
    tips = _tooltips(BOX_TIPS)
    return [
        base.mark_rule(opacity=0.6).encode(x=alt.X("low:Q"), x2="high:Q", tooltip=tips),
        base.mark_bar(size=26, opacity=0.28).encode(x=alt.X("q1:Q"), x2="q3:Q", tooltip=tips),
        base.mark_tick(size=26, thickness=2, color="#1B2333").encode(x=alt.X("median:Q")),
    ]
