"""The ``checks`` score source: pass rates of task checks, beside people and judges, never mixed in.

Unit of counting: the *prompt*. An answer passes when every one of its checks passes; the rounds of
one prompt are averaged first, so repeating a prompt at temperature 0 does not narrow the interval.
Intervals are **Wilson score intervals (95%)** over those prompts: well-behaved at 0% and 100%
and with few prompts, where a normal approximation or a bootstrap over 25 items is not. An answer
whose checks include one that was not run (and none that failed) is *missing*, not a failure.

``summary`` is per (run, model); ``table`` is per check type (each check counted once per prompt);
``per_prompt`` is per prompt; ``items`` gives one 0–1 score per prompt for the resampling analyses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from bench.quality.checks import store as check_store
from bench.quality.score_sources import SUMMARY_COLUMNS, TABLE_COLUMNS, SourceInfo, register
from bench.store.store import Store

FAMILY = "checks"
SCALE = "pass rate"
INTERVAL_METHOD = "Wilson score interval (95%) over prompts"
NOTE = f"deterministic task checks: share of answers passing all their checks; {INTERVAL_METHOD}"
ALL = "all checks"
Z95 = 1.959963984540054


def wilson(rate: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``rate`` observed on ``n`` units (nan, nan for n=0)."""
    if n <= 0:
        return math.nan, math.nan
    denom = 1 + z * z / n
    centre = (rate + z * z / (2 * n)) / denom
    half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _answer_verdicts(results: pd.DataFrame) -> pd.DataFrame:
    """One row per answer (run, model, prompt, round): passed True/False, or NA when unknown."""
    keys = ["run_id", "model", "prompt_id", "round"]

    def verdict(group: pd.Series) -> object:
        if (group == False).any():  # noqa: E712 - a nullable boolean column
            return False
        return pd.NA if group.isna().any() else True

    grouped = results.groupby(keys, sort=False)["passed"].agg(verdict).reset_index()
    grouped["passed"] = grouped["passed"].astype("boolean")
    return grouped


def _rates(frame: pd.DataFrame, keys: list[str], unit: list[str]) -> pd.DataFrame:
    """Per ``keys``: the mean over ``unit`` of each unit's mean pass (rounds averaged), Wilson interval."""
    rows = []
    for key, group in frame.groupby(keys, sort=False):
        per_unit = group.groupby(unit, sort=False)["passed"].agg(
            lambda s: s.dropna().astype(float).mean() if s.notna().any() else math.nan
        )
        scored = per_unit.dropna()
        rate = float(scored.mean()) if len(scored) else math.nan
        low, high = wilson(rate, len(scored)) if len(scored) else (math.nan, math.nan)
        rows.append(
            {
                **dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True)),
                "mean": rate,
                "low": low,
                "high": high,
                "n": len(scored),
                "missing": int(per_unit.isna().sum()),
                "scored_by": FAMILY,
            }
        )
    return pd.DataFrame(rows)


class ChecksProvider:
    """Provider of the ``checks`` family (:mod:`bench.quality.score_sources`)."""

    family = FAMILY

    def sources(self, store: Store, run_ids: Sequence[str]) -> list[SourceInfo]:
        if not check_store.any_results(store, run_ids):
            return []
        return [SourceInfo(FAMILY, scale=SCALE, validated=True, note=NOTE)]

    def summary(self, store: Store, run_ids: Sequence[str], source: str = FAMILY) -> pd.DataFrame:
        results = check_store.frame(store, run_ids)
        if results.empty:
            return pd.DataFrame(columns=SUMMARY_COLUMNS)
        answers = _answer_verdicts(results)
        return _rates(answers, ["run_id", "model"], ["prompt_id"]).reindex(columns=SUMMARY_COLUMNS)

    def table(self, store: Store, run_ids: Sequence[str], source: str = FAMILY) -> pd.DataFrame:
        """Per check type (``aspect`` holds the type): each check of each prompt is one unit."""
        results = check_store.frame(store, run_ids)
        if results.empty:
            return pd.DataFrame(columns=TABLE_COLUMNS)
        results = results.rename(columns={"check_type": "aspect"})
        out = _rates(results, ["run_id", "model", "aspect"], ["prompt_id", "check_index"])
        return out.reindex(columns=TABLE_COLUMNS)

    def per_prompt(self, store: Store, run_ids: Sequence[str]) -> pd.DataFrame:
        """Per (run, model, prompt): share of its answers passing all checks, and the first failure."""
        results = check_store.frame(store, run_ids)
        if results.empty:
            return pd.DataFrame(columns=["run_id", "model", "prompt_id", "mean", "n", "failed_check"])
        answers = _answer_verdicts(results)
        out = _rates(answers, ["run_id", "model", "prompt_id"], ["round"])
        failures = results[results["passed"] == False]  # noqa: E712
        first = failures.groupby(["run_id", "model", "prompt_id"])[["check_type", "detail"]].first()
        labels = (first["check_type"] + ": " + first["detail"]).rename("failed_check")
        return out.join(labels, on=["run_id", "model", "prompt_id"]).drop(
            columns=["low", "high", "scored_by"]
        )

    def items(self, store: Store, run_ids: Sequence[str], source: str = FAMILY) -> pd.DataFrame:
        """One 0–1 score per (run, model, prompt): the share of its answers passing all checks."""
        results = check_store.frame(store, run_ids)
        columns = ["run_id", "model", "prompt_id", "aspect", "score"]
        if results.empty:
            return pd.DataFrame(columns=columns)
        answers = _answer_verdicts(results).dropna(subset=["passed"])
        answers["score"] = answers["passed"].astype(float)
        out = answers.groupby(["run_id", "model", "prompt_id"], sort=False)["score"].mean().reset_index()
        out["aspect"] = ALL
        return out.reindex(columns=columns)


register(ChecksProvider())
