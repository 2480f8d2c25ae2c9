"""Altair charts of stored runs: DataFrames in, charts out (no Streamlit, so reports can reuse them).

Conventions every chart follows:

- one colour per *series* (a model, or ``model · run`` when several runs are compared), taken from
  one shared domain, so a model has the same colour in every chart;
- the request phase has its own shape: ``warm`` circle, ``cold`` (first request after a load)
  triangle, ``warm-up`` cross; warm-up and failed requests never enter a statistic;
- every mark has a tooltip that names the sample count and where the number came from (output
  token source, transport: in-process or HTTP).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from bench.report import point_layers
from bench.report.round_labels import round_words
from bench.stats.aggregates import METRICS, MIN_N
from bench.units import MB, is_missing

#: Tableau 10: distinct, colour-blind-friendly, readable on white.
PALETTE = [
    "#4E79A7",
    "#F28E2B",
    "#59A14F",
    "#E15759",
    "#76B7B2",
    "#EDC948",
    "#B07AA1",
    "#FF9DA7",
    "#9C755F",
    "#BAB0AC",
]
PHASES = ["warm", "cold", "warm-up"]
PHASE_SHAPES = ["circle", "triangle-up", "cross"]

SERIES_TITLE = "Model"

#: d3 tick formats by unit: to the metric's precision, never "0.547236" (``~`` drops trailing zeros)
UNIT_FORMATS = {"s": ",.3~r", "tok/s": ",.3~r", "tok": ",d", "MB": ",.0f", "score": ".1f"}
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


def axis_format(metric: str) -> str:
    """The tick format of ``metric`` (a key of ``bench.stats.aggregates.METRICS`` or a unit such as ``MB``)."""
    unit = METRICS[metric][1] if metric in METRICS else metric
    return UNIT_FORMATS.get(unit, ",.3~r")


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


def color_map(domain: Sequence[str]) -> dict[str, str]:
    """``{series: hex}``, for tables that want the same colours as the charts."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(domain)}


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


def _label(metric: str) -> str:
    name, unit = METRICS.get(metric, (metric, ""))
    return f"{name} ({unit})" if unit else name


def _empty(message: str) -> alt.Chart:
    """A placeholder chart that says why there is nothing to draw."""
    return (
        alt.Chart(pd.DataFrame({"text": [message]}))
        .mark_text(size=14, color="#6B7280")
        .encode(text="text:N", tooltip=alt.Tooltip("text:N", title="Why empty"))
        .properties(height=80)
    )


def _jitter(frame: pd.DataFrame) -> pd.Series:
    """Deterministic vertical spread for strip plots (the same run draws the same picture)."""
    codes = pd.factorize(frame["prompt_id"].astype(str))[0]
    rounds = frame["round"].fillna(0).astype(int).to_numpy()
    return pd.Series(((codes * 7 + rounds * 3) % 11) / 10.0, index=frame.index)


def _sample_tooltips(metric: str) -> list[alt.Tooltip]:
    return [
        alt.Tooltip("series:N", title="Model"),
        alt.Tooltip("prompt_id:N", title="Prompt"),
        alt.Tooltip("round_label:N", title="Round"),
        alt.Tooltip("phase_note:N", title="Request"),
        alt.Tooltip(f"{metric}:Q", title=_label(metric), format=".3f"),
        alt.Tooltip("ttft_s:Q", title="TTFT (s)", format=".3f"),
        alt.Tooltip("decode_tps:Q", title="Decode tok/s", format=".1f"),
        alt.Tooltip("output_tokens:Q", title="Output tokens"),
        alt.Tooltip("output_token_source:N", title="Token count from"),
        alt.Tooltip("transport:N", title="Transport"),
        alt.Tooltip("run_id:N", title="Run"),
    ]


