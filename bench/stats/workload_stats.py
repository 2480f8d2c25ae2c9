"""Numbers per workload: prefill cost against input length, cache help per turn, tool-call and JSON scores.

The four workload sets (:mod:`bench.inputs.workloads`) ask different questions of the same samples:

- long-context: TTFT and prefill tokens/s against the prompt tokens the model itself counted (usage),
  the longest input each model answered (a refused prompt does not count), and TTFT p95 over the
  prompts of at least :data:`LONG_TOKENS` tokens, the figure Decide can limit and weigh;
- multi-turn: TTFT and the server's cached prompt tokens per turn (how much its prompt cache helps);
- tool-calls: pass rate, the unparsed rate, and "not supported" when every request was refused;
- json-output: the speed cost of constrained decoding against the ``extraction`` set (the same prompts
  without ``response_format``) when both were run.

Every function takes the results layer's samples frame after :func:`annotate` and returns a table with
its n; statistics use the same samples as every other table (:func:`bench.stats.aggregates.measured`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from bench.backends.tool_call_text import parse_tool_calls
from bench.stats import bootstrap
from bench.stats.aggregates import measured

#: "at >= 4k tokens": prompt tokens as the model's own usage counts them
LONG_TOKENS = 4000
PLAIN_TWIN = {"json-output": "extraction"}  # a workload set and the same prompts sent without the constraint


def _prompt_info(run: Mapping[str, Any]) -> dict[str, tuple[str, float]]:
    """prompt id -> (workload, turn) from a run's stored prompt set (turn: NaN outside conversations)."""
    prompts = run.get("prompts") or {}
    default = prompts.get("workload") or ""
    out = {}
    for item in prompts.get("prompts") or []:
        messages = item.get("messages") or []
        workload = item.get("workload") or default  # a stored prompt says None when the set names it
        turn = len(messages) // 2 + 1 if messages or workload == "multi-turn" else np.nan
        out[str(item.get("id"))] = (workload, turn)
    return out


