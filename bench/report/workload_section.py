"""The reports' *Workloads* section: what the long-context, multi-turn, tool-call and JSON samples say.

Markdown and JSON from the same tables (:mod:`bench.stats.workload_stats`), each number with its n;
nothing when the runs hold no workload samples, so a plain run's report is unchanged.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from bench.inputs.workloads import WORKLOAD_DESCRIPTIONS
from bench.quality.checks import store as check_store
from bench.results import Results
from bench.stats import workload_stats as ws
from bench.store.store import Store
from bench.units import fmt_seconds


def tables(store: Store, results: Results) -> dict[str, pd.DataFrame]:
    """Every workload table of these results (empty frames when a workload was not run)."""
    samples = results.samples
    checks = check_store.frame(store, list(results.run_ids))
    return {
        "pass_rates": ws.pass_rates(samples, checks),
        "long_context": ws.long_context_table(samples),
        "turns": ws.turn_table(samples),
        "constrained_cost": ws.constrained_cost(samples),
    }


def _pct(value: Any) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{100 * value:.0f}%"


def _rate_cell(row: Any) -> str:
    if row.note:
        return row.note
    if row.pass_rate is None or pd.isna(row.pass_rate):
        return "no checks"
    return f"{_pct(row.pass_rate)} [{_pct(row.low)}, {_pct(row.high)}] (n={row.n})"


def _pass_lines(frame: pd.DataFrame) -> list[str]:
    lines = [
        "| model | workload | pass rate [95% Wilson] | refused | unparsed tool calls |",
        "|---|---|---|---|---|",
    ]
    for row in frame.itertuples():
        unparsed = ""
        if row.workload == "tool-calls" and not pd.isna(getattr(row, "unparsed_n", None)):
            unparsed = f"{int(row.unparsed)}/{int(row.unparsed_n)}"
        lines.append(f"| {row.series} | {row.workload} | {_rate_cell(row)} | {row.refused} | {unparsed} |")
    return lines


def _long_lines(frame: pd.DataFrame) -> list[str]:
    lines = [
        "| model | longest input answered (tokens) | refused (over the context window)"
        f" | TTFT p95 at >= {ws.LONG_TOKENS:,} tokens |",
        "|---|---|---|---|",
    ]
    for row in frame.itertuples():
        p95 = "n/a" if pd.isna(row.ttft_p95_4k_s) else fmt_seconds(row.ttft_p95_4k_s)
        longest = "none" if pd.isna(row.longest_input_tokens) else f"{int(row.longest_input_tokens):,}"
        lines.append(f"| {row.series} | {longest} | {row.refused} | {p95} (n={row.n_4k}) |")
    return lines


def _turn_lines(frame: pd.DataFrame) -> list[str]:
    lines = [
        "| model | turn | TTFT p50 | prompt tokens | cached prompt tokens | n |",
        "|---|---|---|---|---|---|",
    ]
    for row in frame.itertuples():
        cached = "n/a" if pd.isna(row.cached_prompt_tokens) else f"{row.cached_prompt_tokens:,.0f}"
        ttft = "n/a" if pd.isna(row.ttft_p50_s) else fmt_seconds(row.ttft_p50_s)
        lines.append(
            f"| {row.series} | {int(row.turn)} | {ttft} | {row.prompt_tokens:,.0f} | {cached} | {row.n} |"
        )
    return lines


def _cost_lines(frame: pd.DataFrame) -> list[str]:
    lines = [
        "| model | prompts | e2e p50 json-output | e2e p50 extraction | ratio | decode tok/s json-output "
        "| decode tok/s extraction | decode change | how the schema was sent |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in frame.itertuples():
        slow = "n/a" if row.slowdown is None or pd.isna(row.slowdown) else f"{row.slowdown:.2f}x"
        with_rf, without = fmt_seconds(row.e2e_constrained_s), fmt_seconds(row.e2e_plain_s)
        tps_c, tps_p = row.decode_tps_constrained, row.decode_tps_plain
        change = (
            f"{(tps_c / tps_p - 1) * 100:+.0f}%" if tps_c and tps_p and not pd.isna(tps_c / tps_p) else "n/a"
        )
        lines.append(
            f"| {row.model} | {row.prompts} | {with_rf} | {without} | {slow} | {_tps(tps_c)} | {_tps(tps_p)} "
            f"| {change} | {row.constraint} |"
        )
    return lines


def _tps(value: float | None) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:.1f}"


def markdown(store: Store, results: Results) -> list[str]:
    """The section's lines ('## Workloads' and its tables), or [] when no workload was run."""
    found = tables(store, results)
    if found["pass_rates"].empty:
        return []
    run = sorted(set(found["pass_rates"]["workload"]))
    lines = ["## Workloads", "", *[f"- **{w}**: {WORKLOAD_DESCRIPTIONS.get(w, '')}" for w in run], ""]
    lines += [
        "Pass rate: answers that passed every check of their prompt; refused prompts are not scored.",
        "",
    ]
    lines += [*_pass_lines(found["pass_rates"]), ""]
    if "json_constraint" in found["pass_rates"]:
        json_rows = found["pass_rates"].dropna(subset=["json_constraint"])
        lines += [f"- json-output, {r.series}: {r.json_constraint}" for r in json_rows.itertuples()] + [""]
    if not found["long_context"].empty:
        lines += ["### Long context", "", "Input tokens as each model's own usage counted them.", ""]
        lines += [*_long_lines(found["long_context"]), ""]
    if not found["turns"].empty:
        lines += ["### Multi-turn: per turn", "", *_turn_lines(found["turns"]), ""]
    if not found["constrained_cost"].empty:
        lines += ["### Constrained JSON decoding: json-output against extraction (same prompts)", ""]
        lines += [*_cost_lines(found["constrained_cost"]), ""]
    return lines


def as_json(store: Store, results: Results) -> dict[str, Any]:
    """The same tables as records (``{}`` when no workload was run)."""
    found = tables(store, results)
    if found["pass_rates"].empty:
        return {}
    return {name: frame.to_dict("records") for name, frame in found.items()}
