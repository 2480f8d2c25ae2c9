"""What the charts draw, as plain DataFrames: shared by the app's Altair charts and the report's SVG.

Why a module of its own: the Results page draws with Altair, the HTML report draws SVG itself
(:mod:`bench.report.svg_charts`: no Altair import, no Vega renderer), and both must show the same
rows, colours and words. Nothing here imports a chart library.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

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

RESOURCE_UNITS = {"load_seconds": "s", "model_rss_mb": "MB", "size_mb": "MB"}
RESOURCE_PANELS = {
    "load_seconds": "Load time (s)",
    "model_rss_mb": "Memory (MB)",
    "size_mb": "Size on disk (MB)",
}
RESOURCE_COLUMNS = [
    "series", "load_seconds", "model_rss_mb", "memory_basis", "peak_rss_mb", "size_mb", "rss_source",
    "execution_provider", "transport", "status",
]  # fmt: skip
#: d3 tick formats by unit: to the metric's precision, never "0.547236" (``~`` drops trailing zeros);
#: the report's SVG writes the same (:func:`bench.report.svg.number`)
UNIT_FORMATS = {"s": ",.3~r", "tok/s": ",.3~r", "tok": ",d", "MB": ",.0f", "score": ".1f"}
#: the columns a per-request chart keeps: what it draws or names in a tooltip
SAMPLE_COLUMNS = [
    "series", "model", "run_id", "prompt_id", "round", "round_label", "phase", "phase_note", "jitter",
    "ttft_s", "decode_tps", "output_tokens", "output_token_source", "transport",
]  # fmt: skip


class Tip(NamedTuple):
    """One line of what hovering a mark says: the column, its title, ``Q`` or ``N``, a number format.

    The one list both chart kinds read: the app's Altair tooltips (:mod:`bench.report.charts`) and
    the report's SVG ``<title>`` lines (:mod:`bench.report.svg_charts`) name the same facts.
    """

    field: str
    title: str
    kind: str = "N"
    fmt: str = ""


def sample_tips(metric: str) -> list[Tip]:
    """One request: where it came from (prompt, round, phase, token source, transport, run) and its numbers."""
    return [
        Tip("series", "Model"), Tip("prompt_id", "Prompt"), Tip("round_label", "Round"),
        Tip("phase_note", "Request"), Tip(metric, label(metric), "Q", ".3f"), Tip("ttft_s", "TTFT (s)", "Q", ".3f"),
        Tip("decode_tps", "Decode tok/s", "Q", ".1f"), Tip("output_tokens", "Output tokens", "Q"),
        Tip("output_token_source", "Token count from"), Tip("transport", "Transport"), Tip("run_id", "Run"),
    ]  # fmt: skip


def percentile_tips(metric: str) -> list[Tip]:
    """One p50 or p95 bar: its value, the warm samples behind it and any low-n caveat."""
    return [
        Tip("series", "Model"), Tip("stat", "Statistic"), Tip("value", label(metric), "Q", ".3f"),
        Tip("n", "Warm samples", "Q"), Tip("caveat", "Caveat"), Tip("token_source", "Token count from"),
        Tip("transport", "Transport"), Tip("run_id", "Run"),
    ]  # fmt: skip


def prompt_tips(metric: str) -> list[Tip]:
    """One prompt's bar of one model: its means and how many requests are behind them."""
    return [
        Tip("series", "Model"), Tip("prompt_id", "Prompt"), Tip(metric, "Decode tok/s (mean)", "Q", ".1f"),
        Tip("e2e_s_mean", "End-to-end (s, mean)", "Q", ".3f"), Tip("ttft_s_mean", "TTFT (s, mean)", "Q", ".3f"),
        Tip("output_tokens_mean", "Output tokens (mean)", "Q", ".1f"), Tip("n", "Samples", "Q"),
        Tip("run_id", "Run"),
    ]  # fmt: skip


