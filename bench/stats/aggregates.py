"""Aggregates over stored samples: per model and per prompt, with the sample count behind each.

Warm-up samples and failed requests are excluded from statistics (they stay in the database and
the CSV). Cold requests (the first after a model load) are reported apart from warm ones.
Percentiles use numpy's default (linear interpolation); a percentile drawn from fewer samples than
it needs to mean anything is flagged in ``low_n`` (p90 < 10, p95 < 20, p99 < 100 samples).

:func:`measured` is the one definition of the requests statistics use (Results, Compare, Decide, the
speed history); :func:`outcome_rates` counts the requests they leave out (failed, incomplete, cut by
the token limit) as rates with Wilson intervals, so a failure is a number too, not a missing row.
A decode rate from a burst of buffered chunks (the whole answer within 0.5 ms, or every gap under
20 µs, and over 10x the model's median rate) is not a decode rate: it is flagged (``decode_burst``) and its speed left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

# the percentiles every table reports: defined with the metrics (bench.measure), which load also reads
from bench.measure.request_metrics import PERCENTILES as PERCENTILES
from bench.stats import bootstrap

#: metric column -> (label, unit) — the one place the UI and the reports take names from.
METRICS: dict[str, tuple[str, str]] = {
    "e2e_s": ("End-to-end latency", "s"),
    "ttft_s": ("Time to first token", "s"),
    "ttfc_s": ("Time to first content token", "s"),
    "ttfb_s": ("Time to first byte", "s"),
    "decode_tps": ("Decode tokens/s", "tok/s"),
    "e2e_tps": ("End-to-end output tokens/s", "tok/s"),
    "prefill_tps": ("Prefill tokens/s", "tok/s"),
    "tpot_s": ("Time per output token", "s"),
    "itl_s": ("Inter-token latency (token-weighted)", "s"),
    "output_tokens": ("Output tokens", "tok"),
    "prompt_tokens": ("Prompt tokens", "tok"),
}
#: the fewest samples a percentile needs before it is shown without a low-n flag (the one place)
MIN_N = {90: 10, 95: 20, 99: 100}
#: the fewest scored items a quality mean needs before it is shown without a caveat
MIN_N_QUALITY = 10
#: a decode window shorter than this, or every chunk gap shorter than GAP_FLOOR_S, is a burst, not a rate
BURST_WINDOW_S = 0.5e-3
GAP_FLOOR_S = 20e-6
BURST_RATIO = 10.0
#: speed columns a chunk burst makes meaningless (left out of statistics, the request itself stays)
BURST_COLUMNS = ("decode_tps", "tpot_s", "itl_s")


def samples_frame(samples: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """One row per request with its metrics flattened into columns."""
    rows = []
    for sample in samples:
        row = dict(sample)  # a copy, then two keys out: a third of the time of a filtering comprehension
        metrics, timings = row.pop("metrics", None), row.pop("server_timings", None)
        row.update(metrics or {})
        row.pop("usage_tokens", None)
        row["server_timings"] = timings
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    for col in METRICS:
        if col not in frame:
            frame[col] = np.nan
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    frame["decode_burst"] = burst_mask(frame)
    for col in BURST_COLUMNS:
        frame.loc[frame["decode_burst"], col] = np.nan
    # cold first: the request right after a load is the cold start, even when it is a warm-up one
    frame["phase"] = np.where(frame["cold"], "cold", np.where(frame["warmup"], "warm-up", "warm"))
    return frame


def burst_mask(frame: pd.DataFrame) -> pd.Series:
    """Requests whose answer arrived as one burst of buffered chunks (their decode rate is not a rate).

    Two conditions, both needed: the chunks came faster than a physical floor (the decode window
    under :data:`BURST_WINDOW_S`, or every gap under :data:`GAP_FLOOR_S`), *and* the rate is over
    :data:`BURST_RATIO` times the model's median in its run. The second keeps a genuinely tiny,
    fast model (tens of thousands of tok/s in-process, every request alike) from being flagged.
    """
    tokens = pd.to_numeric(frame.get("output_tokens"), errors="coerce")
    window = frame["e2e_s"] - frame["ttft_s"]
    gaps = pd.to_numeric(frame["ici_max_s"], errors="coerce") if "ici_max_s" in frame else np.nan
    fast = (tokens > 2) & ((window < BURST_WINDOW_S) | (gaps < GAP_FLOOR_S))
    keys = [k for k in ("run_id", "model") if k in frame]
    median = frame.groupby(keys)["decode_tps"].transform("median") if keys else frame["decode_tps"].median()
    burst = fast & (frame["decode_tps"] > BURST_RATIO * median)
    return pd.Series(np.asarray(burst, dtype=bool), index=frame.index)


def measured(frame: pd.DataFrame) -> pd.DataFrame:
    """The samples statistics use, in every table: outcome ok, not warm-up, not cold.

    Only ``ok`` samples count (failed, incomplete and cancelled requests never enter a statistic).
    The cold request (first after a load) is left out, except for a (run, model) whose every
    measured sample is cold (a saved Race: one request right after its load): those are kept, so
    such a run still shows its numbers, and ``cold_only`` marks them.
    """
    if frame.empty:
        return frame
    keep, cold_only = _measured_rows(frame)
    if not keep.any():
        return frame[keep]
    return frame[keep].assign(cold_only=cold_only[keep])


def measured_count(frame: pd.DataFrame) -> int:
    """``len(measured(frame))`` without copying the rows (0.09 s of every Results page run at 10,000)."""
    return 0 if frame.empty else int(_measured_rows(frame)[0].sum())


def _measured_rows(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(the rows :func:`measured` keeps, the rows it marks ``cold_only``), as boolean arrays."""
    counted = ((~frame["warmup"]) & frame["ok"]).to_numpy(dtype=bool)
    cold_only = np.zeros(counted.size, dtype=bool)
    if not counted.any():
        return counted, cold_only
    # only a cold row can be cold-only: look up its (run, model) among the warm rows' pairs (a set of
    # tuples and one copy of the frame, not a MultiIndex and three copies per call: a report calls
    # this a dozen times on 5,000 rows)
    cold = frame["cold"].to_numpy(dtype=bool)
    at = np.flatnonzero(counted & cold)
    if at.size:
        runs, models = frame["run_id"].to_numpy(), frame["model"].to_numpy()
        warm = counted & ~cold
        with_warm = set(zip(runs[warm], models[warm], strict=True))
        cold_only[at] = [pair not in with_warm for pair in zip(runs[at], models[at], strict=True)]
    return counted & (~cold | cold_only), cold_only


