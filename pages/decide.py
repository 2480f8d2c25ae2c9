"""Decide: weights turn the measured numbers into a ranking, a Pareto chart and a recommended default."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from bench.decide import explain as decide_text
from bench.decide import hard_limits, recommend, workload_pass
from bench.errors import BenchError
from bench.report import chart_data, charts
from bench.results import load_results
from bench.units import MB, is_missing
from ui.errors import show_error
from ui.resources import store
from ui.routing import require_router
from ui.runs import pick_runs, warn_if_incomparable
from ui.tables import dashed

require_router()

STAT_LABELS = {
    "p95": "p95 end-to-end latency",
    "p50": "p50 (median) end-to-end latency",
    "ttft": "mean time to first token",
    "ttft4k": "TTFT p95 at ≥ 4k prompt tokens (long-context)",
}
DEFAULTS = recommend.Criteria()


def _weights() -> dict[str, float]:
    st.markdown("**Weights** (only their ratios matter)")
    cols = st.columns(len(recommend.CRITERIA))
    helps = {
        "quality": "Mean quality score of the chosen source; higher is better",
        "latency": "The latency statistic chosen below; lower is better",
        "throughput": "Mean decode tokens/s; higher is better",
        "memory": "Memory added by the model (peak - baseline RSS), else peak RSS; left out where not comparable"
        " (a remote server); lower is better",
        "size": "Model folder size on disk; lower is better",
        "energy": "Joules per output token from the machine's energy counters (RAPL, NVML); lower is better."
        " Left out of the score where no candidate has a sensor",
        "cost": "An estimate per 1,000 output tokens from the price you set (SLM_BENCH_PRICE_PER_HOUR, or"
        " SLM_BENCH_PRICE_PER_KWH with measured joules or SLM_BENCH_WATTS); lower is better",
        "reliability": "Share of measured requests that succeeded (1 - error rate); higher is better. The"
        " default error limit (5%) applies whatever its weight",
    }
    return {
        c: col.slider(
            recommend.LABELS[c].split(" (")[0],
            min_value=0.0,
            max_value=1.0,
            value=float(getattr(DEFAULTS, c)),
            step=0.05,
            key=f"decide_w_{c}",
            help=helps[c],
        )
        for col, c in zip(cols, recommend.CRITERIA, strict=True)
    }


def _workload_inputs(workloads: list[str]) -> tuple[dict[str, float], list[str]]:
    """A weight and a minimum pass rate per workload these runs hold: (workload -> weight, limit lines)."""
    if not workloads:
        return {}, []
    st.markdown("**Workloads**: weigh or require a workload's pass rate (answers that passed every check)")
    weights, limits = {}, []
    for col, w in zip(st.columns(len(workloads)), workloads, strict=True):
        weights[w] = col.slider(
            recommend.label(workload_pass.criterion(w)), min_value=0.0, max_value=1.0, value=0.0, step=0.05,
            key=f"decide_w_pass_{w}", help=f"Share of the {w} answers that passed every check; higher is better",
        )  # fmt: skip
        floor = col.number_input(
            f"Minimum pass rate: {w} (%)", min_value=0.0, max_value=100.0, value=None, step=5.0,
            key=f"decide_limit_pass_{w}", placeholder="none",
            help="Out only when the whole 95% Wilson interval is under it; kept and flagged when it straddles",
        )  # fmt: skip
        if floor is not None:
            limits.append(workload_pass.limit_text(w, floor))
    return weights, limits


def _display(table: pd.DataFrame, stat: str) -> pd.DataFrame:
    rows = []
    texts = decide_text.decision_rows(table)  # the CLI's and the reports' cells, row for row
    for r, text in zip(table.to_dict("records"), texts, strict=True):
        rank = r["rank"]
        rows.append(
            {
                "Rank": None if is_missing(rank) else int(rank),
                "Model": r["series"],
                "Status": r["status"] + (f": {r['error']}" if r.get("error") else ""),
                "Score": r["score"],
                "P(best)": "" if is_missing(r.get("p_best")) else f"{r['p_best']:.0%}",
                "Rank 95%": ""
                if is_missing(r.get("rank_low"))
                else f"{int(r['rank_low'])}–{int(r['rank_high'])}",
                "Quality": r["quality"],
                "Quality n": r["quality_n"],
                f"Latency {stat} (s)": r["latency"],
                "Latency n": r["latency_n"],
                "Decode tok/s": r["throughput"],
                "Decode n": r["throughput_n"],
                "Memory (MB)": r["memory"] / MB,
                "Memory is": r["memory_basis"],
                "Size (MB)": r["size"] / MB,
                # energy and cost only where weighted, measured or priced (decide_text drops idle ones)
                **({"Energy per output token": text["energy"]} if "energy" in text else {}),
                **({"Cost per 1k output tokens": text["cost"]} if "cost" in text else {}),
                **{recommend.label(c): v for c, v in text.items() if workload_pass.workload_of(c)},
                **{f"{recommend.LABELS[c].split(' (')[0]} 0..1": r[f"norm_{c}"] for c in recommend.CRITERIA},
                "Missing": ", ".join(r["missing"]),
                "Limits": text["limits"],
            }
        )
    return pd.DataFrame(rows)


def _chart(
    table: pd.DataFrame, front: recommend.Front, domain: list[str], stat: str
) -> alt.LayerChart | None:
    cand = table[table["candidate"].astype(bool)]
    data = cand[cand[front.x].notna() & cand[front.y].notna()].copy()
    if data.empty:
        return None
    on_front = set(front.points["series"])
    data["on_front"] = ["yes" if s in on_front else "no" for s in data["series"]]
    data["memory_mb"] = data["memory"] / MB
    data["size_mb"] = data["size"] / MB
    data["rank"] = data["rank"].astype(float)
    data = data[
        [
            "series", "model", "rank", "score", "latency", "latency_n", "quality", "quality_n", "scored_by",
            "throughput", "throughput_n", "memory_mb", "size_mb", "on_front",
        ]
    ]  # fmt: skip
    data.attrs = {}  # the decision's objects ride on attrs; a chart's data needs none of them
    y_title = (
        f"Quality (mean, {data['scored_by'].iloc[0]})" if front.y == "quality" else "Decode tok/s (mean)"
    )
    x_title = f"{STAT_LABELS[stat].capitalize()} (s)"
    colors = chart_data.color_map(domain)
    scale = alt.Scale(domain=list(colors), range=list(colors.values()))
    tooltip = [
        alt.Tooltip("series:N", title="Model"),
        alt.Tooltip("rank:Q", title="Rank"),
        alt.Tooltip("score:Q", title="Score", format=".2f"),
        alt.Tooltip("latency:Q", title=x_title, format=".3f"),
        alt.Tooltip("latency_n:Q", title="Latency n"),
        alt.Tooltip("quality:Q", title="Quality", format=".2f"),
        alt.Tooltip("quality_n:Q", title="Quality n"),
        alt.Tooltip("scored_by:N", title="Scored by"),
        alt.Tooltip("throughput:Q", title="Decode tok/s", format=".1f"),
        alt.Tooltip("throughput_n:Q", title="Decode n"),
        alt.Tooltip("memory_mb:Q", title="Memory (MB)", format=".0f"),
        alt.Tooltip("size_mb:Q", title="Size (MB)", format=".1f"),
        alt.Tooltip("on_front:N", title="On the Pareto front"),
    ]
    x = alt.X("latency:Q", title=x_title, scale=alt.Scale(zero=False, nice=True), axis=charts.value_axis("s"))
    y_format = charts.value_axis("score" if front.y == "quality" else "tok/s")
    y = alt.Y(f"{front.y}:Q", title=y_title, scale=alt.Scale(zero=False, nice=True), axis=y_format)
    base = alt.Chart(data)
    front_data = data[data["on_front"] == "yes"].sort_values(["latency", front.y], ascending=[True, False])
    line = (
        alt.Chart(front_data)
        .mark_line(color="#1B2333", strokeDash=[6, 4], strokeWidth=2, point=False)
        .encode(x=x, y=y, order=alt.Order("latency:Q"), tooltip=tooltip)
    )
    rings = (
        alt.Chart(front_data)
        .mark_point(size=420, filled=False, strokeWidth=2.5, color="#1B2333")
        .encode(x=x, y=y, tooltip=tooltip)
    )
    points = base.mark_circle(size=160, opacity=0.95).encode(
        x=x,
        y=y,
        color=alt.Color(
            "series:N", title=charts.SERIES_TITLE, scale=scale, legend=charts.series_legend(domain)
        ),
        tooltip=tooltip,
    )
    labels = base.mark_text(dy=-16, fontSize=11, color="#374151").encode(
        x=x, y=y, text="series:N", tooltip=tooltip
    )
    return alt.layer(line, rings, points, labels).properties(height=380)


def _limits(rec: recommend.Recommendation) -> None:
    if rec.excluded:
        st.error("**Out: a hard limit broken with 95% confidence**\n\n" + "\n".join(f"- {x}" for x in rec.excluded),
                 icon=":material/block:")  # fmt: skip
    if rec.flagged:
        st.warning("**Kept, but close to a limit or not checkable**\n\n" + "\n".join(f"- {x}" for x in rec.flagged),
                   icon=":material/flag:")  # fmt: skip


def _recommendation(rec: recommend.Recommendation, criteria: recommend.Criteria) -> None:
    _limits(rec)
    if rec.model is None and rec.tied:
        detail = rec.verdict.removeprefix("No clear winner: ")
        st.warning(f"### No clear winner\n{detail[:1].upper()}{detail[1:]}", icon=":material/balance:")
        if rec.caveats:
            st.warning(
                "**Caveats**\n\n" + "\n".join(f"- {c}" for c in rec.caveats), icon=":material/warning:"
            )
        return
    if rec.model is None:
        st.warning("**No recommendation.** " + "; ".join(rec.caveats), icon=":material/warning:")
        return
    body = "\n".join(f"- {r}" for r in rec.reasons)
    st.success(
        f"### Recommended default: {rec.series or rec.model}\n"
        f"Score **{rec.score:.2f}** of 1 (weights {recommend.weights_text(criteria.weights())};"
        f" latency: {STAT_LABELS[criteria.latency_stat]}).\n\n{body}",
        icon=":material/verified:",
    )
    if rec.caveats:
        st.warning("**Caveats**\n\n" + "\n".join(f"- {c}" for c in rec.caveats), icon=":material/warning:")


st.title("Decide")
st.caption(
    "Hard limits first, then weights turn the measured numbers into one score per model: each criterion is "
    "scored relative to the best candidate (best = 1), then averaged with your weights. The requests and scored "
    "items are resampled to see how often each model comes first: a model is recommended only when that is "
    "clear. The reports use the last saved decision of the same runs, else the default weights."
)
run_ids = pick_runs("decide")
if not run_ids:
    st.stop()

try:
    with st.spinner("Loading the runs…"):
        results = load_results(store(), run_ids)
except BenchError as exc:
    show_error(exc, title="The runs could not be read.")
    st.stop()
verdict = warn_if_incomparable(results.runs, results.models)

weights = _weights()
workload_weights, workload_limits = _workload_inputs(workload_pass.present(results.samples))
c1, c2 = st.columns(2)
sources = results.source_names
if sources:
    validated = [s.name for s in results.sources if s.validated]  # the label the quality summary carries
    scored_by = c1.selectbox(
        "Quality scored by",
        sources,
        index=sources.index(validated[0]) if validated else 0,
        format_func=lambda s: s if s in validated else f"{s} (not validated)",
        key="decide_source",
        help="People's and a judge's scores are never mixed: pick one source. A judge not validated against "
        "people (see Judge) is used only when you pick it.",
    )
else:
    c1.selectbox(
        "Quality scored by",
        ["No quality scores in these runs"],
        disabled=True,
        key="decide_source_none",
        help="Score answers on Annotate or Judge; until then the ranking uses speed, memory and size only.",
    )
    scored_by = None
stat = c2.selectbox(
    "Latency statistic",
    list(STAT_LABELS),
    format_func=lambda k: STAT_LABELS[k],
    key="decide_stat",
    help=f"p95 wants ≥ {recommend.P95_MIN_N} warm requests to mean much; TTFT needs streaming.",
)

c3, c4 = st.columns([3, 1])
limit_text = c3.text_area(
    "Hard limits (one per line)",
    key="decide_limits",
    placeholder="p95=1.5s\nmemory=2GB\nquality:people=3.5",
    help=hard_limits.HELP
    + ". A model is out only when it breaks a limit with 95% confidence; one whose interval"
    " straddles a limit stays in, flagged.",
    height=110,
)
level = c4.slider(
    "Confidence to name a winner",
    min_value=0.6,
    max_value=0.95,
    value=float(DEFAULTS.level),
    step=0.05,
    key="decide_level",
    help="A model is recommended only when it ranks first in at least this share of resamples of its requests"
    " and scored items.",
)

if sum(weights.values()) + sum(workload_weights.values()) <= 0:
    st.warning("Give at least one criterion a weight above 0.", icon=":material/warning:")
    st.stop()
criteria = recommend.Criteria(
    **weights, workloads=workload_weights, scored_by=scored_by, latency_stat=stat, level=level
)
limit_lines = [line.strip() for line in limit_text.splitlines() if line.strip()] + workload_limits
try:
    limits = hard_limits.parse_limits(limit_lines)
except BenchError as exc:
    show_error(exc, title="A hard limit could not be read.")
    st.stop()

accept = st.checkbox(
    "Decide even if the models were measured differently",
    key="decide_accept",
    help="Other settings, prompts, HTTP vs in-process or another machine: no recommendation unless you accept it.",
)
try:
    table = recommend.decision_table(
        store(), run_ids, criteria, results=results, limits=limits, accept_differences=accept
    )
except BenchError as exc:
    show_error(exc, title="A hard limit could not be used.")
    st.stop()

if table.empty:
    st.info("These runs have no models yet.", icon=":material/info:")
    st.stop()

prompts = {len(run["prompts"].get("prompts", [])) for run in results.runs}
table.attrs["prompts"] = prompts.pop() if len(prompts) == 1 else None
rec = recommend.recommendation(table)
_recommendation(rec, criteria)
ranked = list(dict.fromkeys(table[table["score"].notna()]["model"]))  # best first; out ones have no score
pair = ([rec.model] + [m for m in ranked if m != rec.model])[:2] if rec.model else ranked[:2]
if len(pair) == 2 and st.button(
    f"Race these two: {pair[0]} vs {pair[1]}",
    icon=":material/sports_score:",
    key="decide_race",
    help="Starts a live race of the recommended model (or the two best, when tied) on Race's presenter view.",
):
    st.switch_page("pages/race.py", query_params={"presenter": "1", "models": pair, "go": "1"})
if st.button("Save this decision", key="decide_save", icon=":material/save:",
             help="Stores the weights and limits with the runs: their reports then print them."):  # fmt: skip
    from bench.decide import decision_log

    _, _, record = decision_log.take(
        store(), run_ids, criteria, limit_lines, results=results, accept_differences=accept
    )
    saved = decision_log.save(store(), run_ids, criteria.model_dump(), limit_lines, record)
    st.toast(f"Decision saved ({saved}): the reports of these runs now print its weights and limits.")

domain = table.sort_values("order")["series"].tolist()
colors = chart_data.color_map(domain)

st.subheader("Quality against latency")
front = recommend.pareto_front(table)
chart = _chart(table, front, domain, stat)
if chart is None:
    st.info("No candidate has both numbers to place on the chart.", icon=":material/info:")
else:
    st.altair_chart(charts.hold(chart), width="stretch")  # the legend gets room of its own
caption = (
    "Ringed points joined by the dashed line are the Pareto front: no other model is both faster and better. "
    f"{front.note}"
)
st.caption(caption.strip())

st.subheader("Ranking")
shown = _display(table, stat)
num: dict[str, Any] = {
    "Score": st.column_config.NumberColumn(
        format="%.2f", help="sum(weight × 0..1) / sum(weights of measured criteria)"
    ),
    "P(best)": st.column_config.TextColumn(
        help="Share of resamples (requests and scored items redrawn together) in which this model ranked first"
    ),
    "Rank 95%": st.column_config.TextColumn(help="The middle 95% of this model's ranks over the resamples"),
    "Quality": st.column_config.NumberColumn(format="%.2f"),
    f"Latency {stat} (s)": st.column_config.NumberColumn(format="%.3f"),
    "Decode tok/s": st.column_config.NumberColumn(format="%.1f"),
    "Memory (MB)": st.column_config.NumberColumn(format="%.0f"),
    "Size (MB)": st.column_config.NumberColumn(format="%.1f"),
    "Energy per output token": st.column_config.TextColumn(
        help="Joules the machine drew per output token (n = requests with a reading); n/a without a sensor"
    ),
    "Cost per 1k output tokens": st.column_config.TextColumn(
        help="Always an estimate: from the price you set, not a bill"
    ),
    "Missing": st.column_config.TextColumn(
        help="Criteria this model lacks while others have them: left out of the score for every model"
    ),
}
for c in recommend.CRITERIA:
    num[f"{recommend.LABELS[c].split(' (')[0]} 0..1"] = st.column_config.ProgressColumn(
        min_value=0.0, max_value=1.0, format="%.2f"
    )
shown, num = dashed(shown, num)  # "—", not "None", for a number a model lacks
shown.attrs = {}  # the ranking object rides on attrs; the browser table needs none of it
styled = shown.style.map(lambda v: f"color: {colors.get(v, '#1B2333')}; font-weight: 600", subset=["Model"])
st.dataframe(styled, hide_index=True, width="stretch", column_config=num)
st.caption(
    "n is the count behind each number: warm, successful requests for latency and decode speed; scored items "
    "(prompt × aspect) for quality. Failed models are listed without a rank."
)
