"""The report's charts as SVG: the Results page's charts, drawn from the same rows, without Vega.

Each function takes what its Altair twin in :mod:`bench.report.charts` takes and draws the same
encoding: one colour per series (:func:`bench.report.chart_data.color_map`), the request phase as
the symbol, the box from every warm request and the points a seeded subset
(:mod:`bench.report.point_layers`), the metric's own tick format. Hovering a mark shows the same
facts as the app's tooltip (sample count, token source, transport). A chart with nothing to draw
says why, with the app's words.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from bench.report import point_layers
from bench.report import svg as draw
from bench.report.chart_data import (
    BOX_TIPS,
    PHASE_SHAPES,
    PHASES,
    RESOURCE_PANELS,
    RESOURCE_TIPS,
    RESOURCE_UNITS,
    Tip,
    axis_format,
    color_map,
    has_percentiles,
    label,
    percentile_rows,
    percentile_tips,
    prompt_tips,
    resource_rows,
    sample_data,
    sample_tips,
)

WIDTH = 860
SHAPES = dict(zip(PHASES, PHASE_SHAPES, strict=True))


def _series(domain: Sequence[str], present: pd.Series) -> tuple[list[str], dict[str, str]]:
    """The series drawn, in the shared domain's order (any not in it after them), and their colours."""
    drawn = [str(s) for s in dict.fromkeys(present.astype(str))]
    extra = [s for s in drawn if s not in domain]
    return [s for s in domain if s in drawn] + extra, color_map([*domain, *extra])


def _series_margin(names: Sequence[str]) -> int:
    """Room left of the plot for the widest line of a wrapped series name."""
    widest = max((draw.text_px(part) for n in names for part in draw.series_lines(n)), default=40)
    return int(widest) + 20


def _value(value: object, tip: Tip) -> str:
    """A tooltip's value as the app's tooltip writes it; ``n/a`` when it was not measured."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "n/a"
    if tip.kind != "Q":
        return str(value)
    number = float(value)  # type: ignore[arg-type]
    return format(number, tip.fmt) if tip.fmt else f"{number:.0f}" if number.is_integer() else f"{number:.3g}"


def _tip(row: dict, tips: list[Tip]) -> str:
    """A mark's ``<title>``: one ``Title: value`` line per fact of ``tips``, blank text left out."""
    return "\n".join(f"{t.title}: {_value(row.get(t.field), t)}" for t in tips if row.get(t.field) != "")


def _phases_drawn(points: pd.DataFrame) -> list[str]:
    present = set(points["phase"].astype(str))
    return [p for p in PHASES if p in present]


def latency_distribution(
    samples: pd.DataFrame, domain: Sequence[str], metric: str = "e2e_s", width: int = WIDTH
) -> str:
    """Box of the warm requests per model (whiskers 1.5 IQR, median tick), every drawn request on top."""
    if samples.empty or metric not in samples:
        return draw.message("No requests to draw yet.", width)
    data = sample_data(samples, metric, include_warmup=False)
    if data.empty:
        return draw.message(f"No successful request has a value for {label(metric)}.", width)
    boxes, points = point_layers.box_stats(data, metric), point_layers.thin(data)
    names, colors = _series(domain, data["series"])
    canvas = draw.Canvas(width, 64 * len(names), _series_margin(names), top=30, bottom=48)
    band = draw.Band(names, canvas.top, 64)
    values = [*points[metric], *boxes["low"], *boxes["high"]]
    x = draw.Linear.fit(values, canvas.left, canvas.left + canvas.plot_w, zero=False, count=10)
    canvas.x_axis(x, label(metric), axis_format(metric), 10)
    canvas.series_axis(band)
    medians = []
    for box in boxes.to_dict("records"):
        whisker, body, median = _box(box, band, x, colors[str(box["series"])])
        canvas.add(whisker, body)
        medians.append(median)  # drawn over the points: under 1,000 of them the median would vanish
    tips = sample_tips(metric)
    for row in points.to_dict("records"):
        y = band.top(str(row["series"])) + 64 * (float(row["jitter"]) + 0.6) / 2.2  # Vega's yOffset domain
        canvas.add(
            draw.point(
                x(float(row[metric])), y, SHAPES.get(str(row["phase"]), "circle"), colors[str(row["series"])],
                tip=_tip(row, tips), data={"series": row["series"], "phase": row["phase"]},
            )
        )  # fmt: skip
    canvas.add(*medians)
    canvas.shape_legend(_phases_drawn(points), SHAPES, 12)
    return canvas.render(f"{label(metric)} per request and model")


