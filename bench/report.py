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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bench import metrics
from bench.errors import BenchError
from bench.store import Store

SAMPLE_COLUMNS = [
    "run_id", "model", "prompt_id", "round", "phase", "ok", "error", "stream", "transport",
    "started_at", "ttfb_s", "ttft_s", "ttfc_s", "e2e_s", "output_tokens", "output_token_source",
    "prompt_tokens", "prompt_token_source", "decode_tps", "tpot_s", "prefill_tps", "e2e_tps",
    "itl_s", "ici_mean_s", "ici_max_s", "finish_reason", "rss_peak_bytes", "answer",
]  # fmt: skip

DEFINITIONS = """\
- **e2e**: request sent -> last event. **TTFT**: -> first generated token (reasoning or content); a role-only
  or empty chunk is not a token. Not measurable without streaming (shown as n/a).
- **Decode tok/s** = (output tokens - 1) / (e2e - TTFT). **TPOT** is its inverse. **Prefill tok/s** = prompt tokens / TTFT.
- **Output tokens** come from the server's `usage` when given, else its own timings, else the model's tokenizer,
  else a chunk count (approximate); the source is listed per model.
- Warm-up requests are stored but excluded. The first request after a model load (**cold**) is shown apart.
- **Memory** is the peak resident set of the process running the model (in-process: SLM Bench itself).
"""


@dataclass
class RunBundle:
    """Everything a report needs about a set of runs, loaded once."""

    runs: list[dict[str, Any]]
    run_models: list[dict[str, Any]]
    frame: pd.DataFrame
    summary: pd.DataFrame


def load_bundle(store: Store, run_ids: Sequence[str]) -> RunBundle:
    runs = []
    for run_id in run_ids:
        run = store.get_run(run_id)
        if run is None:
            recent = ", ".join(r["id"] for r in store.list_runs(5)) or "none"
            raise BenchError(run_id, f"no such run in {store.path}", f"recent runs: {recent}")
        runs.append(run)
    run_models = [m for run_id in run_ids for m in store.run_models(run_id)]
    frame = metrics.samples_frame(store.samples(run_ids))
    return RunBundle(runs, run_models, frame, metrics.model_summary(frame))