def describe(values: pd.Series) -> dict[str, Any]:
    """count, mean, std, p50..p99 of one metric, ignoring missing values, with low-n flags."""
    clean = values.dropna().to_numpy(dtype=float)
    n = int(clean.size)
    out: dict[str, Any] = {"n": n, "mean": None, "std": None}
    out.update({f"p{p}": None for p in PERCENTILES})
    out["low_n"] = [f"p{p}" for p, need in MIN_N.items() if n < need]
    if n == 0:
        return out
    out["mean"] = float(clean.mean())
    out["std"] = float(clean.std(ddof=1)) if n > 1 else 0.0
    for p, value in zip(PERCENTILES, np.percentile(clean, PERCENTILES), strict=False):
        out[f"p{p}"] = float(value)
    return out


def mean_interval(group: pd.DataFrame, metric: str) -> bootstrap.Interval | None:
    """The interval of a metric's mean over measured requests, prompts as the units (the one function)."""
    groups = group.get("prompt_id", None)
    return bootstrap.interval(group[metric].to_numpy(dtype=float), "mean", groups=groups)


def _outcomes(group: pd.DataFrame) -> np.ndarray:
    """Each request's outcome as an object array (``ok``/``failed`` from ``ok`` in frames without one)."""
    if "outcome" in group:
        return group["outcome"].to_numpy(dtype=object)
    return np.where(group["ok"].to_numpy(dtype=bool), "ok", "failed").astype(object)


def outcome_rates(group: pd.DataFrame) -> dict[str, Any]:
    """Error and truncation rates of one (run, model) with Wilson intervals, and the counts behind them.

    Error rate = (failed + incomplete) / measured requests (every request but warm-up and cancelled
    ones; a cold request that fails still failed). Truncation rate = successful measured answers that
    ended with ``finish_reason=length`` / successful measured answers.
    """
    # numpy arrays, not pandas selections: a report computes this per (run, model) on thousands of rows
    outcome = _outcomes(group)
    counted = ~group["warmup"].to_numpy(dtype=bool) & (outcome != "cancelled")
    errors = int(((outcome == "failed") | (outcome == "incomplete"))[counted].sum())
    ok = counted & (outcome == "ok")
    finish = group["finish_reason"].to_numpy(dtype=object)[ok] if "finish_reason" in group else []
    truncated = sum(1 for reason in finish if reason == "length")
    requests, ok_measured = int(counted.sum()), int(ok.sum())
    out: dict[str, Any] = {
        "requests": requests,
        "errors": errors,
        "ok_measured": ok_measured,
        "truncated": truncated,
    }
    for name, count, n in (("error_rate", errors, requests), ("truncation_rate", truncated, ok_measured)):
        iv = bootstrap.proportion(count, n)
        out[name] = iv.estimate if iv else None
        out[f"{name}_low"] = iv.low if iv else None
        out[f"{name}_high"] = iv.high if iv else None
    return out