def _box(box: dict, band: draw.Band, x: draw.Linear, color: str) -> list[str]:
    """Whisker, Q1..Q3 box and median tick of one series, its numbers and n in every tooltip."""
    mid = band.middle(str(box["series"]))
    tip = _tip(box, BOX_TIPS)
    data = {t.field: f"{float(box[t.field]):.6g}" for t in BOX_TIPS if t.fmt}
    data.update(series=box["series"], n=int(box["n"]))
    return [
        draw.line(x(box["low"]), mid, x(box["high"]), mid, color, 1.5, 0.6, tip),
        draw.rect(
            x(box["q1"]), mid - 13, x(box["q3"]) - x(box["q1"]), 26, color, 0.28, tip, {"box": 1, **data}
        ),
        draw.line(
            x(box["median"]),
            mid - 13,
            x(box["median"]),
            mid + 13,
            draw.INK,
            2,
            1.0,
            tip,
            {"median": 1, "series": box["series"], "value": data["median"]},
        ),
    ]


def percentile_bars(
    summary: pd.DataFrame, domain: Sequence[str], metric: str = "e2e_s", width: int = WIDTH
) -> str:
    """p50 (solid) and p95 (lighter) of the warm requests per model, each bar named with its n."""
    if not has_percentiles(summary, metric):
        return draw.message("No statistics yet: every request failed or the run has no warm request.", width)
    rows = percentile_rows(summary, metric)
    if rows.empty:
        return draw.message("No percentile could be computed.", width)
    names, colors = _series(domain, rows["series"])
    room = max(draw.text_px(str(lab)) for lab in rows["label"]) + 12  # the labels past the longest bar
    canvas = draw.Canvas(width, max(44 * len(names), 88), _series_margin(names), top=8, bottom=48,
                         right=int(room))  # fmt: skip
    band = draw.Band(names, canvas.top, canvas.plot_h / len(names))
    x = draw.Linear.fit(rows["value"], canvas.left, canvas.left + canvas.plot_w, zero=True, count=10)
    canvas.x_axis(x, label(metric), axis_format(metric), 10)
    canvas.series_axis(band)
    tips = percentile_tips(metric)
    for row in rows.to_dict("records"):
        start, thick = band.inner(str(row["series"]))
        y = start + (0 if row["stat"] == "p50" else thick / 2)
        tip = _tip(row, tips)
        data = {"series": row["series"], "stat": row["stat"], "value": f"{row['value']:.6g}", "n": row["n"]}
        canvas.add(
            draw.rect(x(0), y + 1, x(row["value"]) - x(0), thick / 2 - 2, colors[str(row["series"])],
                      1.0 if row["stat"] == "p50" else 0.55, tip, data),
            draw.text(x(row["value"]) + 4, y + thick / 4, str(row["label"])),
        )  # fmt: skip
    return canvas.render(f"p50 and p95 of {label(metric)} per model")


def ttft_vs_decode(samples: pd.DataFrame, domain: Sequence[str], width: int = WIDTH) -> str:
    """Each streamed request: time to first token (x) against decode tokens/s (y); up-left is better."""
    if samples.empty:
        return draw.message("No requests to draw yet.", width)
    data = sample_data(samples, "decode_tps", include_warmup=False)
    data = data[data["ttft_s"].notna()] if not data.empty else data
    if data.empty:
        return draw.message(
            "TTFT needs streamed requests; this run was not streamed or produced no tokens.", width
        )
    points = point_layers.thin(data)
    names, colors = _series(domain, data["series"])
    rows = draw.legend_rows(names, width)
    canvas = draw.Canvas(width, 320, 80, top=30, bottom=56 + 18 * rows)
    x = draw.Linear.fit(points["ttft_s"], canvas.left, canvas.left + canvas.plot_w, zero=False, count=10)
    y = draw.Linear.fit(points["decode_tps"], canvas.top + canvas.plot_h, canvas.top, zero=False, count=6)
    canvas.y_axis(y, label("decode_tps"), axis_format("decode_tps"), 6)
    canvas.x_axis(x, label("ttft_s"), axis_format("ttft_s"), 10)
    tips = sample_tips("decode_tps")
    for row in points.to_dict("records"):
        canvas.add(
            draw.point(
                x(float(row["ttft_s"])), y(float(row["decode_tps"])), SHAPES.get(str(row["phase"]), "circle"),
                colors[str(row["series"])], 80, _tip(row, tips),
                {"series": row["series"], "phase": row["phase"]},
            )
        )  # fmt: skip
    canvas.shape_legend(_phases_drawn(points), SHAPES, 12)
    canvas.color_legend(names, colors, canvas.top + canvas.plot_h + 56)
    return canvas.render("Time to first token against decode tokens/s per request")