def annotate(samples: pd.DataFrame, runs: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """``samples`` with ``workload`` ('' for plain prompts), ``prompt_set`` and ``turn`` columns."""
    if samples.empty:
        return samples.assign(workload=pd.Series(dtype=str), prompt_set=pd.Series(dtype=str), turn=np.nan)
    info = {run["id"]: _prompt_info(run) for run in runs}
    names = {run["id"]: str((run.get("prompts") or {}).get("name") or "") for run in runs}
    keys = list(zip(samples["run_id"], samples["prompt_id"], strict=True))
    found = [info.get(r, {}).get(str(p), ("", np.nan)) for r, p in keys]
    return samples.assign(
        workload=[w for w, _ in found],
        prompt_set=[names.get(r, "") for r, _ in keys],
        turn=[t for _, t in found],
    )


def _ok(samples: pd.DataFrame, workload: str) -> pd.DataFrame:
    if samples.empty or "workload" not in samples:
        return samples.iloc[0:0]
    return measured(samples[samples["workload"] == workload])


def _series(frame: pd.DataFrame) -> str:
    return "series" if "series" in frame else "model"


def long_context_points(samples: pd.DataFrame) -> pd.DataFrame:
    """One row per ok long-context request: input tokens, TTFT and prefill tokens/s."""
    ok = _ok(samples, "long-context")
    cols = ["series", "model", "prompt_id", "prompt_tokens", "ttft_s", "prefill_tps"]
    if ok.empty:
        return pd.DataFrame(columns=cols)
    return ok.assign(series=ok[_series(ok)])[cols].dropna(subset=["prompt_tokens", "ttft_s"])


def long_context_table(samples: pd.DataFrame) -> pd.DataFrame:
    """Per model: the longest input answered, refused prompts, and TTFT p95 at >= :data:`LONG_TOKENS`."""
    if samples.empty or "workload" not in samples:
        return pd.DataFrame()
    rows = []
    long_all = samples[(samples["workload"] == "long-context") & ~samples["warmup"]]
    points = long_context_points(samples)
    for series, group in long_all.groupby(_series(long_all), sort=False):
        mine = points[points["series"] == series]
        long = mine[mine["prompt_tokens"] >= LONG_TOKENS]["ttft_s"]
        p95 = bootstrap.interval(long.to_numpy(), "p95") if len(long) else None
        rows.append({
            "series": series,
            "longest_input_tokens": int(mine["prompt_tokens"].max()) if not mine.empty else None,
            "refused": int((group["outcome"] == "refused").sum()),
            "ttft_p95_4k_s": float(np.percentile(long, 95)) if len(long) else None,
            "ttft_p95_4k_low": p95.low if p95 else None,
            "ttft_p95_4k_high": p95.high if p95 else None,
            "n_4k": len(long),
            "n": len(mine),
        })  # fmt: skip
    return pd.DataFrame(rows)


def turn_table(samples: pd.DataFrame) -> pd.DataFrame:
    """Per model and turn: median TTFT, mean prompt and cached prompt tokens, n."""
    ok = _ok(samples, "multi-turn")
    if ok.empty:
        return pd.DataFrame()
    ok = ok.assign(series=ok[_series(ok)])
    grouped = ok.groupby(["series", "turn"], sort=True)
    return grouped.agg(
        ttft_p50_s=("ttft_s", "median"),
        prompt_tokens=("prompt_tokens", "mean"),
        cached_prompt_tokens=("cached_prompt_tokens", "mean"),
        n=("prompt_id", "size"),
    ).reset_index()


_ANSWER = ["run_id", "model", "prompt_id", "round"]


def checked_answers(samples: pd.DataFrame, checks: pd.DataFrame) -> pd.DataFrame:
    """The workload requests (warm-up left out), each with ``all_passed``: did every check that ran pass
    (NaN: not checked; a check not run says nothing). The one definition of a workload's pass rate,
    read by :func:`pass_rates` and by Decide (:mod:`bench.decide.workload_pass`)."""
    work = samples[(samples["workload"] != "") & ~samples["warmup"].astype(bool)]
    verdicts = pd.DataFrame(columns=[*_ANSWER, "all_passed"])
    if not checks.empty:
        known = checks.dropna(subset=["passed"])
        verdicts = known.groupby(_ANSWER)["passed"].all().rename("all_passed").reset_index()
    return work.merge(verdicts, on=_ANSWER, how="left")


def pass_rates(samples: pd.DataFrame, checks: pd.DataFrame) -> pd.DataFrame:
    """Per model and workload: answers that passed every check, with a Wilson interval, and n.

    A workload whose every request was refused says ``not supported`` instead of a rate (never 0).
    """
    if samples.empty or "workload" not in samples:
        return pd.DataFrame()
    joined = checked_answers(samples, checks)
    rows = []
    for (series, workload), group in joined.groupby([_series(joined), "workload"], sort=False):
        scored = group.dropna(subset=["all_passed"])
        refused = int((group["outcome"] == "refused").sum())
        rate = bootstrap.proportion(float(scored["all_passed"].sum()), len(scored)) if len(scored) else None
        row = {"series": series, "workload": workload, "n": len(scored), "refused": refused,
               "pass_rate": rate.estimate if rate else None, "low": rate.low if rate else None,
               "high": rate.high if rate else None,
               "note": "not supported" if refused and refused == len(group) else ""}  # fmt: skip
        if workload == "json-output":
            row["json_constraint"] = _constraint(set(group["transport"]))
        if workload == "tool-calls":
            answers = group.loc[group["outcome"] == "ok", "answer"].fillna("")
            row["unparsed"] = sum(parse_tool_calls(a).unparsed for a in answers)
            row["unparsed_n"] = len(answers)
        rows.append(row)
    return pd.DataFrame(rows)


def _constraint(transports: set[str]) -> str:
    """How a json-output prompt's schema reached the model: enforced in-process, sent over HTTP."""
    if transports == {"http"}:
        return "response_format json_schema sent (the server may or may not enforce it)"
    if transports == {"in-process"}:
        return "enforced in-process: ONNX Runtime GenAI guidance (constrained decoding)"
    return "mixed: response_format over HTTP, enforced guidance in-process"


def constrained_cost(samples: pd.DataFrame) -> pd.DataFrame:
    """Per model: e2e and decode tokens/s of json-output (response_format sent) against ``extraction``.

    Compared on the prompts both sets share (same ids), median over them; empty unless both ran.
    """
    if samples.empty or "prompt_set" not in samples:
        return pd.DataFrame()
    ok = measured(samples)
    rows = []
    for model, group in ok.groupby("model", sort=False):
        constrained = group[group["workload"] == "json-output"]
        plain = group[group["prompt_set"] == PLAIN_TWIN["json-output"]]
        shared = sorted(set(constrained["prompt_id"]) & set(plain["prompt_id"]))
        if not shared:
            continue
        c = constrained[constrained["prompt_id"].isin(shared)].groupby("prompt_id")
        p = plain[plain["prompt_id"].isin(shared)].groupby("prompt_id")
        c_e2e, p_e2e = c["e2e_s"].median().median(), p["e2e_s"].median().median()
        rows.append({
            "model": model, "prompts": len(shared),
            "e2e_constrained_s": c_e2e, "e2e_plain_s": p_e2e,
            "decode_tps_constrained": c["decode_tps"].median().median(),
            "decode_tps_plain": p["decode_tps"].median().median(),
            "slowdown": c_e2e / p_e2e if p_e2e else None,
            "constraint": _constraint(set(constrained["transport"])),
        })  # fmt: skip
    return pd.DataFrame(rows)


def long_ttft(samples: pd.DataFrame) -> pd.DataFrame:
    """TTFT of the measured requests whose prompt had at least :data:`LONG_TOKENS` tokens (any prompt set)."""
    if samples.empty:
        return samples
    ok = measured(samples)
    return ok[pd.to_numeric(ok["prompt_tokens"], errors="coerce") >= LONG_TOKENS].dropna(subset=["ttft_s"])


def with_long_ttft(summary: pd.DataFrame, samples: pd.DataFrame) -> pd.DataFrame:
    """``summary`` (one row per run and model) plus ``ttft_4k_s_p95`` and its n, ``ttft_4k_s_n``."""
    if summary.empty:
        return summary
    long = long_ttft(samples).groupby(["run_id", "model"])["ttft_s"]
    found = pd.DataFrame({"ttft_4k_s_p95": long.quantile(0.95), "ttft_4k_s_n": long.size()}).reset_index()
    out = summary.drop(columns=["ttft_4k_s_p95", "ttft_4k_s_n"], errors="ignore")
    out = out.merge(found, on=["run_id", "model"], how="left")
    return out.assign(ttft_4k_s_n=out["ttft_4k_s_n"].fillna(0).astype(int))
