"""Stored runs whose requests fail, get cut or pass checks in planted shares (a known truth).

Written as the runner writes them, into a real SQLite store: ``prompts`` prompts x ``rounds`` rounds
per model after one cold warm-up request; the latency of request i of prompt j is drawn around
``centre * prompt_effect[j]``; ``failed`` of them (spread over the prompts) fail with HTTP 500 and
``truncated`` end with ``finish_reason=length``. Only the timings are drawn instead of measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.store.store import Store


@dataclass
class Plan:
    """What one model does in one stored run."""

    centre: float = 0.4
    failed: int = 0
    truncated: int = 0
    checks_pass: float | None = None  # share of answers passing their check (None: no checks stored)


def prompt_set(prompts: int) -> dict[str, Any]:
    return {
        "name": "outcomes",
        "prompts": [{"id": f"p{i}", "prompt": f"Outcome prompt {i}"} for i in range(prompts)],
    }


def _sample(run_id: str, model: str, prompt: int, rnd: int, e2e: float, outcome: str, finish: str) -> dict:
    base = {
        "run_id": run_id, "model": model, "prompt_id": f"p{prompt}", "round": rnd, "warmup": rnd < 0,
        "cold": rnd < 0, "outcome": outcome, "ok": outcome == "ok", "stream": True, "transport": "http",
        "started_at": "2026-01-01T00:00:00Z", "answer": "", "reasoning": "", "server_timings": None,
        "error": None, "metrics": {},
    }  # fmt: skip
    if outcome != "ok":
        return {**base, "error": "server error (HTTP 500)", "http_status": 500}
    metrics = {"e2e_s": e2e, "ttft_s": e2e / 10, "output_tokens": 33, "output_token_source": "usage",
               "decode_tps": 32 / (e2e * 0.9), "rss_peak_bytes": 4 * 10**8, "finish_reason": finish}  # fmt: skip
    return {**base, "answer": f"answer {prompt}", "metrics": metrics}


def store_run(
    store: Store,
    plans: dict[str, Plan],
    prompts: int = 5,
    rounds: int = 20,
    seed: int = 0,
    max_tokens: int = 16,
) -> str:
    """A completed run of ``plans`` (model -> Plan) over ``prompts`` x ``rounds`` requests each."""
    from bench.quality.checks.store import CheckResult, save

    rng = np.random.default_rng(seed)
    settings = {"models": list(plans), "rounds": rounds, "warmup": 1, "stream": True, "max_tokens": max_tokens,
                "temperature": 0.0, "seed": 42, "endpoint": "http://127.0.0.1:1/v1"}  # fmt: skip
    run_id = store.create_run(settings, prompt_set(prompts), {"transport": "http"})
    effects = np.random.default_rng(1234).lognormal(0.0, 0.3, prompts)  # a prompt is as hard in every run
    for model, plan in plans.items():
        store.upsert_run_model(run_id, model, status="done", load_seconds=1.0, size_bytes=10**8,
                               peak_rss_bytes=5 * 10**8, baseline_rss_bytes=10**8, transport="http")  # fmt: skip
        store.add_sample(_sample(run_id, model, 0, -1, 9.9, "ok", "stop"))
        slots = [(j, r) for r in range(rounds) for j in range(prompts)]  # round-robin: failures spread out
        failed = set(slots[: plan.failed])
        cut = set(slots[plan.failed : plan.failed + plan.truncated])
        passing = round((plan.checks_pass or 0.0) * len(slots))
        checks = []
        for k, (j, r) in enumerate(slots):
            e2e = float(rng.lognormal(np.log(plan.centre * effects[j]), 0.08))
            outcome = "failed" if (j, r) in failed else "ok"
            store.add_sample(
                _sample(run_id, model, j, r, e2e, outcome, "length" if (j, r) in cut else "stop")
            )
            if plan.checks_pass is not None and outcome == "ok":
                checks.append(CheckResult(run_id, model, f"p{j}", r, 0, "contains", k < passing, "planted"))
        save(store, checks)
    store.set_run_status(run_id, "completed")
    return run_id
