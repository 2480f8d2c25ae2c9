"""Reports of one or more runs: ``benchmark_report.md``, ``samples.csv`` and ``report.json``.

The CLI and the app's Report page call the same functions, so a report downloaded from the app is
byte-for-byte what ``python -m bench report`` writes. The JSON is meant for version control: keys
sorted, numbers rounded, and everything that changes between identical runs (ids, timestamps,
versions, hardware) kept inside its ``meta`` block.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.decide import recommend as decide
from bench.escape import csv_frame, md_cell, md_inline
from bench.report import workload_section
from bench.report.round_labels import round_number
from bench.results import DEFINITIONS, ModelResult, Results, load_results, load_samples
from bench.stats import aggregates, drift, energy_cost_load, run_noise
from bench.stats.server_reported import server_figures
from bench.store.store import Store
from bench.units import fmt_bytes, fmt_number, fmt_rate, fmt_seconds, is_missing

__all__ = [
    "DEFINITIONS",
    "FORMATS",
    "render_markdown",
    "report_dict",
    "report_json",
    "samples_csv",
    "write_reports",
]

SAMPLE_COLUMNS = [
    "run_id", "model", "prompt_id", "workload", "round", "warmup", "phase", "ok", "outcome", "error", "http_status",
    "attempts", "stream", "transport",
    "started_at", "ttfb_s", "ttft_s", "ttfc_s", "e2e_s", "output_tokens", "output_token_source",
    "prompt_tokens", "prompt_token_source", "decode_tps", "tpot_s", "prefill_tps", "e2e_tps",
    "itl_s", "ici_mean_s", "ici_max_s", "finish_reason", "rss_peak_bytes", "cached_prompt_tokens",
    "ttft_cache_hit", "server_decode_tps", "decode_tps_vs_server_pct", "answer",
]  # fmt: skip


# ---- formatting helpers ------------------------------------------------------------------------
def _round(value: Any, sig: int = 4) -> Any:
    """Round floats to ``sig`` significant digits so the JSON diffs only on real changes."""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return float(f"{value:.{sig}g}")
    if isinstance(value, dict):
        return {k: _round(v, sig) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_round(v, sig) for v in value]
    return value


# ---- markdown ----------------------------------------------------------------------------------
def render_markdown(store: Store, run_ids: Sequence[str], results: Results | None = None) -> str:
    """The Markdown report; ``results`` when the caller already loaded them (the HTML report)."""
    results = results or load_results(store, run_ids)
    lines = ["# SLM Bench report", ""]
    for run in results.runs:
        lines += _run_header(run)
    lines += _comparability(results)
    lines += ["## Models", "", *_model_table(results), ""]
    lines += ["## Requests", "", *_requests_table(results), ""]
    server = _server_table(results)
    if server:
        lines += ["## What the server reported", "", *server, ""]
    lines += ["## Highlights", "", *_highlights(results), ""]
    lines += ["## Recommendation", "", *_recommendation(store, results)["markdown"], ""]
    quality = _quality_section(results)
    if quality:
        lines += ["## Quality", "", *quality, ""]
    lines += workload_section.markdown(store, results)  # long context, turns, tool calls, JSON
    lines += energy_cost_load.markdown(store, run_ids, results.energy)  # energy, cost estimate, load capacity
    lines += run_noise.markdown(results.runs, results.samples)  # between runs of one --repeat group
    lines += drift.markdown(results.samples)  # decode speed falling across a run
    lines += ["## How to read these numbers", "", DEFINITIONS]
    return "\n".join(lines)


def _comparability(results: Results) -> list[str]:
    """A warning before the tables when the runs were measured with different settings."""
    from bench.stats.comparability import compare_runs

    rows = [{"run_id": m.run_id, "backend": m.backend, "transport": m.transport} for m in results.models]
    verdict = compare_runs(results.runs, rows)
    if verdict.comparable:
        return []
    return [
        f"> **{md_inline(verdict.headline())}**",
        ">",
        *[f"> - {md_inline(line)}" for line in verdict.lines()],
        "",
    ]


def _run_header(run: dict[str, Any]) -> list[str]:
    s, meta = run["settings"], run["meta"]
    hw = meta.get("hardware", {})
    packages = ", ".join(f"{k} {v}" for k, v in sorted(meta.get("packages", {}).items()))
    return [
        f"**Run {run['id']}** {md_inline(run['label'])} — status **{run['status']}**, started {run['created_at']}",
        "",
        f"- Settings: {s['rounds']} rounds after {s['warmup']} warm-up, max_tokens {s['max_tokens']},"
        f" temperature {s['temperature']}, seed {s['seed']}, {'streaming' if s['stream'] else 'not streaming'},"
        f" {meta.get('transport', '?')}{' ' + s['endpoint'] if s.get('endpoint') else ''}",
        f"- Prompts: {len(run['prompts']['prompts'])} from set `{run['prompts']['name']}`",
        f"- Machine: {hw.get('processor', '?')}, {hw.get('cpu_count_logical', '?')} logical CPUs,"
        f" {fmt_bytes(hw.get('memory_total_bytes'))} RAM, {hw.get('os', '?')};"
        f" GPU: {', '.join(hw.get('gpu') or []) or 'none'}",
        f"- Code: SLM Bench {meta.get('slm_bench_version', '?')} at `{meta.get('git_commit', '?')}`; {packages}",
        "",
    ]


def _memory(m: ModelResult) -> str:
    """``412 MB`` (added by the model), ``1.2 GB (process peak)``, ``n/a``; ``*`` = not comparable."""
    if m.memory_bytes is None:
        return "n/a"
    text = fmt_bytes(m.memory_bytes)
    if m.memory_basis.startswith("process peak"):
        text += " (process peak)"
    return text + ("" if m.memory_comparable else " (not comparable)")


def _model_table(results: Results) -> list[str]:
    head = (
        "| model | status | n | avg e2e s | p50 e2e s | p95 e2e s | TTFT s | decode tok/s | cold e2e s"
        " | load s | memory | size | tokens from |"
    )
    lines = [head, "|" + "---|" * 13]
    for m in results.models:
        low = " (few samples)" if "p95" in (m.stat("e2e_s_low_n") or []) else ""
        status = m.status + (f": {m.error}" if m.error else "")
        lines.append(
            f"| {md_cell(m.series)} | {md_cell(status)} | {m.n} | {fmt_number(m.stat('e2e_s_mean'))}"
            f" | {fmt_number(m.stat('e2e_s_p50'))} | {fmt_number(m.stat('e2e_s_p95'))}{low}"
            f" | {fmt_number(m.stat('ttft_s_mean'))} | {fmt_number(m.stat('decode_tps_mean'), 1)}"
            f" | {fmt_number(m.cold_e2e_s)} | {fmt_number(m.load_seconds)} | {_memory(m)}"
            f" | {fmt_bytes(m.size_bytes)} | {md_cell(m.token_source or 'n/a')} |"
        )
    return lines


def _requests_table(results: Results) -> list[str]:
    """Every request of each model by outcome (warm-up included), the extra tries it took, and the rates.

    Error rate = (failed + incomplete) / measured requests; cut = answers ended by the token limit /
    successful answers; both with Wilson 95% intervals (:func:`bench.stats.aggregates.outcome_rates`).
    """
    lines = [
        "| model | ok | failed | incomplete | cancelled | extra tries | error rate (95% interval, n) |"
        " cut by max tokens (95% interval, n) | decode bursts left out |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    frame = results.samples
    for m in results.models:
        tries = 0
        if not frame.empty and "attempts" in frame:
            mine = frame[(frame["run_id"] == m.run_id) & (frame["model"] == m.model)]
            tries = int((mine["attempts"].fillna(1) - 1).clip(lower=0).sum())
        counts = [int(m.stat(f"n_{o}") or 0) for o in ("ok", "failed", "incomplete", "cancelled")]
        rates = f" | {m.rate_words('error_rate')} | {m.rate_words('truncation_rate')}"
        bursts = f" | {int(m.stat('n_decode_burst') or 0)} |"
        lines.append(
            f"| {md_cell(m.series)} | " + " | ".join(map(str, counts)) + f" | {tries}" + rates + bursts
        )
    return lines


def _server_table(results: Results) -> list[str]:
    """Our decode rate beside the server's own, and prompt-cache hits (bench.stats.server_reported)."""
    rows = server_figures(results.samples)
    if not rows:
        return []
    lines = [
        "| model | n | decode tok/s (ours) | decode tok/s (server) | ours vs server | cache hits | cached prompt tokens |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        m = results.get(r["run_id"], r["model"])
        diff = f"{r['diff_pct']:+.1f}%" if r["diff_pct"] is not None else "n/a"
        hits = f"{r['n_cache_hits']} of {r['n_cache_reported']}" if r["n_cache_reported"] else "n/a"
        lines.append(
            f"| {md_cell(m.series if m else r['model'])} | {r['n_timed']} | {fmt_number(r['decode_tps'], 1)}"
            f" | {fmt_number(r['server_decode_tps'], 1)} | {diff} | {hits} | {fmt_number(r['cached_tokens_mean'], 1)} |"
        )
    lines += [
        "",
        "A cache hit's TTFT is not a cold prefill: `--prompt-cache off` asks llama.cpp not to reuse it.",
    ]
    return lines


def _highlights(results: Results) -> list[str]:
    rows = [m for m in results.models if m.n]
    out = []

    def best(
        value: Callable[[ModelResult], Any], label: str, fmt: Callable[[float], str], lowest: bool
    ) -> None:
        have = [m for m in rows if not is_missing(value(m))]
        if not have:
            return
        pick = (min if lowest else max)(have, key=value)
        out.append(f"- {label}: **{md_inline(pick.series)}** ({fmt(value(pick))}, n={pick.n})")

    best(lambda m: m.stat("e2e_s_mean"), "Lowest average latency", fmt_seconds, True)
    best(lambda m: m.stat("e2e_s_p95"), "Lowest p95 latency", fmt_seconds, True)
    best(lambda m: m.stat("ttft_s_mean"), "Fastest first token", fmt_seconds, True)
    best(lambda m: m.stat("decode_tps_mean"), "Fastest decoding", fmt_rate, False)
    best(lambda m: m.memory_bytes if m.memory_comparable else None, "Least memory", fmt_bytes, True)
    for m in results.models:
        if m.status == "failed":
            out.append(f"- **{md_inline(m.series)} failed**: {md_inline(m.error)}")
    return out or ["- No successful measured requests."]


def _quality_records(results: Results, source: str) -> list[dict[str, Any]]:
    """One source's per (run, model, aspect) rows; ``model`` is the key the report's ``models`` use."""
    records = []
    for r in results.quality_tables[source].to_dict("records"):
        m = results.get(r["run_id"], r["model"])
        key = _model_key(results, r["run_id"], r["model"])
        records.append(
            {**{k: v for k, v in r.items() if k != "run_id"}, "model": key, "series": m.series if m else key}
        )
    return records


def _quality_section(results: Results) -> list[str]:
    lines = []
    for info in results.sources:
        replies = results.quality.replies(info.name)  # a judge's: readable replies of all it gave
        parsed = ""
        if replies is not None and replies.rate is not None:
            parsed = f"; parse rate {replies.rate:.0%} ({replies.parsed} of {replies.total} replies)"
        note = f" ({info.note}{parsed})" if info.note or parsed else ""
        lines += [f"Scored by **{info.name}**{note}:", ""]
        lines += ["| model | aspect | mean | 95% interval | n | missing |", "|---|---|---|---|---|---|"]
        for r in _quality_records(results, info.name):
            lines.append(
                f"| {md_cell(r['series'])} | {md_cell(r['aspect'])} | {fmt_number(r['mean'], 2)}"
                f" | {fmt_number(r['low'], 2)}–{fmt_number(r['high'], 2)} | {r['n']} | {r['missing']} |"
            )
        lines.append("")
    return lines


def _recommendation(store: Store, results: Results) -> dict[str, Any]:
    """The decision (bench.decide.recommend) as report lines and as stable JSON (no run ids).

    It uses the weights and hard limits of the latest decision saved for exactly these runs
    (``python -m bench decide``, the Decide page), else the defaults without limits; it says which.
    """
    from bench.decide import decision_log

    saved = decision_log.latest(store, results.run_ids)
    criteria = decide.Criteria(**saved.criteria) if saved else decide.Criteria()
    limits = saved.limits if saved else []
    table, rec, record = decision_log.take(
        store, results.run_ids, criteria, limits, decision_log.info_of(saved), results=results
    )
    words = [limit["words"] for limit in record["limits"]]
    source = (
        f"the decision saved {saved.created_at}"
        if saved
        else "the default weights, no hard limits but the default error limit"
    )
    record["from"] = source
    lines = [
        f"Weights and limits: {source}.",
        "",
        *decide.recommendation_markdown(rec, criteria, table, words),
    ]
    return {"markdown": lines, "json": record}


# ---- csv / json --------------------------------------------------------------------------------
def samples_csv(store: Store, run_ids: Sequence[str]) -> str:
    frame = load_samples(store, run_ids)  # the samples alone: no aggregates, quality or energy to compute
    if frame.empty:
        return ",".join(SAMPLE_COLUMNS) + "\n"
    # rounds as the app numbers them: 1..R, and warm-up rounds 1..W (``warmup`` says which)
    frame = frame.assign(round=[round_number(r) for r in frame["round"]])
    return csv_frame(frame.reindex(columns=SAMPLE_COLUMNS)).to_csv(index=False)


def _model_key(results: Results, run_id: str, model: str) -> str:
    return model if not results.several_runs else f"{run_id}/{model}"


def report_dict(store: Store, run_ids: Sequence[str]) -> dict[str, Any]:
    results = load_results(store, run_ids)
    models: dict[str, Any] = {}
    for m in results.models:
        models[_model_key(results, m.run_id, m.model)] = {
            "status": m.status,
            "error": m.error,
            "transport": m.transport or None,
            "model_id": m.model_id,
            "size_bytes": m.size_bytes,
            "memory": {"bytes": m.memory_bytes, "basis": m.memory_basis, "comparable": m.memory_comparable},
            "stats": {c: v for c, v in m.stats.items() if c != "transport"},
        }
    measured = aggregates.measured(results.samples)
    answers: dict[str, dict[str, str]] = {}
    if not measured.empty:
        first = measured.sort_values("round").groupby(["model", "prompt_id"], sort=True).first()
        for (model, prompt_id), row in first.iterrows():
            answers.setdefault(str(model), {})[str(prompt_id)] = row["answer"]
    quality = {
        info.name: [
            {k: v for k, v in r.items() if k != "series"} for r in _quality_records(results, info.name)
        ]
        for info in results.sources
    }
    return _round(
        {
            "meta": {
                "runs": [
                    {k: run[k] for k in ("id", "created_at", "updated_at", "status", "label", "meta")}
                    for run in results.runs
                ],
            },
            "settings": [run["settings"] for run in results.runs],
            "prompts": [run["prompts"] for run in results.runs],
            "models": models,
            "answers": answers,
            "quality": quality,
            "recommendation": _recommendation(store, results)["json"],
            **energy_cost_load.as_json(store, run_ids, results.energy),
            "run_noise": run_noise.as_json(results.runs, results.samples),
            "drift": drift.as_json(results.samples),
            "workloads": workload_section.as_json(store, results),
        }
    )


def report_json(store: Store, run_ids: Sequence[str]) -> str:
    return json.dumps(report_dict(store, run_ids), sort_keys=True, indent=2, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


FORMATS = {
    "md": ("benchmark_report.md", render_markdown),
    "csv": ("samples.csv", samples_csv),
    "json": ("report.json", report_json),
}


def write_reports(store: Store, run_ids: Sequence[str], out_dir: str | Path) -> list[Path]:
    """Write all three reports into ``out_dir`` (created if needed); returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, render in FORMATS.values():
        path = out / filename
        path.write_text(render(store, run_ids), encoding="utf-8")
        written.append(path)
    return written
