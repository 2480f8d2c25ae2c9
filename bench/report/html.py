"""One self-contained HTML report to send: the Markdown report, its charts inlined as SVG, the answers.

Nothing is fetched when it opens (no CDN, no script): the charts are drawn as SVG here
(:mod:`bench.report.svg_charts`, the Results page's charts from the same rows, each mark with its
tooltip) and pasted inline, the styles are inline too. They used to be rendered by Altair and
vl-convert, which cost a second of every report (``benchmarks/reports.md``). The text is :func:`bench.report.exports.render_markdown` rendered to HTML, so the settings, machine,
tables, quality per source and the decision with its uncertainty read exactly as in the Markdown.

Charts that draw one mark per request draw about 1,000 points (:mod:`bench.report.point_layers`: a
seeded random subset per model, every cold request kept, said in the caption), the same charts as
the Results page, so a run of 10,000 requests stays a few MB; boxes and statistics use every request. :func:`write_chart_files` writes the same charts as SVG or PNG files for the
Markdown report (``--charts``), for pasting into a wiki or a pull request.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.report import point_layers, svg_charts
from bench.report.chart_data import RESOURCE_PANELS
from bench.results import Results, load_results, with_series
from bench.stats import aggregates
from bench.store.store import Store

STYLE = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2937;margin:0;background:#f9fafb}
main{max-width:1180px;margin:0 auto;padding:24px 32px;background:#fff}
h1{font-size:28px;border-bottom:3px solid #2563eb;padding-bottom:6px}h2{margin-top:36px;border-bottom:1px solid #e5e7eb}
table{border-collapse:collapse;margin:12px 0;font-size:13px;display:block;overflow-x:auto}
th,td{border:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f4f6}
tr:nth-child(even) td{background:#fafafa}code{background:#f3f4f6;padding:1px 4px;border-radius:3px}
figure{margin:18px 0;padding:12px;border:1px solid #e5e7eb;border-radius:6px}figure svg{max-width:100%;height:auto}
figcaption{color:#4b5563;font-size:13px;margin-top:6px}details{margin:6px 0}summary{cursor:pointer}
pre{white-space:pre-wrap;background:#f9fafb;border:1px solid #e5e7eb;padding:8px;border-radius:4px;font-size:13px}
"""


@dataclass
class ChartSpec:
    """One chart of the report: a file-safe name, a title, the chart as SVG and what it shows."""

    name: str
    title: str
    svg: str
    caption: str


def chart_specs(results: Results) -> list[ChartSpec]:
    """The charts of the Results page that make sense on paper, built from the results layer."""
    samples, domain = results.samples, results.domain
    if samples.empty:
        return []
    # the charts thin their points themselves (bench.report.point_layers), from every request: a
    # subset taken here first made the boxes a subset's and the caption name the wrong count
    note = point_layers.thinning_note(len(aggregates.measured(samples)))
    prompts = with_series(aggregates.prompt_summary(samples), results.several_runs)
    specs = [
        ChartSpec(
            "latency",
            "End-to-end latency per request",
            svg_charts.latency_distribution(samples, domain),
            "One point per request (● warm, ▲ cold = first after the model load); the box spans the warm"
            " requests' quartiles." + note,
        ),
        ChartSpec(
            "percentiles",
            "p50 and p95 latency",
            svg_charts.percentile_bars(results.summary, domain),
            "Warm requests; each bar is labelled with the number of samples behind it (⚠ = too few for p95).",
        ),
        ChartSpec(
            "ttft_decode",
            "Time to first token vs decode speed",
            svg_charts.ttft_vs_decode(samples, domain),
            "Each streamed request; up-left is better." + note,
        ),
        ChartSpec(
            "tps_per_prompt",
            "Decode tokens/s per prompt",
            svg_charts.tps_per_prompt(prompts, domain),
            "Mean over the measured requests of each prompt.",
        ),
    ]
    table = results.table()
    for field, title in RESOURCE_PANELS.items():
        specs.append(
            ChartSpec(
                field, title, svg_charts.resource_bars(table, domain, field), "One value per model and run."
            )
        )
    return specs


def chart_specs_for(store: Store, run_ids: Sequence[str]) -> list[ChartSpec]:
    return chart_specs(load_results(store, run_ids))


def _answers(results: Results) -> str:
    """The first measured answer of every model to every prompt, escaped, folded per model."""
    measured = aggregates.measured(results.samples)
    if measured.empty:
        return "<p>No measured answers.</p>"
    prompts = {
        p["id"]: p.get("prompt", "") for run in results.runs for p in run["prompts"].get("prompts", [])
    }
    first = measured.sort_values("round").groupby(["series", "prompt_id"], sort=False).first().reset_index()
    parts = []
    for series, group in first.groupby("series", sort=False):
        items = "".join(
            f"<details><summary><code>{html.escape(str(r['prompt_id']))}</code> "
            f"{html.escape(str(prompts.get(r['prompt_id'], '')))[:160]}</summary>"
            f"<pre>{html.escape(str(r['answer']))}</pre></details>"
            for r in group.to_dict("records")
        )
        parts.append(f"<h3>{html.escape(str(series))}</h3>{items}")
    return "".join(parts)


def _markdown_html(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table").render(text)


def render_html(store: Store, run_ids: Sequence[str]) -> str:
    """The whole report as one HTML page (no network needed to open it)."""
    from bench.report.exports import render_markdown

    results = load_results(store, run_ids)  # once: the Markdown text and the charts share them
    body, _, tail = render_markdown(store, run_ids, results).partition("## How to read these numbers")
    figures = "".join(
        f"<figure><h3>{html.escape(s.title)}</h3>{s.svg}<figcaption>{html.escape(s.caption)}"
        "</figcaption></figure>"
        for s in chart_specs(results)
    )
    title = f"SLM Bench report · {', '.join(results.run_ids)}"
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>'
        f"<body><main>{_markdown_html(body)}<h2>Charts</h2>{figures or '<p>No requests to draw.</p>'}"
        f"<h2>Answers</h2>{_answers(results)}"
        f"{_markdown_html('## How to read these numbers' + tail) if tail else ''}</main></body></html>\n"
    )


def write_chart_files(
    store: Store, run_ids: Sequence[str], folder: str | Path, fmt: str = "svg"
) -> list[tuple[str, Path]]:
    """Every chart as ``folder/<name>.svg`` (or ``.png``); returns (title, path) pairs in report order.

    PNG: the same SVG rasterised at twice its size by vl-convert's resvg (imported only for PNG)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in chart_specs(load_results(store, run_ids)):
        path = out / f"{spec.name}.{fmt}"
        if fmt == "png":
            import vl_convert as vlc

            path.write_bytes(vlc.svg_to_png(spec.svg, scale=2))
        else:
            path.write_text(spec.svg, encoding="utf-8")
        written.append((spec.title, path))
    return written


def markdown_with_charts(store: Store, run_ids: Sequence[str], out_file: str | Path, fmt: str = "svg") -> str:
    """The Markdown report plus a Charts section linking image files written next to ``out_file``."""
    from bench.report.exports import render_markdown

    out_file = Path(out_file)
    folder = out_file.parent / f"{out_file.stem}_charts"
    body, sep, tail = render_markdown(store, run_ids).partition("## How to read these numbers")
    links = [f"### {title}\n\n![{title}]({path.relative_to(out_file.parent).as_posix()})\n" for title, path in
             write_chart_files(store, run_ids, folder, fmt)]  # fmt: skip
    charts_md = "## Charts\n\n" + ("\n".join(links) if links else "No requests to draw.\n") + "\n"
    return body + charts_md + sep + tail