def tps_per_prompt(
    prompts: pd.DataFrame, domain: Sequence[str], metric: str = "decode_tps_mean", width: int = WIDTH
) -> str:
    """Mean decode tokens/s per prompt, one bar per model side by side (warm and cold, no warm-up)."""
    if prompts.empty or metric not in prompts:
        return draw.message("No per-prompt statistics yet.", width)
    data = prompts[prompts[metric].notna()]
    if data.empty:
        return draw.message("No request produced enough tokens to measure decode speed.", width)
    names, colors = _series(domain, data["series"])
    ids = sorted(str(p) for p in dict.fromkeys(data["prompt_id"].astype(str)))  # Vega's default: ascending
    drop = (
        max(draw.text_px(p) for p in ids) * 0.5 + 12
    )  # labels turned 30°: their height is half their length
    rows = draw.legend_rows(names, width)
    canvas = draw.Canvas(width, 300, 80, top=12, bottom=int(drop) + 40 + 18 * rows)
    band = draw.Band(ids, canvas.left, canvas.plot_w / len(ids))
    y = draw.Linear.fit(data[metric], canvas.top + canvas.plot_h, canvas.top, zero=True, count=6)
    canvas.y_axis(y, "Decode tok/s (mean)", axis_format("decode_tps"), 6)
    base = canvas.top + canvas.plot_h
    for pid in ids:
        mid = band.middle(pid)
        canvas.add(draw.text(mid + 3, base + 10, pid, "end", rotate=-30, baseline="hanging"))
    canvas.add(draw.line(canvas.left, base, canvas.left + canvas.plot_w, base, draw.AXIS))
    canvas.add(
        draw.text(canvas.left + canvas.plot_w / 2, base + drop + 18, "Prompt", "middle", weight="bold")
    )
    tips = prompt_tips(metric)
    for row in data.to_dict("records"):
        start, span = band.inner(str(row["prompt_id"]))
        each = span / len(names)
        left = start + names.index(str(row["series"])) * each
        value = float(row[metric])
        canvas.add(
            draw.rect(left + 0.5, y(value), each - 1, y(0) - y(value), colors[str(row["series"])],
                      tip=_tip(row, tips),
                      data={"series": row["series"], "prompt": row["prompt_id"], "value": f"{value:.6g}"})
        )  # fmt: skip
    canvas.color_legend(names, colors, base + drop + 40)
    return canvas.render("Mean decode tokens/s per prompt and model")


def resource_bars(models: pd.DataFrame, domain: Sequence[str], field: str, width: int = WIDTH) -> str:
    """One bar per model of ``field`` (a key of RESOURCE_PANELS); the tooltip holds every resource number."""
    title = RESOURCE_PANELS[field]
    part = resource_rows(models, field)
    if part.empty:
        return draw.message(f"{title}: not measured in these runs.", width)
    names, colors = _series(domain, part["series"])
    canvas = draw.Canvas(width, max(34 * len(names), 68), _series_margin(names), top=8, bottom=48)
    band = draw.Band(names, canvas.top, canvas.plot_h / len(names))
    x = draw.Linear.fit(part[field], canvas.left, canvas.left + canvas.plot_w, zero=True, count=10)
    canvas.x_axis(x, title, axis_format(RESOURCE_UNITS[field]), 10)
    canvas.series_axis(band)
    for row in part.to_dict("records"):
        start, thick = band.inner(str(row["series"]))
        value = float(row[field])
        canvas.add(
            draw.rect(x(0), start, x(value) - x(0), thick, colors[str(row["series"])], tip=_tip(row, RESOURCE_TIPS),
                      data={"series": row["series"], "value": f"{value:.6g}"})
        )  # fmt: skip
    return canvas.render(f"{title} per model")