def _sample_data(samples: pd.DataFrame, metric: str, include_warmup: bool) -> pd.DataFrame:
    data = samples[samples["ok"]] if "ok" in samples else samples
    data = data.copy()
    cold = data["cold"].astype(bool) if "cold" in data else pd.Series(False, index=data.index)
    warmup = data["warmup"].astype(bool) if "warmup" in data else data["phase"] == "warm-up"
    # The first request after a load is drawn as cold even when it was a warm-up round: seeing the
    # cold start is the point (statistics still exclude warm-up rounds; that is bench.stats.aggregates' job).
    data["phase_note"] = np.where(
        cold & warmup,
        "cold: first after load (warm-up round, not in statistics)",
        np.where(cold, "cold: first after load", np.where(warmup, "warm-up (not in statistics)", "warm")),
    )
    data["phase"] = np.where(cold, "cold", data["phase"])
    if not include_warmup:
        data = data[(data["phase"] != "warm-up")]
    data = data[data[metric].notna()]
    if data.empty:
        return data
    data["round_label"] = [round_words(r) for r in data["round"].fillna(0)]  # as the app and the CSV say
    data["jitter"] = _jitter(data)
    keep = [
        "series",
        "model",
        "run_id",
        "prompt_id",
        "round",
        "round_label",
        "phase",
        "phase_note",
        "jitter",
        "ttft_s",
        "decode_tps",
        "output_tokens",
        "output_token_source",
        "transport",
        metric,
    ]
    return data[list(dict.fromkeys(keep))]


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
    data = _sample_data(samples, metric, include_warmup)
    if data.empty:
        return _empty(f"No successful request has a value for {_label(metric)}.")
    y = alt.Y("series:N", title=None, sort=list(domain), axis=series_axis())
    x = alt.X(
        f"{metric}:Q", title=_label(metric), scale=alt.Scale(zero=False, nice=True), axis=value_axis(metric)
    )
    # the box from every warm request, computed here; the points a readable subset (bench.report.point_layers)
    boxes = point_layers.box_layers(point_layers.box_stats(data, metric), y, _color(domain, legend=False))
    # the y axis names every series: a colour legend would repeat it and steal the plot's width
    points = (
        alt.Chart(point_layers.thin(data))
        .mark_point(filled=True, size=70, opacity=0.9, stroke="#1B2333", strokeWidth=0.4)
        .encode(
            y=y,
            x=x,
            yOffset=alt.YOffset("jitter:Q", scale=alt.Scale(domain=[-0.6, 1.6])),
            color=_color(domain, legend=False),
            shape=_shape(),
            tooltip=_sample_tooltips(metric),
        )
    )
    return hold(alt.layer(*boxes, points).properties(height=alt.Step(64)))


def percentile_bars(
    summary: pd.DataFrame, domain: Sequence[str], metric: str = "e2e_s"
) -> alt.LayerChart | alt.Chart:
    """p50 and p95 of warm requests per model, each bar labelled with its sample count."""
    needed = {f"{metric}_p50", f"{metric}_p95", f"{metric}_n"}
    if summary.empty or not needed <= set(summary.columns):
        return _empty("No statistics yet: every request failed or the run has no warm request.")
    rows = []
    for rec in summary.to_dict("records"):
        n = int(rec.get(f"{metric}_n") or 0)
        low = rec.get(f"{metric}_low_n") or []
        for stat in ("p50", "p95"):
            value = rec.get(f"{metric}_{stat}")
            if is_missing(value):
                continue
            weak = stat in low
            rows.append(
                {
                    "series": rec["series"],
                    "stat": stat,
                    "value": float(value),
                    "n": n,
                    "label": f"{stat} n={n}{' ⚠' if weak else ''}",
                    "caveat": f"{stat} from {n} samples is a rough estimate (want ≥ {MIN_N[int(stat[1:])]})"
                    if weak
                    else "",
                    "token_source": rec.get("token_source") or "",
                    "transport": rec.get("transport") or "",
                    "run_id": rec.get("run_id"),
                }
            )
    if not rows:
        return _empty("No percentile could be computed.")
    data = pd.DataFrame(rows)
    tooltip = [
        alt.Tooltip("series:N", title="Model"),
        alt.Tooltip("stat:N", title="Statistic"),
        alt.Tooltip("value:Q", title=_label(metric), format=".3f"),
        alt.Tooltip("n:Q", title="Warm samples"),
        alt.Tooltip("caveat:N", title="Caveat"),
        alt.Tooltip("token_source:N", title="Token count from"),
        alt.Tooltip("transport:N", title="Transport"),
        alt.Tooltip("run_id:N", title="Run"),
    ]
    # horizontal bars: the series names are y labels, one per band, so 8 long names never overlap
    y = alt.Y("series:N", title=None, sort=list(domain), axis=series_axis())
    y_offset = alt.YOffset("stat:N", sort=["p50", "p95"])
    x = alt.X("value:Q", title=_label(metric), axis=value_axis(metric), scale=alt.Scale(nice=True))
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
    data = _sample_data(samples, "decode_tps", include_warmup=False)
    data = data[data["ttft_s"].notna()] if not data.empty else data
    if data.empty:
        return _empty("TTFT needs streamed requests; this run was not streamed or produced no tokens.")
    return (
        alt.Chart(point_layers.thin(data))
        .mark_point(filled=True, size=80, opacity=0.85, stroke="#1B2333", strokeWidth=0.4)
        .encode(
            x=alt.X(
                "ttft_s:Q", title=_label("ttft_s"), scale=alt.Scale(zero=False), axis=value_axis("ttft_s")
            ),
            y=alt.Y(
                "decode_tps:Q",
                title=_label("decode_tps"),
                scale=alt.Scale(zero=False),
                axis=value_axis("decode_tps"),
            ),
            color=_color(domain),
            shape=_shape(),
            tooltip=_sample_tooltips("decode_tps"),
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
            tooltip=[
                alt.Tooltip("series:N", title="Model"),
                alt.Tooltip("prompt_id:N", title="Prompt"),
                alt.Tooltip(f"{metric}:Q", title="Decode tok/s (mean)", format=".1f"),
                alt.Tooltip("e2e_s_mean:Q", title="End-to-end (s, mean)", format=".3f"),
                alt.Tooltip("ttft_s_mean:Q", title="TTFT (s, mean)", format=".3f"),
                alt.Tooltip("output_tokens_mean:Q", title="Output tokens (mean)", format=".1f"),
                alt.Tooltip("n:Q", title="Samples"),
                alt.Tooltip("run_id:N", title="Run"),
            ],
        )
        .properties(height=300, autosize=FIT_X)
    )


