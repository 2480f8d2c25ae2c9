"""Stored runs with synthetic samples of a known truth, written as the runner writes them.

Used where the truth must be known (compare verdicts) or the size must be large (a 10,000-request
HTML report): real SQLite files and the real store, only the timings are drawn instead of measured.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.store.store import Store


def quiet(db: Path, seconds_ago: float = 3600) -> None:
    """The database and its log as if last written ``seconds_ago`` (a real mtime on the real files), as a
    database is when the app restarts: what is kept is keyed by a quiet file's state."""
    when = time.time() - seconds_ago
    for file in (db, db.with_name(db.name + "-wal")):
        if file.exists():
            os.utime(file, (when, when))


PROMPTS = {
    "name": "synthetic",
    "prompts": [{"id": f"p{i}", "prompt": f"Synthetic prompt {i}"} for i in range(4)],
}


def latencies(rng: np.random.Generator, centre: float, n: int = 20, cv: float = 0.08) -> np.ndarray:
    """Log-normal latencies around ``centre`` seconds with a coefficient of variation ``cv``."""
    return rng.lognormal(np.log(centre), cv, n)


def _sample(run_id: str, model: str, i: int, value: float) -> dict[str, Any]:
    return {
        "run_id": run_id, "model": model, "prompt_id": f"p{i % 4}", "round": i - 1, "warmup": i == 0,
        "cold": i == 0, "ok": True, "error": None, "stream": True, "transport": "in-process",
        "started_at": "2026-01-01T00:00:00Z", "answer": f"answer {i % 4} of {model}", "reasoning": "",
        "server_timings": None,
        "metrics": {
            "e2e_s": value, "ttft_s": value / 10, "output_tokens": 33, "output_token_source": "usage",
            "decode_tps": 32 / (value * 0.9), "rss_peak_bytes": 4 * 10**8 + i,
        },
    }  # fmt: skip


def store_run(store: Store, models: dict[str, np.ndarray], load_s: float = 1.0, bulk: bool = False) -> str:
    """A completed run: settings, run_models, one cold warm-up request then the given e2e values.

    ``bulk`` writes all samples in one transaction (the same rows ``add_sample`` writes), for
    runs of thousands of requests.
    """
    settings = {"models": list(models), "rounds": 1, "warmup": 1, "stream": True, "max_tokens": 16,
                "temperature": 0.0, "seed": 42, "endpoint": None}  # fmt: skip
    run_id = store.create_run(settings, PROMPTS, {"transport": "in-process"})
    for model, e2e in models.items():
        store.upsert_run_model(run_id, model, status="done", load_seconds=load_s, size_bytes=10**8,
                               peak_rss_bytes=5 * 10**8, baseline_rss_bytes=10**8)  # fmt: skip
        samples = [_sample(run_id, model, i, float(v)) for i, v in enumerate([9.9, *e2e])]
        if bulk:
            _bulk(store, samples)
        else:
            for sample in samples:
                store.add_sample(sample)
    store.set_run_status(run_id, "completed")
    return run_id


def _bulk(store: Store, samples: list[dict[str, Any]]) -> None:
    from bench.measure.samples import Sample

    rows = [Sample.from_dict(s).row() for s in samples]
    cols = list(rows[0])
    with store.connect() as conn:
        conn.executemany(
            f"INSERT INTO samples ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [[r[c] for c in cols] for r in rows],
        )
