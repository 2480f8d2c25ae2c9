"""Results: charts and tables of one or more stored runs, every number with its source and sample count."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from bench.errors import BenchError
from bench.measure import machine
from bench.report import chart_data, charts, point_layers
from bench.report.round_labels import round_words
from bench.results import DEFINITIONS, ModelResult, Results, with_series
from bench.stats import aggregates, run_noise
from bench.units import is_missing, to_mb
from ui import results_cache, truncation
from ui.errors import show_error
from ui.format import duration, rate, seconds, size
from ui.lazy import opened
from ui.quality_view import render_quality
from ui.resources import store
from ui.routing import require_router
from ui.runs import STATUS_ICON, model_status, pick_runs, settings_words, warn_if_incomparable
from ui.tables import dashed, show_table
from ui.team_view import energy_panel
from ui.workload_view import render_workloads

require_router()

ANSWERS_PER_SERIES = 10  # answers listed per model and prompt (a 10,000-request run has 2,500 per prompt)
DISTRIBUTION_METRICS = [
    "e2e_s",
    "ttft_s",
    "ttfc_s",
    "tpot_s",
    "itl_s",
    "decode_tps",
    "e2e_tps",
    "output_tokens",
]


def _num(value: Any) -> float | None:
    return None if is_missing(value) else float(value)


def _chart(spec: dict[str, Any], caption: str | None = None) -> None:
    st.vega_lite_chart(spec=spec, width="stretch")
    if caption:
        st.caption(caption)


def _provenance(summary: pd.DataFrame) -> str:
    """``model: n=10 warm, tokens from usage×12, in-process`` for every series."""
    if summary.empty:
        return ""
    parts = [
        f"**{row['series']}**: n={int(row['n'])} warm, tokens from {row['token_source'] or 'n/a'}, {row['transport'] or 'n/a'}"
        for row in summary.to_dict("records")
    ]
    return " · ".join(parts)


def _caveat(row: dict[str, Any], metric: str = "e2e_s") -> str:
    low = row.get(f"{metric}_low_n") or []
    n = int(row.get(f"{metric}_n") or 0)
    for p in (95, 90):
        if f"p{p}" in low:
            return f"p{p} from {n} samples (want ≥ {aggregates.MIN_N[p]})"
    return ""


def _memory_note(m: ModelResult) -> str:
    if m.memory_bytes is None:
        return m.memory_basis or "not measured"
    return (
        m.memory_basis
        + ("" if m.memory_comparable else " · not comparable")
        + (f" · {m.memory_note}" if m.memory_note else "")
    )


def _table(models: list[ModelResult], run_status: dict[str, str]) -> pd.DataFrame:
    rows = []
    for m in models:
        rows.append(
            {
                "Model": m.series,
                "Status": model_status(m.status, run_status.get(m.run_id, "")),
                "Requests (warm)": m.n,
                "Failed": int(m.stat("n_failed") or 0),
                "Error rate (95%, n)": m.rate_words("error_rate"),
                "Cut by max tokens (95%, n)": m.rate_words("truncation_rate"),
                "e2e p50 (s)": _num(m.stat("e2e_s_p50")),
                "e2e p95 (s)": _num(m.stat("e2e_s_p95")),
                "TTFT mean (s)": _num(m.stat("ttft_s_mean")),
                "Decode tok/s": _num(m.stat("decode_tps_mean")),
                "Decode bursts left out": int(m.stat("n_decode_burst") or 0),
                "E2E tok/s": _num(m.stat("e2e_tps_mean")),
                "Output tokens": _num(m.stat("output_tokens_mean")),
                "Cold e2e (s)": _num(m.cold_e2e_s),
                "Load (s)": _num(m.load_seconds),
                "Memory (MB)": to_mb(m.memory_bytes),
                "Memory is": _memory_note(m),
                "Size (MB)": to_mb(m.size_bytes),
                "Token source": m.token_source,
                "Transport": m.transport,
                "Execution provider": m.execution_provider or "",
                "Machine": m.machine,
                "Caveat": _caveat(dict(m.stats)) if m.stats else "",
                "Run": m.run_id,
            }
        )
    return pd.DataFrame(rows)


def _side_by_side(count: int) -> list[Any]:
    """``count`` columns, or full-width rows when the series are many or long-named.

    Why: a half- or third-width chart has no room for 8 series or a 60-character model name: its
    labels were cut and its plot squeezed (issue 20). Stacked, each chart gets the page's width.
    """
    longest = max((len(str(name)) for name in domain), default=0)
    if len(domain) > 4 or longest > 32:
        return [st.container() for _ in range(count)]
    return list(st.columns(count, gap="large"))


def _machine_filter(results: Results) -> list[str]:
    """The runs of the machines picked (a filter shown only when the runs come from several machines)."""
    fps = {run["id"]: machine.of_run(run) for run in results.runs}
    labels = {fp["machine_id"]: fp["label"] for fp in fps.values()}
    if len(labels) < 2:
        return list(results.run_ids)
    chosen = st.multiselect(
        "Machine",
        list(labels),
        default=list(labels),
        format_func=labels.get,
        key="results_machine",
        help="The selected runs ran on several machines: keep the runs of the machines picked here.",
    )
    kept = [run_id for run_id in results.run_ids if fps[run_id]["machine_id"] in chosen]
    if not kept:
        st.info("Pick at least one machine.", icon=":material/info:")
        st.stop()
    return kept


st.title("Results")
run_ids = pick_runs("results")
if not run_ids:
    st.stop()

try:
    results, prompt_stats = results_cache.read(run_ids)
    run_ids = _machine_filter(results)
    if list(results.run_ids) != run_ids:
        results, prompt_stats = results_cache.read(run_ids)
except BenchError as exc:
    show_error(exc, title="These runs could not be read.")
    st.stop()

verdict = warn_if_incomparable(results.runs, results.models)
frame = samples = results.samples
summary = results.summary
models_df = results.table()
domain = results.domain

# ---- headline tiles ------------------------------------------------------------------------------
n_measured = aggregates.measured_count(frame)
n_failed = int((~frame["ok"]).sum()) if not frame.empty else 0
n_warmup = int(frame["warmup"].sum()) if not frame.empty else 0
tiles = st.columns(5)
tiles[0].metric("Runs", len(run_ids), border=True)
tiles[1].metric("Models", len(domain), border=True)
tiles[2].metric(
    "Measured requests",
    n_measured,
    help=f"Successful, not warm-up (cold + warm). {n_warmup} warm-up requests are stored but not counted.",
    border=True,
)
tiles[3].metric("Failed requests", n_failed, help="Excluded from every statistic; listed below.", border=True)
if verdict.affects("latency"):
    tiles[4].metric(
        "Fastest p50 latency",
        "—",
        help="Not comparable: the selected runs were measured with different settings (see the note at "
        "the top), so their latencies do not rank against each other.",
        border=True,
    )
elif not summary.empty and summary["e2e_s_p50"].notna().any():
    best = summary.loc[summary["e2e_s_p50"].idxmin()]
    tiles[4].metric(
        "Fastest p50 latency",
        seconds(best["e2e_s_p50"]),
        best["series"],
        delta_color="off",
        delta_arrow="off",
        border=True,
        help=f"Median end-to-end over n={int(best['e2e_s_n'])} warm requests; {best['transport']}.",
    )
else:
    tiles[4].metric("Fastest p50 latency", "n/a", border=True)

for run in results.runs:
    s = run["settings"]
    meta = run.get("meta", {})
    hw = meta.get("hardware", {})
    with st.expander(
        f"Run `{run['id']}` · {run['status']} · {', '.join(s.get('models', []))}"
        + (f" · {run['label']}" if run.get("label") else ""),
        icon=STATUS_ICON.get(run["status"]),
    ):
        st.markdown(
            f"- **Prompts:** `{run['prompts'].get('name', '')}` ({len(run['prompts'].get('prompts', []))} prompts) · "
            f"{settings_words(s)}\n"
            f"- **Transport:** {meta.get('transport', 'n/a')}"
            + (f" · endpoint `{s['endpoint']}`" if s.get("endpoint") else "")
            + "\n"
            f"- **Machine:** {hw.get('processor', 'n/a')}, {hw.get('cpu_count_logical', '?')} logical CPUs, "
            f"{size(hw.get('memory_total_bytes'))} RAM, {hw.get('os', '')}; GPU: {', '.join(hw.get('gpu') or []) or 'none'}\n"
            f"- **Code:** commit `{meta.get('git_commit', 'unknown')}`, "
            + ", ".join(f"{k} {v}" for k, v in sorted(meta.get("packages", {}).items()))
            + f"\n- **Started** {run['created_at']} · **updated** {run['updated_at']}"
        )
        if run.get("error"):
            st.caption(f"Run error: {run['error']}")

for model in results.models:
    if model.status == "failed":
        show_error(model.error or "no reason recorded", title=f"{model.model} failed in run {model.run_id}.")

if frame.empty:
    st.warning("These runs have no stored request yet.")
    st.stop()

# ---- decode speed falling during a run; spread between runs of one --repeat group (bench.stats) ---------
# Shown here, filled at the end of the page: the drift fit (a Theil-Sen per model, 0.07 s at 10,000 requests
# on a quiet machine, more while a restarted server is still preparing) would otherwise hold back every chart.
drift_slot = st.container()
for group, noise in run_noise.group_noise(results.runs, frame).items():
    with st.expander(f"Run-to-run noise · repeat group `{group}` ({noise[0].runs if noise else 0} runs)"):
        show_table(pd.DataFrame([{"model": n.model, "metric": aggregates.METRICS[n.metric][0], "runs": n.runs,
                                  "CV": n.cv, "band": n.band} for n in noise]))  # fmt: skip
        st.caption(
            "CV = standard deviation of the runs' means / their mean. Below 5% excellent, 5-10% good, above"
            " 10% noisy (AIPerf's bands). A change smaller than 1.96 x sqrt(2) x CV is within run-to-run noise."
        )

provenance = _provenance(summary)

# ---- latency distribution ------------------------------------------------------------------------
st.subheader("Latency distribution")
c1, c2 = st.columns([2, 1])
metric = c1.selectbox(
    "Metric",
    DISTRIBUTION_METRICS,
    format_func=lambda m: f"{aggregates.METRICS[m][0]} ({aggregates.METRICS[m][1]})",
    key="results_metric",
)
include_warmup = c2.toggle(
    "Show warm-up requests", value=False, key="results_warmup", help="Drawn as crosses; never in statistics"
)
_chart(
    results_cache.spec("distribution", metric, include_warmup),
    "One point per request (circle warm, ▲ cold = first request after the model was loaded, ✕ warm-up). "
    "The box spans the warm requests' quartiles with the median line. "
    + provenance
    + point_layers.thinning_note(n_measured),
)

left, right = _side_by_side(2)
with left:
    st.subheader("p50 and p95 latency")
    _chart(
        results_cache.spec("percentiles"),
        "End-to-end latency of warm requests; the label is the sample count behind each bar (⚠: too few for a "
        f"stable p95, want ≥ {aggregates.MIN_N[95]}).",
    )
with right:
    st.subheader("Time to first token vs decode speed")
    _chart(
        results_cache.spec("ttft_decode"),
        "Each request; up-left is better (fast first token, fast decoding). Decode tok/s = (output tokens − 1) / "
        "(e2e − TTFT)." + point_layers.thinning_note(n_measured),
    )

left, right = _side_by_side(2)
with left:
    st.subheader("Decode tokens/s per prompt")
    _chart(
        results_cache.spec("per_prompt"),
        "Mean over the measured requests of each prompt (warm and cold, no warm-up); n in the tooltip.",
    )
with right:
    st.subheader("Time to first token: cold vs warm")
    _chart(
        results_cache.spec("distribution", "ttft_s", False),
        "▲ the first request after each model load (cold start), ● warm requests; the box spans the warm ones."
        + point_layers.thinning_note(n_measured),
    )

st.subheader("Memory, load time and size")
sources = sorted({str(m.rss_source) for m in results.models if m.rss_source})
for col, field in zip(_side_by_side(3), charts.RESOURCE_PANELS, strict=True):
    with col:
        _chart(results_cache.spec("resources", field))
st.caption(
    "Load time: one timed load per model and run. Memory = peak resident memory during the run − before the load "
    f"(without that baseline: the process peak), measured on: {'; '.join(sources) or 'n/a'}. Size: the model "
    "folder on disk. MB = 10^6 bytes."
)

# ---- table ---------------------------------------------------------------------------------------
st.subheader("Numbers")
table = _table(results.models, {run["id"]: run["status"] for run in results.runs})
colors = chart_data.color_map(domain)
number_config = {
    "Requests (warm)": st.column_config.NumberColumn(help="Warm, successful requests behind the statistics"),
    "e2e p50 (s)": st.column_config.NumberColumn(format="%.3f"),
    "e2e p95 (s)": st.column_config.NumberColumn(format="%.3f", help="See Caveat when the sample is small"),
    "TTFT mean (s)": st.column_config.NumberColumn(format="%.3f"),
    "Decode tok/s": st.column_config.NumberColumn(format="%.1f"),
    "E2E tok/s": st.column_config.NumberColumn(format="%.1f", help="Output tokens / e2e"),
    "Output tokens": st.column_config.NumberColumn(format="%.1f", help="Mean per request"),
    "Cold e2e (s)": st.column_config.NumberColumn(format="%.3f", help="First request after load"),
    "Load (s)": st.column_config.NumberColumn(format="%.2f"),
    "Memory (MB)": st.column_config.NumberColumn(format="%.0f", help="MB = 10^6 bytes; see Memory is"),
    "Size (MB)": st.column_config.NumberColumn(format="%.1f"),
    "Token source": st.column_config.TextColumn(help="Where output token counts came from, × requests"),
    "Machine": st.column_config.TextColumn(help="Where the run ran: host · CPU · cores · RAM · GPU"),
    "Transport": st.column_config.TextColumn(
        help="in-process (Foundry Local SDK) or http (OpenAI-compatible)"
    ),
}
table, number_config = dashed(table, number_config)  # "—", not "None", for a number not measured
styled = table.style.map(lambda v: f"color: {colors.get(v, '#1B2333')}; font-weight: 600", subset=["Model"])
st.dataframe(styled, hide_index=True, width="stretch", column_config=number_config)
st.caption(
    "Statistics use warm, successful requests; the cold request is shown apart; warm-up and failed requests are "
    "stored but excluded. Download the same numbers on **Report**."
)

# ---- outliers ------------------------------------------------------------------------------------
st.subheader("Outliers")
out = aggregates.outliers(frame)
if out.empty:
    st.caption(
        "No warm request lies outside its model's Tukey fences (1.5 × IQR); needs ≥ 4 requests per model."
    )
else:
    out = with_series(out, results.several_runs)
    out["round"] = [round_words(r) for r in out["round"]]  # "round 1", as the CSV and the answers say
    st.dataframe(
        out[["series", "prompt_id", "round", "phase", "e2e_s", "fence_low", "fence_high", "run_id"]].rename(
            columns={
                "series": "Model",
                "e2e_s": "e2e (s)",
                "fence_low": "lower fence",
                "fence_high": "upper fence",
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "e2e (s)": st.column_config.NumberColumn(format="%.3f"),
            "lower fence": st.column_config.NumberColumn(format="%.3f"),
            "upper fence": st.column_config.NumberColumn(format="%.3f"),
        },
    )
    st.caption("Warm requests beyond Q1 − 1.5 IQR or Q3 + 1.5 IQR of their own model's end-to-end latency.")

# ---- quality -------------------------------------------------------------------------------------
st.subheader("Quality")
render_quality(store(), run_ids, results=results)  # the quality it already loaded, typed
render_workloads(store(), results)  # long context, turns, tool calls, JSON: only when a workload set ran

failed = frame[~frame["ok"]]
if not failed.empty:
    with st.expander(f"Failed requests ({len(failed)})"):
        st.dataframe(
            failed[["model", "prompt_id", "round", "error", "run_id"]].assign(
                round=[round_words(r) for r in failed["round"]]
            ),
            hide_index=True,
            width="stretch",
        )

energy_panel(run_ids, results.energy)


def _show_answers(samples: pd.DataFrame, results: Results) -> None:
    """The first answers of each model to one prompt, each with its numbers and a cut-off badge."""
    shown = samples[samples["ok"]]
    pick = st.selectbox("Prompt", list(dict.fromkeys(shown["prompt_id"])), key="results_answers_prompt")
    rows = shown[shown["prompt_id"] == pick].sort_values(["series", "round"])
    every = len(rows)
    rows = rows.groupby("series", sort=False).head(ANSWERS_PER_SERIES)  # thousands of answers read as none
    if len(rows) < every:
        st.caption(
            f"The first {ANSWERS_PER_SERIES} answers of each model: {len(rows):,} of {every:,}. Every answer is "
            "in samples.csv on **Report**."
        )
    limits = {r["id"]: truncation.max_tokens(r) for r in results.runs}
    for row in rows.to_dict("records"):
        phase = row["phase"] if row["phase"] != "warm-up" else "not in statistics"
        cut = truncation.badge(limits.get(row["run_id"])) if truncation.is_truncated(row) else ""
        st.markdown(
            f"**{row['series']}** · {round_words(row['round'])} ({phase}) · "
            f"{seconds(row['e2e_s'])} · {rate(row['decode_tps'])} · {int(row['output_tokens'] or 0)} tokens "
            f"({row['output_token_source']}) {cut}"
        )
        st.text(row["answer"] or "(empty answer)")


# filled only while open (ui.lazy): 10 answers per model are 80 elements a new tab would draw hidden
if (answers := opened("Answers", key="results_answers_open")) is not None:
    with answers:
        _show_answers(samples, results)

with st.expander("How these numbers are defined", icon=":material/menu_book:"):
    st.markdown(DEFINITIONS)
    st.markdown(
        "\n".join(f"- **{label}** (`{col}`, {unit})" for col, (label, unit) in aggregates.METRICS.items())
    )
    st.caption(f"Elapsed time of the selected runs' requests: {duration(frame['e2e_s'].sum())}.")

with drift_slot:
    for trend in results_cache.drift_trends():
        if trend.flagged:
            st.warning(
                f"Run `{trend.run_id}` · {trend.sentence()}. Its averages mix a fast start with a slow end"
                " (thermal throttling? a background job?): rerun, or compare like with like.",
                icon=":material/trending_down:",
            )
