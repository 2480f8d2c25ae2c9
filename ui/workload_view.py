"""Results' *Workloads* panel: pass rates per workload, long-context prefill cost, turns, JSON cost.

Renders :mod:`bench.report.workload_section`'s tables and :mod:`bench.report.workload_charts`'s chart;
nothing when the selected runs hold no workload samples.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bench.inputs.workloads import WORKLOAD_DESCRIPTIONS
from bench.report import workload_charts, workload_section
from bench.results import Results
from bench.stats import workload_stats
from bench.store.store import Store
from ui.tables import show_table


def _rate(row: object) -> str:
    """``75% [47, 91]``, or why there is no rate (never a 0 for a model that was not offered the task)."""
    if getattr(row, "note", ""):
        return str(row.note)  # type: ignore[attr-defined]
    rate, low, high = (getattr(row, k) for k in ("pass_rate", "low", "high"))
    return "no checks" if pd.isna(rate) else f"{100 * rate:.0f}% [{100 * low:.0f}, {100 * high:.0f}]"


def render_workloads(store: Store, results: Results) -> None:
    """The panel, or nothing when no workload set was run."""
    found = workload_section.tables(store, results)
    rates = found["pass_rates"]
    if rates.empty:
        return
    st.subheader("Workloads")
    for workload in sorted(set(rates["workload"])):
        st.caption(f"**{workload}**: {WORKLOAD_DESCRIPTIONS.get(workload, '')}")
    shown = rates.assign(pass_rate=[_rate(r) for r in rates.itertuples()]).drop(
        columns=["low", "high", "note"]
    )
    show_table(shown.rename(columns={"series": "model", "pass_rate": "pass rate [95%]"}))
    st.caption(
        "Pass rate: answers that passed every check of their prompt (n scored); refused prompts are not scored."
    )
    points = workload_stats.long_context_points(results.samples)
    if not points.empty:
        st.markdown("**Long context**: input tokens as each model's own usage counted them")
        left, right = st.columns(2)
        left.altair_chart(workload_charts.input_tokens_chart(points, "ttft_s"), width="stretch")
        right.altair_chart(workload_charts.input_tokens_chart(points, "prefill_tps"), width="stretch")
        show_table(found["long_context"].rename(columns={"series": "model"}))
    if not found["turns"].empty:
        st.markdown("**Multi-turn**: time to first token and cached prompt tokens per turn")
        show_table(found["turns"].rename(columns={"series": "model"}))
    if not found["constrained_cost"].empty:
        st.markdown("**Constrained JSON decoding**: json-output (response_format sent) against extraction")
        show_table(found["constrained_cost"])