def model_resources(models: pd.DataFrame) -> pd.DataFrame:
    """Per (run, model) rows of :meth:`bench.results.Results.table` -> load time, memory and size in MB.

    Memory is the results layer's ``memory_bytes`` (one definition: see :mod:`bench.results`);
    MB = 10**6 bytes (:mod:`bench.units`).
    """
    if models.empty:
        return models
    out = models.copy()
    for col in ("load_seconds", "peak_rss_bytes", "memory_bytes", "size_bytes"):
        if col not in out:
            out[col] = np.nan
        out[col] = pd.to_numeric(out[col], errors="coerce")
    out["model_rss_mb"] = out["memory_bytes"] / MB
    out["peak_rss_mb"] = out["peak_rss_bytes"] / MB
    out["size_mb"] = out["size_bytes"] / MB
    return out


RESOURCE_UNITS = {"load_seconds": "s", "model_rss_mb": "MB", "size_mb": "MB"}
RESOURCE_PANELS = {
    "load_seconds": "Load time (s)",
    "model_rss_mb": "Memory (MB)",
    "size_mb": "Size on disk (MB)",
}


def resource_bars(
    models: pd.DataFrame, domain: Sequence[str], field: str, width: int | None = None
) -> alt.Chart:
    """One bar per model of ``field`` (a key of RESOURCE_PANELS), tooltips with every resource number."""
    title = RESOURCE_PANELS[field]
    data = model_resources(models)
    part = data[data[field].notna()] if not data.empty else data
    if part.empty:
        return _empty(f"{title}: not measured in these runs.")
    size = {"width": width} if width else {}
    part = part[[c for c in _RESOURCE_COLUMNS if c in part.columns]]  # only what is drawn or in the tooltip
    return (
        alt.Chart(part)
        .mark_bar(cornerRadiusEnd=3)
        .encode(
            y=alt.Y("series:N", title=None, sort=list(domain), axis=series_axis()),
            x=alt.X(f"{field}:Q", title=title, axis=value_axis(RESOURCE_UNITS[field])),
            color=_color(domain, legend=False),
            tooltip=_resource_tooltips(),
        )
        .properties(height=band_height(part["series"].nunique()), autosize=FIT_X, **size)
    )


_RESOURCE_COLUMNS = [
    "series", "load_seconds", "model_rss_mb", "memory_basis", "peak_rss_mb", "size_mb", "rss_source",
    "execution_provider", "transport", "status",
]  # fmt: skip


def _resource_tooltips() -> list[alt.Tooltip]:
    return [
        alt.Tooltip("series:N", title="Model"),
        alt.Tooltip("load_seconds:Q", title="Load time (s)", format=".2f"),
        alt.Tooltip("model_rss_mb:Q", title="Memory (MB)", format=".0f"),
        alt.Tooltip("memory_basis:N", title="Memory is"),
        alt.Tooltip("peak_rss_mb:Q", title="Peak RSS (MB)", format=".0f"),
        alt.Tooltip("size_mb:Q", title="Size on disk (MB)", format=".1f"),
        alt.Tooltip("rss_source:N", title="Memory measured on"),
        alt.Tooltip("execution_provider:N", title="Execution provider"),
        alt.Tooltip("transport:N", title="Transport"),
        alt.Tooltip("status:N", title="Status"),
    ]
