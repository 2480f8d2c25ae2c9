"""What the server itself reported beside what SLM Bench measured: its decode rate and its prompt cache.

llama.cpp reports ``timings.predicted_per_second`` and how many prompt tokens it reused
(``cache_n``); OpenAI-style servers report ``usage.prompt_tokens_details.cached_tokens``. A
report shows, per model, how far our decode rate is from the server's own, and how many requests
were prompt-cache hits (their TTFT is not a cold prefill). Only ok, measured samples count.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from bench.stats.aggregates import measured


def server_figures(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Per (run, model) with any server figure: n, our and the server's decode tok/s, cache hits."""
    data = measured(frame)
    cols = ("server_decode_tps", "cached_prompt_tokens")
    if data.empty or not any(c in data and data[c].notna().any() for c in cols):
        return []
    rows = []
    for (run_id, model), group in data.groupby(["run_id", "model"], sort=False):
        timed = group[group["server_decode_tps"].notna()] if "server_decode_tps" in group else group.iloc[0:0]
        cached = group["cached_prompt_tokens"].dropna() if "cached_prompt_tokens" in group else pd.Series()
        if timed.empty and cached.empty:
            continue
        ours, theirs = _mean(timed, "decode_tps"), _mean(timed, "server_decode_tps")
        rows.append(
            {
                "run_id": run_id,
                "model": model,
                "n_timed": len(timed),
                "decode_tps": ours,
                "server_decode_tps": theirs,
                "diff_pct": (ours - theirs) / theirs * 100 if ours is not None and theirs else None,
                "n_cache_reported": len(cached),
                "n_cache_hits": int((cached > 0).sum()),
                "cached_tokens_mean": float(cached.mean()) if len(cached) else None,
            }
        )
    return rows


def _mean(group: pd.DataFrame, col: str) -> float | None:
    values = pd.to_numeric(group[col], errors="coerce").dropna() if col in group else pd.Series()
    return float(values.mean()) if len(values) else None
