"""Run against run: per model and metric, the change with its 95% interval and a verdict.

Two runs of the same models (before/after a runtime update, CPU vs GPU, laptop vs edge box) are
compared model by model. Speed and latency use the measured requests (:func:`bench.stats.aggregates.measured`:
successful, not warm-up, not cold); their change is ``new / base - 1`` in percent with a cluster
bootstrap by prompt (:func:`bench.stats.bootstrap.change`), **paired by prompt** when both runs measured
the same prompts. **better** or **worse** only when the whole interval lies on one side of zero, else
**no detectable change**; p95 below 20 requests is "too few samples", never a verdict.

Outcomes are metrics too: the **error rate** (failed + incomplete over measured requests) and the
**truncation rate** (answers cut by the token limit) are compared as proportions, in percentage
points with Newcombe's interval, like a quality source whose scores are pass rates (task checks):
zeros are kept. A model with no successful request in the new run gets "no successful request in
the new run" on every speed metric, and fails every gate that names one (:mod:`bench.compare.gate`).

Memory (peak minus baseline, else the peak) and load time are one value per run: compared as single
values, no interval, never "better" or "worse". Runs measured with different settings, prompts,
backends or machines (:mod:`bench.stats.comparability`) get no verdict unless the differences are accepted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from bench.compare.gate import GateResult, gate, gate_report, parse_fail_on
from bench.compare.rows import (
    BETTER,
    METRICS,
    MISSING_IN_NEW,
    NO_INTERVAL,
    NO_VALUE_BASE,
    NO_VALUE_NEW,
    NOT_COMPARABLE,
    QUALITY_PREFIX,
    SAME,
    TOO_FEW,
    WORSE,
    Comparison,
    MetricChange,
    from_change,
    verdict,
    without,
)  # fmt: skip
from bench.compare.text import markdown, method_note, only_lines, table_rows, to_json
from bench.errors import BenchError
from bench.measure import machine
from bench.stats import aggregates, bootstrap, comparability
from bench.store.store import Store

__all__ = [
    "BETTER",
    "METRICS",
    "MISSING_IN_NEW",
    "NOT_COMPARABLE",
    "NO_INTERVAL",
    "NO_VALUE_BASE",
    "NO_VALUE_NEW",
    "QUALITY_PREFIX",
    "SAME",
    "TOO_FEW",
    "WORSE",
    "Comparison",
    "GateResult",
    "MetricChange",
    "compare_runs",
    "gate",
    "gate_report",
    "json",
    "markdown",
    "method_note",
    "metric_change",
    "only_lines",
    "parse_fail_on",
    "table_rows",
    "to_json",
    "verdict",
]  # fmt: skip

Values = tuple[np.ndarray, np.ndarray | None]  # values and their prompt ids (None: no prompt ids)


# ---- one metric ----------------------------------------------------------------------------------
def metric_change(
    model: str,
    metric: str,
    base: object,
    new: object,
    seed: int = 0,
    spec: tuple | None = None,
    base_groups: Sequence[object] | None = None,
    new_groups: Sequence[object] | None = None,
) -> MetricChange | None:
    """The change of ``metric`` between two samples (or two single values for ``memory`` and ``load_s``)."""
    spec = spec or METRICS[metric]
    stat = spec[3]
    if stat == "single":
        ch = bootstrap.single_change(float(np.asarray(base).ravel()[0]), float(np.asarray(new).ravel()[0]))
    else:
        ch = bootstrap.change(base, new, stat=stat, seed=seed, base_groups=base_groups, new_groups=new_groups)
    return None if ch is None else from_change(model, metric, ch, spec)


def worse_beyond(row: MetricChange, percent: float) -> bool:
    """True when the metric got worse by more than ``percent`` (points for rates) with 95% confidence."""
    if row.change is None or row.kind == "single":
        return False
    return bootstrap.p_beyond(row.change, percent, not row.higher_is_better) < (1 - row.change.level) / 2


# ---- two stored runs -----------------------------------------------------------------------------
def _frame(store: Store, run_id: str) -> pd.DataFrame:
    return aggregates.samples_frame(store.samples([run_id]))


def _machine(store: Store, run_id: str) -> str:
    run = store.get_run(run_id)
    return machine.of_run(run, store.run_models(run_id)).get("label", "") if run else ""


def _run_models(store: Store, run_id: str) -> dict[str, dict[str, Any]]:
    if store.get_run(run_id) is None:
        recent = ", ".join(r["id"] for r in store.list_runs(5)) or "none"
        raise BenchError(run_id, f"no such run in {store.path}", f"recent runs: {recent}")
    return {m["model"]: m for m in store.run_models(run_id)}


def _memory(info: dict[str, Any]) -> float:
    """The model's memory in MB: peak minus baseline when both are known, else the peak (as Results)."""
    peak, baseline = info.get("peak_rss_bytes"), info.get("baseline_rss_bytes")
    if peak is None:
        return float("nan")
    return (float(peak) - float(baseline or 0.0)) / 1e6


