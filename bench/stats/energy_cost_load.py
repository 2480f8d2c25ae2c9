"""The report's team sections: energy per request and token, a labelled cost estimate, load capacity.

Energy comes from the samples' ``energy_j`` (measured per request by ``bench.measure.energy``; absent =
"n/a: no energy sensor"). Cost is an *estimate* from prices the user sets in the environment —
``SLM_BENCH_PRICE_PER_HOUR`` (what the machine costs per hour), or ``SLM_BENCH_PRICE_PER_KWH`` with
measured joules (or ``SLM_BENCH_WATTS`` where there is no sensor) — at the throughput measured:
output tokens over the time spent answering, one request at a time (a load run uses its capacity
level instead). Load runs add their capacity and levels.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from bench.measure import energy
from bench.store.store import Store


def _env_float(name: str) -> float | None:
    raw = os.environ.get(name, "").strip()
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


def prices() -> dict[str, float | None]:
    return {
        "price_per_hour": _env_float("SLM_BENCH_PRICE_PER_HOUR"),
        "price_per_kwh": _env_float("SLM_BENCH_PRICE_PER_KWH"),
        "watts": _env_float("SLM_BENCH_WATTS"),
    }


def _measured(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in samples if s.get("ok") and not s.get("warmup")]


def _tokens_per_s(samples: list[dict[str, Any]]) -> float | None:
    """Output tokens / seconds spent answering, one request at a time."""
    tokens = sum(s["metrics"].get("output_tokens") or 0 for s in samples)
    seconds = sum(s["metrics"].get("e2e_s") or 0 for s in samples)
    return tokens / seconds if tokens and seconds else None


def energy_and_cost(
    store: Store, run_ids: Sequence[str], samples: list[dict[str, Any]] | None = None
) -> dict[str, dict[str, Any]]:
    """``{"run_id/model": {per_request_j, per_token_j, n, source, tokens_per_s, cost}}``.

    ``samples`` are the runs' stored samples when the caller has already read them (the results
    layer has), so they are not read a second time.
    """
    price = prices()
    every = store.samples(run_ids) if samples is None else samples
    out: dict[str, dict[str, Any]] = {}
    with_levels = runs_with_levels(store, run_ids)
    for run_id in run_ids:
        of_run = [s for s in every if s["run_id"] == run_id]
        levels = _levels(store, run_id) if run_id in with_levels else {}
        for model in sorted({s["model"] for s in of_run}):
            mine = _measured([s for s in of_run if s["model"] == model])
            joules = energy.joules_per_token(mine)
            tps = _tokens_per_s(mine)
            if model in levels:  # a load run: the throughput the box holds within its SLOs
                from bench.load.run import capacity_of

                cap = capacity_of(levels[model])
                level = next((lv for lv in levels[model] if lv["level"] == cap.get("level")), None)
                tps = level["output_tokens_per_s"] if level else tps
            cost = energy.cost_per_1k_tokens(tps, joules_per_token=joules["per_token_j"], **price)
            out[f"{run_id}/{model}"] = {
                **joules,
                "tokens_per_s": tps,
                "cost_per_1k_tokens": cost.per_1k_tokens,
                "cost_basis": cost.basis,
                "cost_label": cost.label,
            }
    return out


def runs_with_levels(store: Store, run_ids: Sequence[str]) -> set[str]:
    """Those of ``run_ids`` that hold load levels (``bench.load.run`` stored them).

    Asked before importing :mod:`bench.load.run`: it imports the load engine (httpx, asyncio, ssl,
    pydantic), 0.07-0.1 s of every report of a run that has no level to read.
    """
    ids = list(dict.fromkeys(run_ids))
    if not ids:
        return set()
    with store.connect() as conn:
        rows = conn.execute(
            f"SELECT DISTINCT run_id FROM load_levels WHERE run_id IN ({', '.join('?' * len(ids))})", ids
        ).fetchall()
    return {str(r[0]) for r in rows}


def _levels(store: Store, run_id: str) -> dict[str, list[dict[str, Any]]]:
    from bench.load.run import load_results

    return load_results(store, run_id)


def load_capacity(store: Store, run_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{"run_id/model": {"capacity": ..., "levels": [...]}}`` for the load runs among ``run_ids``."""
    with_levels = runs_with_levels(store, run_ids)
    if not with_levels:
        return {}
    from bench.load.run import capacity_of

    out = {}
    for run_id in run_ids:
        for model, levels in (_levels(store, run_id) if run_id in with_levels else {}).items():
            out[f"{run_id}/{model}"] = {"capacity": capacity_of(levels), "levels": levels}
    return out