#: one model's resource bar: every resource number and where memory was measured
RESOURCE_TIPS = [
    Tip("series", "Model"), Tip("load_seconds", "Load time (s)", "Q", ".2f"),
    Tip("model_rss_mb", "Memory (MB)", "Q", ".0f"), Tip("memory_basis", "Memory is"),
    Tip("peak_rss_mb", "Peak RSS (MB)", "Q", ".0f"), Tip("size_mb", "Size on disk (MB)", "Q", ".1f"),
    Tip("rss_source", "Memory measured on"), Tip("execution_provider", "Execution provider"),
    Tip("transport", "Transport"), Tip("status", "Status"),
]  # fmt: skip
#: one model's box of warm requests: the statistics :func:`bench.report.point_layers.box_stats` computes
BOX_TIPS = [
    Tip("series", "Model"), Tip("n", "Warm requests (n)", "Q"), Tip("median", "Median", "Q", ".3f"),
    Tip("q1", "Q1", "Q", ".3f"), Tip("q3", "Q3", "Q", ".3f"), Tip("low", "Lower whisker", "Q", ".3f"),
    Tip("high", "Upper whisker", "Q", ".3f"),
]  # fmt: skip


def color_map(domain: Sequence[str]) -> dict[str, str]:
    """``{series: hex}``: one colour per series, the same in every chart and table."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(domain)}


def axis_format(metric: str) -> str:
    """The tick format of ``metric`` (a key of ``bench.stats.aggregates.METRICS`` or a unit such as ``MB``)."""
    unit = METRICS[metric][1] if metric in METRICS else metric
    return UNIT_FORMATS.get(unit, ",.3~r")


def label(metric: str) -> str:
    """``End-to-end latency (s)``: a metric's name with its unit, as axis titles and tooltips say it."""
    name, unit = METRICS.get(metric, (metric, ""))
    return f"{name} ({unit})" if unit else name


def jitter(frame: pd.DataFrame) -> pd.Series:
    """Deterministic vertical spread for strip plots (the same run draws the same picture)."""
    codes = pd.factorize(frame["prompt_id"].astype(str))[0]
    rounds = frame["round"].fillna(0).astype(int).to_numpy()
    return pd.Series(((codes * 7 + rounds * 3) % 11) / 10.0, index=frame.index)


def sample_data(samples: pd.DataFrame, metric: str, include_warmup: bool) -> pd.DataFrame:
    """The successful requests with a value for ``metric``, each with its phase, round words and jitter."""
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
    rounds = data["round"].fillna(0)
    words = {r: round_words(r) for r in rounds.unique()}  # a few rounds, thousands of rows
    data["round_label"] = rounds.map(words)  # as the app and the CSV say
    data["jitter"] = jitter(data)
    return data[list(dict.fromkeys([*SAMPLE_COLUMNS, metric]))]


def has_percentiles(summary: pd.DataFrame, metric: str = "e2e_s") -> bool:
    """Whether ``summary`` holds ``metric``'s p50, p95 and n (not so when every request failed)."""
    needed = {f"{metric}_p50", f"{metric}_p95", f"{metric}_n"}
    return not summary.empty and needed <= set(summary.columns)


def percentile_rows(summary: pd.DataFrame, metric: str = "e2e_s") -> pd.DataFrame:
    """One row per (series, p50 | p95) of warm requests, labelled with its sample count.

    Empty when the summary has no such statistic. ``⚠`` marks a percentile from fewer samples than
    :data:`bench.stats.aggregates.MIN_N` wants, and ``caveat`` says so in words.
    """
    if not has_percentiles(summary, metric):
        return pd.DataFrame()
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
    return pd.DataFrame(rows)


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


def resource_rows(models: pd.DataFrame, field: str) -> pd.DataFrame:
    """The models with a value for ``field`` (a key of :data:`RESOURCE_PANELS`), drawn or tooltip columns only."""
    data = model_resources(models)
    part = data[data[field].notna()] if not data.empty else data
    return part[[c for c in RESOURCE_COLUMNS if c in part.columns]]