def _token_source(group: pd.DataFrame) -> str:
    if "output_token_source" not in group:
        return ""
    counts = group["output_token_source"].fillna("").value_counts()
    return ", ".join(f"{src or 'none'}×{n}" for src, n in counts.items())


def model_summary(frame: pd.DataFrame, metrics: Iterable[str] = METRICS) -> pd.DataFrame:
    """Per (run, model): every metric's statistics over warm, successful requests.

    Columns are ``<metric>_<stat>`` (e.g. ``e2e_s_p95``, ``decode_tps_mean``) plus ``n`` (warm
    samples), ``n_failed``, ``cold_e2e_s`` (the first request after load), and ``token_source``.
    """
    if frame.empty:
        return pd.DataFrame()
    rows = []
    for (run_id, model), group in frame.groupby(["run_id", "model"], sort=False):
        warm = measured(group)
        cold = group[group["ok"] & group["cold"]]  # the first request after load, warm-up or not
        row: dict[str, Any] = {"run_id": run_id, "model": model, "n": len(warm)}
        outcome = _outcomes(group)
        for name in ("ok", "failed", "incomplete", "cancelled"):  # every request, warm-up included
            row[f"n_{name}"] = int((outcome == name).sum())
        row["n_warmup"] = int(group["warmup"].sum())
        row["cold_e2e_s"] = float(cold["e2e_s"].iloc[0]) if len(cold) else None
        row["cold_ttft_s"] = float(cold["ttft_s"].iloc[0]) if len(cold) else None
        row["token_source"] = _token_source(warm if len(warm) else cold)
        row["transport"] = ", ".join(sorted(set(group["transport"].dropna())))
        for metric in metrics:
            stats = describe(warm[metric])
            for key, value in stats.items():
                row[f"{metric}_{key}"] = value
        iv = mean_interval(warm, "e2e_s") if not warm.empty else None
        row["e2e_s_ci95"] = (iv.low, iv.high) if iv else None
        row["e2e_s_n_words"] = iv.n_words() if iv else f"n={len(warm)}"
        row["n_decode_burst"] = int(group["decode_burst"].sum()) if "decode_burst" in group else 0
        row.update(outcome_rates(group))
        rows.append(row)
    return pd.DataFrame(rows)


def prompt_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (run, model, prompt): mean e2e, decode tok/s, ttft and output tokens, with n."""
    data = measured(frame)
    if data.empty:
        return pd.DataFrame()
    grouped = data.groupby(["run_id", "model", "prompt_id"], sort=False)
    out = grouped.agg(
        n=("e2e_s", "count"),
        e2e_s_mean=("e2e_s", "mean"),
        ttft_s_mean=("ttft_s", "mean"),
        decode_tps_mean=("decode_tps", "mean"),
        e2e_tps_mean=("e2e_tps", "mean"),
        output_tokens_mean=("output_tokens", "mean"),
    )
    return out.reset_index()


def outliers(frame: pd.DataFrame, metric: str = "e2e_s") -> pd.DataFrame:
    """Warm requests beyond Tukey's fences (1.5 IQR) of their own model's distribution."""
    if frame.empty:
        return pd.DataFrame()
    # the columns it reads and shows, before the rows are picked: copying every column of 10,000 rows
    # cost each Results page run 0.1 s
    used = ["run_id", "model", "prompt_id", "round", "phase", metric, "warmup", "ok", "cold"]
    data = measured(frame[[c for c in used if c in frame]])
    if data.empty:
        return pd.DataFrame()
    flagged = []
    for _, group in data.groupby(["run_id", "model"], sort=False):
        values = group[metric].dropna()
        if len(values) < 4:
            continue
        q1, q3 = np.percentile(values, [25, 75])
        fence_low, fence_high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
        hit = group[(group[metric] > fence_high) | (group[metric] < fence_low)]
        flagged.append(hit.assign(fence_low=fence_low, fence_high=fence_high))
    cols = [
        "run_id",
        "model",
        "prompt_id",
        "round",
        "phase",
        metric,
        "fence_low",
        "fence_high",
    ]
    return pd.concat(flagged)[cols] if flagged else pd.DataFrame(columns=cols)