def as_json(
    store: Store, run_ids: Sequence[str], rows: Mapping[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """``rows``: :func:`energy_and_cost` when the caller has it (the results layer), not computed again."""
    rows = energy_and_cost(store, run_ids) if rows is None else rows
    return {"energy_and_cost": dict(rows), "load": load_capacity(store, run_ids)}


def _num(value: float | None, fmt: str) -> str:
    return "n/a" if value is None else format(value, fmt)


def markdown(
    store: Store, run_ids: Sequence[str], rows: Mapping[str, dict[str, Any]] | None = None
) -> list[str]:
    """``## Energy and cost`` (always) and ``## Load`` (for load runs) as Markdown lines; ``rows`` as in
    :func:`as_json`."""
    rows = energy_and_cost(store, run_ids) if rows is None else rows
    lines = ["## Energy and cost", ""]
    if rows and all(r["n"] == 0 and r["cost_per_1k_tokens"] is None for r in rows.values()):
        sources = sorted({str(r["source"]) for r in rows.values()})
        lines += [
            f"Not measured for any model ({', '.join(sources)}) and no price set: set SLM_BENCH_PRICE_PER_HOUR"
            " (or SLM_BENCH_PRICE_PER_KWH with SLM_BENCH_WATTS) for a cost estimate per 1,000 output tokens.",
            "",
        ]
        return lines + _load_lines(store, run_ids)
    lines += [
        "| run/model | J per request | J per output token | n | energy source | output tok/s | cost per 1k tokens (estimate) |",
        "|---|---:|---:|---:|---|---:|---|",
    ]
    for key, r in rows.items():
        cost = "n/a" if r["cost_per_1k_tokens"] is None else f"{r['cost_per_1k_tokens']:.5f}"
        lines.append(
            f"| {key} | {_num(r['per_request_j'], '.3g')} | {_num(r['per_token_j'], '.3g')} | {r['n']} |"
            f" {r['source']} | {_num(r['tokens_per_s'], '.1f')} | {cost} ({r['cost_basis']}) |"
        )
    lines += [
        "",
        "Joules are what the whole machine (CPU packages, GPUs) drew while each request ran; cost is an estimate"
        " from the price you set (SLM_BENCH_PRICE_PER_HOUR, or SLM_BENCH_PRICE_PER_KWH with measured joules or"
        " SLM_BENCH_WATTS).",
        "",
    ]
    return lines + _load_lines(store, run_ids)


def _load_lines(store: Store, run_ids: Sequence[str]) -> list[str]:
    """``## Load`` for load runs: the capacity per model and every level's rate with n."""
    lines: list[str] = []
    loads = load_capacity(store, run_ids)
    if loads:
        lines += ["## Load", "", "| run/model | capacity | why | levels run |", "|---|---|---|---|"]
        for key, r in loads.items():
            cap = r["capacity"]
            levels = ", ".join(
                f"{lv['level']}: {lv['requests_per_s']:.1f} req/s (n={lv['requests']})" for lv in r["levels"]
            )
            lines.append(f"| {key} | {cap.get('level') or 'none'} | {cap['reason']} | {levels} |")
        lines.append("")
    return lines