def _values(frame: pd.DataFrame, column: str) -> Values:
    if frame.empty or column not in frame:
        return np.empty(0), None
    values = frame[column].to_numpy(dtype=float)
    return values, frame["prompt_id"].to_numpy() if "prompt_id" in frame else None


def _speed_row(model: str, metric: str, a: Values, b: Values, seed: int) -> MetricChange | None:
    spec = METRICS[metric]
    n_a, n_b = int(np.isfinite(a[0]).sum()), int(np.isfinite(b[0]).sum())
    if n_a == 0 and n_b == 0:
        return None  # measured in neither run (e.g. TTFT without streaming)
    if n_b == 0:
        return without(model, metric, spec, NO_VALUE_NEW, np.nan, np.nan, (n_a, 0))
    if n_a == 0:
        return without(model, metric, spec, NO_VALUE_BASE, np.nan, np.nan, (0, n_b))
    row = metric_change(model, metric, a[0], b[0], seed, base_groups=a[1], new_groups=b[1])
    return row or without(model, metric, spec, TOO_FEW, np.nan, np.nan, (n_a, n_b))


def _rate_rows(model: str, fa: pd.DataFrame, fb: pd.DataFrame) -> list[MetricChange]:
    ra, rb = aggregates.outcome_rates(fa), aggregates.outcome_rates(fb)
    rows = []
    for metric, count, denominator in (
        ("errors", "errors", "requests"),
        ("truncated", "truncated", "ok_measured"),
    ):
        ch = bootstrap.proportion_change(ra[count], ra[denominator], rb[count], rb[denominator])
        if ch is not None:
            rows.append(from_change(model, metric, ch, METRICS[metric]))
    return rows


def _single_row(model: str, metric: str, a: dict[str, Any], b: dict[str, Any]) -> MetricChange | None:
    if metric == "memory":
        return metric_change(model, metric, [_memory(a)], [_memory(b)])
    va, vb = a.get("load_seconds"), b.get("load_seconds")
    return None if va is None or vb is None else metric_change(model, metric, [va], [vb])


def model_rows(
    model: str, frames: tuple[pd.DataFrame, pd.DataFrame], infos: tuple[dict, dict], seed: int
) -> list[MetricChange]:
    """Every metric of one model present in both runs."""
    fa, fb = frames
    ma, mb = aggregates.measured(fa), aggregates.measured(fb)
    rows: list[MetricChange | None] = []
    for metric, spec in METRICS.items():
        if spec[3] == "single":
            rows.append(_single_row(model, metric, *infos))
        elif spec[3] != "rate":
            rows.append(_speed_row(model, metric, _values(ma, spec[2]), _values(mb, spec[2]), seed))
    rows += _rate_rows(model, fa, fb)
    return [r for r in rows if r is not None]


def _of(frame: pd.DataFrame, model: str) -> pd.DataFrame:
    return frame[frame["model"] == model] if len(frame) else frame


def _differences(store: Store, base_run: str, new_run: str) -> list[str]:
    runs = [store.get_run(base_run), store.get_run(new_run)]
    models = [*store.run_models(base_run), *store.run_models(new_run)]
    labels = {base_run: f"base {base_run}", new_run: f"new {new_run}"}
    return comparability.compare_runs([r for r in runs if r], models, labels).lines()