# ---- formatting helpers ------------------------------------------------------------------------
def _num(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _mb(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value / 2**20:.0f} MB"


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


def _model_rows(bundle: RunBundle) -> list[dict[str, Any]]:
    """One row per (run, model): run_models joined with the metric summary."""
    summary = {(r["run_id"], r["model"]): r for r in bundle.summary.to_dict("records")}
    rows = []
    for model in bundle.run_models:
        stats = summary.get((model["run_id"], model["model"]), {})
        rows.append({**model, **stats})
    return rows


# ---- markdown ----------------------------------------------------------------------------------
def render_markdown(store: Store, run_ids: Sequence[str]) -> str:
    bundle = load_bundle(store, run_ids)
    lines = ["# SLM Bench report", ""]
    for run in bundle.runs:
        lines += _run_header(run)
    lines += ["## Models", "", *_model_table(bundle), ""]
    lines += ["## Highlights", "", *_highlights(bundle), ""]
    lines += ["## Recommendation", "", *_recommendation(store, run_ids, bundle)["markdown"], ""]
    quality = _quality_section(store, run_ids)
    if quality:
        lines += ["## Quality", "", *quality, ""]
    lines += ["## How to read these numbers", "", DEFINITIONS]
    return "\n".join(lines)


def _run_header(run: dict[str, Any]) -> list[str]:
    s, meta = run["settings"], run["meta"]
    hw = meta.get("hardware", {})
    packages = ", ".join(f"{k} {v}" for k, v in sorted(meta.get("packages", {}).items()))
    return [
        f"**Run {run['id']}** {run['label']} — status **{run['status']}**, started {run['created_at']}",
        "",
        f"- Settings: {s['rounds']} rounds after {s['warmup']} warm-up, max_tokens {s['max_tokens']},"
        f" temperature {s['temperature']}, seed {s['seed']}, {'streaming' if s['stream'] else 'not streaming'},"
        f" {meta.get('transport', '?')}{' ' + s['endpoint'] if s.get('endpoint') else ''}",
        f"- Prompts: {len(run['prompts']['prompts'])} from set `{run['prompts']['name']}`",
        f"- Machine: {hw.get('processor', '?')}, {hw.get('cpu_count_logical', '?')} logical CPUs,"
        f" {_mb(hw.get('memory_total_bytes'))} RAM, {hw.get('os', '?')}; GPU: {', '.join(hw.get('gpu') or []) or 'none'}",
        f"- Code: SLM Bench {meta.get('slm_bench_version', '?')} at `{meta.get('git_commit', '?')}`; {packages}",
        "",
    ]


def _model_table(bundle: RunBundle) -> list[str]:
    head = (
        "| model | status | n | avg e2e s | p50 e2e s | p95 e2e s | TTFT s | decode tok/s | cold e2e s"
        " | load s | peak memory | size | tokens from |"
    )
    lines = [head, "|" + "---|" * 13]
    for r in _model_rows(bundle):
        low = " (few samples)" if "p95" in (r.get("e2e_s_low_n") or []) else ""
        status = r["status"] + (f": {r['error']}" if r.get("error") else "")
        lines.append(
            f"| {r['model']} | {status.replace('|', '/')} | {r.get('n', 0)} | {_num(r.get('e2e_s_mean'))}"
            f" | {_num(r.get('e2e_s_p50'))} | {_num(r.get('e2e_s_p95'))}{low} | {_num(r.get('ttft_s_mean'))}"
            f" | {_num(r.get('decode_tps_mean'), 1)} | {_num(r.get('cold_e2e_s'))} | {_num(r.get('load_seconds'))}"
            f" | {_mb(r.get('peak_rss_bytes'))} | {_mb(r.get('size_bytes'))} | {r.get('token_source') or 'n/a'} |"
        )
    return lines


def _highlights(bundle: RunBundle) -> list[str]:
    rows = [r for r in _model_rows(bundle) if r.get("n")]
    out = []

    def best(key: str, label: str, fmt: Callable[[float], str], lowest: bool) -> None:
        values = [r for r in rows if r.get(key) is not None and not pd.isna(r.get(key))]
        if not values:
            return
        pick = (min if lowest else max)(values, key=lambda r: r[key])
        out.append(f"- {label}: **{pick['model']}** ({fmt(pick[key])}, n={pick['n']})")

    best("e2e_s_mean", "Lowest average latency", "{:.3f} s".format, True)
    best("e2e_s_p95", "Lowest p95 latency", "{:.3f} s".format, True)
    best("ttft_s_mean", "Fastest first token", "{:.3f} s".format, True)
    best("decode_tps_mean", "Fastest decoding", "{:.1f} tok/s".format, False)
    best("peak_rss_bytes", "Smallest memory peak", _mb, True)
    for r in _model_rows(bundle):
        if r["status"] == "failed":
            out.append(f"- **{r['model']} failed**: {r.get('error')}")
    return out or ["- No successful measured requests."]


def _quality_tables(store: Store, run_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Quality per model and aspect for each scorer (people, each judge), never mixed."""
    try:
        from rubrics.quality import quality_table, score_sources
    except ImportError:  # rubrics is optional for the speed-only report
        return {}
    return {
        source: quality_table(store, list(run_ids), scored_by=source).to_dict("records")
        for source in score_sources(store, list(run_ids))
    }


def _quality_section(store: Store, run_ids: Sequence[str]) -> list[str]:
    from rubrics.quality import INTERVAL_METHOD

    lines = []
    for source, rows in _quality_tables(store, run_ids).items():
        lines += [f"Scored by **{source}** ({INTERVAL_METHOD}):", ""]
        lines += ["| model | aspect | mean | 95% interval | n | missing |", "|---|---|---|---|---|---|"]
        for r in rows:
            lines.append(
                f"| {r['model']} | {r['aspect']} | {_num(r['mean'], 2)} | {_num(r['low'], 2)}–{_num(r['high'], 2)}"
                f" | {r['n']} | {r['missing']} |"
            )
        lines.append("")
    return lines


def _recommendation(store: Store, run_ids: Sequence[str], bundle: RunBundle) -> dict[str, Any]:
    """The default-weights recommendation (bench.decide) as report lines and as stable JSON (no run ids)."""
    from bench import decide

    criteria = decide.Criteria()
    table = decide.decision_table(store, run_ids, criteria, bundle=bundle)
    rec = decide.recommendation(table)
    ranking = [
        {"model": r["series"], "rank": int(r["rank"]), "score": r["score"], "missing": list(r["missing"])}
        for r in table[table["rank"].notna()].to_dict("records")
    ]
    data = {k: v for k, v in rec.to_dict().items() if k not in ("run_id", "series")}
    data["model"] = rec.series or rec.model
    data["criteria"] = criteria.model_dump()
    data["ranking"] = ranking
    return {"markdown": decide.recommendation_markdown(rec, criteria), "json": data}


# ---- csv / json --------------------------------------------------------------------------------
def samples_csv(store: Store, run_ids: Sequence[str]) -> str:
    frame = load_bundle(store, run_ids).frame
    if frame.empty:
        return ",".join(SAMPLE_COLUMNS) + "\n"
    return frame.reindex(columns=SAMPLE_COLUMNS).to_csv(index=False)


def report_dict(store: Store, run_ids: Sequence[str]) -> dict[str, Any]:
    bundle = load_bundle(store, run_ids)
    stat_cols = (
        [c for c in bundle.summary.columns if c not in ("run_id", "model")] if len(bundle.summary) else []
    )
    models: dict[str, Any] = {}
    for r in _model_rows(bundle):
        key = r["model"] if len(bundle.runs) == 1 else f"{r['run_id']}/{r['model']}"
        models[key] = {
            "status": r["status"],
            "error": r.get("error"),
            "transport": r.get("transport"),
            "model_id": r.get("model_id"),
            "size_bytes": r.get("size_bytes"),
            "stats": {c: r.get(c) for c in stat_cols if c not in ("transport",)},
        }
    measured = metrics.measured(bundle.frame)
    answers: dict[str, dict[str, str]] = {}
    if not measured.empty:
        first = measured.sort_values("round").groupby(["model", "prompt_id"], sort=True).first()
        for (model, prompt_id), row in first.iterrows():
            answers.setdefault(str(model), {})[str(prompt_id)] = row["answer"]
    return _round(
        {
            "meta": {
                "runs": [
                    {k: run[k] for k in ("id", "created_at", "updated_at", "status", "label", "meta")}
                    for run in bundle.runs
                ],
            },
            "settings": [run["settings"] for run in bundle.runs],
            "prompts": [run["prompts"] for run in bundle.runs],
            "models": models,
            "answers": answers,
            "quality": _quality_tables(store, run_ids),
            "recommendation": _recommendation(store, run_ids, bundle)["json"],
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