def compare_runs(
    store: Store,
    base_run: str,
    new_run: str,
    quality: bool = True,
    seed: int = 0,
    accept_differences: bool = False,
) -> Comparison:
    """Every metric of every model present in both runs (verdicts only when the runs are comparable)."""
    models_a, models_b = _run_models(store, base_run), _run_models(store, new_run)
    frame_a, frame_b = _frame(store, base_run), _frame(store, new_run)
    out = Comparison(
        base_run, new_run, base_machine=_machine(store, base_run), new_machine=_machine(store, new_run),
        differences=_differences(store, base_run, new_run), accepted=accept_differences,
    )  # fmt: skip
    out.only_base = [m for m in models_a if m not in models_b]
    out.only_new = [m for m in models_b if m not in models_a]
    both = [m for m in models_a if m in models_b]
    for model in both:
        frames = (_of(frame_a, model), _of(frame_b, model))
        out.rows += model_rows(model, frames, (models_a[model], models_b[model]), seed)
    if quality:
        out.rows += _quality_rows(store, base_run, new_run, both, seed)
    if not out.comparable:
        for row in out.rows:
            if row.verdict in (BETTER, WORSE, SAME):
                row.verdict = NOT_COMPARABLE
    return out


def _quality_change(model: str, metric: str, a: pd.DataFrame, b: pd.DataFrame, source: str, seed: int):
    """Pass rates (every score in 0..1) as proportions in points; other scales as a percent, by prompt."""
    if a.empty and b.empty:
        return None
    spec = (f"Quality by {source}", "score", "", "mean", True)
    both = pd.concat([a["score"], b["score"]])
    if both.between(0, 1).all():
        spec = (f"Quality by {source} (pass rate)", "pp", "", "rate", True)
        ch = bootstrap.proportion_change(float(a["score"].sum()), len(a), float(b["score"].sum()), len(b))
        return None if ch is None else from_change(model, metric, ch, spec)
    if b.empty:
        return without(model, metric, spec, NO_VALUE_NEW, np.nan, np.nan, (len(a), 0))
    row = metric_change(
        model, metric, a["score"], b["score"], seed, spec,
        base_groups=a["prompt_id"].to_numpy(), new_groups=b["prompt_id"].to_numpy(),
    )  # fmt: skip
    return row or without(model, metric, spec, TOO_FEW, np.nan, np.nan, (len(a), len(b)))


def _quality_rows(
    store: Store, base_run: str, new_run: str, models: Sequence[str], seed: int
) -> list[MetricChange]:
    """Per source with item-level scores: the change over items (prompts as units), never mixing sources."""
    from bench.quality import scored_items

    rows = []
    for source in scored_items.sources(store, [base_run, new_run]):
        items = scored_items.items(store, [base_run, new_run], source)
        if items is None or items.empty:
            continue
        for model in models:
            mine = items[items["model"] == model]
            a, b = mine[mine["run_id"] == base_run], mine[mine["run_id"] == new_run]
            row = _quality_change(model, QUALITY_PREFIX + source, a, b, source, seed)
            if row:
                rows.append(row)
    return rows


# ---- run-to-run noise (issue 16 item 6): a note per row; the verdict stays the interval's -----------
def noise_notes(store: Store, comparison: Comparison) -> dict[tuple[str, str], str]:
    """``{(model, metric): note}`` for the speed rows when the base or new run belongs to a
    ``bench run --repeat`` group: how the change compares with the larger of the two groups'
    run-to-run CV of that statistic (:func:`bench.stats.run_noise.noise_note`). Empty when
    neither run was repeated: one run per side cannot show run-to-run noise."""
    from bench.stats import run_noise

    runs = store.list_runs(1000)
    groups = {tuple(run_noise.repeat_group_runs(runs, r)) for r in (comparison.base_run, comparison.new_run)}
    groups = {g for g in groups if len(g) >= 2}
    if not groups:
        return {}
    frames = [aggregates.samples_frame(store.samples(list(g))) for g in groups]
    noise: dict[tuple[str, str, str], run_noise.RunNoise] = {}
    for stat in ("mean", "p50", "p95"):
        for frame in frames:
            for n in run_noise.run_noise(frame, stat=stat):
                key = (n.model, n.metric, stat)
                if n.cv is not None and (key not in noise or (noise[key].cv or 0) < n.cv):
                    noise[key] = n
    notes = {}
    for row in comparison.rows:
        spec = METRICS.get(row.metric)
        if spec is None or spec[3] not in ("mean", "p50", "p95"):
            continue
        note = run_noise.noise_note(noise.values(), row.model, spec[2], row.pct, spec[3])
        if note:
            notes[(row.model, row.metric)] = note
    return notes
