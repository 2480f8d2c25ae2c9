"""Run against run: per model and metric, the change with a 95% bootstrap interval and a verdict.

Two runs of the same models (before/after a runtime update, CPU vs GPU, laptop vs edge box) are
compared model by model on the warm, successful requests (warm-up and the cold first request left
out, as in every statistic). Each metric's change is ``new / base - 1`` in percent with a 95%
bootstrap interval (:func:`bench.stats.bootstrap.change`): **better** or **worse** only when the whole
interval lies on one side of zero, else **no detectable change**. A CI gate (``--fail-on
e2e_p95:10``) fails when a metric got worse by more than that percent with 95% confidence: the
whole interval lies beyond that percent on the worse side.

Memory compares the per-request peak resident set (minus the model's baseline when both runs have
one); load time is one measurement per run, so its change has no interval and no verdict.
Quality compares the scored items of each source (never mixing sources) when the source offers them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bench.errors import BenchError
from bench.measure import machine
from bench.stats import aggregates, bootstrap
from bench.store.store import Store

#: report metric name -> (label, unit, sample column, statistic, higher is better)
METRICS: dict[str, tuple[str, str, str, str, bool]] = {
    "decode_tps": ("Decode tok/s", "tok/s", "decode_tps", "mean", True),
    "ttft": ("TTFT (mean)", "s", "ttft_s", "mean", False),
    "e2e_p50": ("End-to-end p50", "s", "e2e_s", "p50", False),
    "e2e_p95": ("End-to-end p95", "s", "e2e_s", "p95", False),
    "memory": ("Memory (mean per-request peak)", "MB", "memory", "mean", False),
    "load_s": ("Load time", "s", "load_seconds", "single", False),
}
QUALITY_PREFIX = "quality:"
BETTER, WORSE, SAME, NO_INTERVAL = "better", "worse", "no detectable change", "one value each: no interval"


@dataclass
class MetricChange:
    """One model's change on one metric."""

    model: str
    metric: str
    label: str
    unit: str
    base: float
    new: float
    pct: float
    low: float
    high: float
    n_base: int
    n_new: int
    verdict: str
    higher_is_better: bool


@dataclass
class Comparison:
    """Every model in both runs x every metric, and the models present in one run only."""

    base_run: str
    new_run: str
    rows: list[MetricChange] = field(default_factory=list)
    only_base: list[str] = field(default_factory=list)
    only_new: list[str] = field(default_factory=list)
    #: where each run ran (``bench.measure.machine.label``), so a cross-machine comparison says so
    base_machine: str = ""
    new_machine: str = ""

    @property
    def machines_differ(self) -> bool:
        return bool(self.base_machine and self.new_machine and self.base_machine != self.new_machine)

    def machine_line(self) -> str:
        """One sentence on where the two runs ran."""
        if self.machines_differ:
            return (
                f"Different machines: base on {self.base_machine}, new on {self.new_machine}: a change mixes"
                " the machines' difference with the software's."
            )
        return f"Both runs on {self.base_machine or 'an unknown machine'}."

    def to_dict(self) -> dict[str, Any]:
        return {
            "base_run": self.base_run,
            "new_run": self.new_run,
            "base_machine": self.base_machine,
            "new_machine": self.new_machine,
            "only_in_base": self.only_base,
            "only_in_new": self.only_new,
            "changes": [{k: _clean(v) for k, v in asdict(r).items()} for r in self.rows],
        }


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else float(f"{value:.4g}")
    return value


# ---- one metric ----------------------------------------------------------------------------------
def verdict(change: bootstrap.Change, higher_is_better: bool) -> str:
    """better / worse only when the whole interval is on one side of zero."""
    if math.isnan(change.low):
        return NO_INTERVAL
    if change.low > 0:
        return BETTER if higher_is_better else WORSE
    if change.high < 0:
        return WORSE if higher_is_better else BETTER
    return SAME


def metric_change(
    model: str, metric: str, base: object, new: object, seed: int = 0, spec: tuple | None = None
) -> MetricChange | None:
    """The change of ``metric`` between two samples (or two single values for ``load_s``)."""
    label, unit, _, stat, higher = spec or METRICS[metric]
    if stat == "single":
        ch = bootstrap.single_change(float(np.asarray(base).ravel()[0]), float(np.asarray(new).ravel()[0]))
    else:
        ch = bootstrap.change(base, new, stat=stat, seed=seed)
    if ch is None:
        return None
    return MetricChange(
        model, metric, label, unit, ch.base, ch.new, ch.pct, ch.low, ch.high, ch.n_base, ch.n_new,
        verdict(ch, higher), higher,
    )  # fmt: skip


def worse_beyond(row: MetricChange, percent: float) -> bool:
    """True when the metric got worse by more than ``percent`` with 95% confidence."""
    if math.isnan(row.low):
        return False
    if row.higher_is_better:
        return row.high < -percent
    return row.low > percent


# ---- two stored runs -----------------------------------------------------------------------------
def _warm(store: Store, run_id: str) -> pd.DataFrame:
    frame = aggregates.samples_frame(store.samples([run_id]))
    if frame.empty:
        return frame
    return frame[(~frame["warmup"]) & frame["ok"] & (~frame["cold"])]


def _machine(store: Store, run_id: str) -> str:
    run = store.get_run(run_id)
    return machine.of_run(run, store.run_models(run_id)).get("label", "") if run else ""


def _run_models(store: Store, run_id: str) -> dict[str, dict[str, Any]]:
    if store.get_run(run_id) is None:
        recent = ", ".join(r["id"] for r in store.list_runs(5)) or "none"
        raise BenchError(run_id, f"no such run in {store.path}", f"recent runs: {recent}")
    return {m["model"]: m for m in store.run_models(run_id)}


def _memory(frame: pd.DataFrame, info: dict[str, Any], use_baseline: bool) -> np.ndarray:
    if "rss_peak_bytes" not in frame:
        return np.empty(0)
    peaks = pd.to_numeric(frame["rss_peak_bytes"], errors="coerce").to_numpy(dtype=float)
    if use_baseline:
        peaks = peaks - float(info["baseline_rss_bytes"])
    return peaks / 1e6


def _values(frame: pd.DataFrame, info: dict[str, Any], column: str, baseline: bool) -> np.ndarray:
    if column == "memory":
        return _memory(frame, info, baseline)
    if column == "load_seconds":
        value = info.get("load_seconds")
        return np.array([np.nan if value is None else float(value)])
    return frame[column].to_numpy(dtype=float) if column in frame else np.empty(0)


def compare_runs(
    store: Store, base_run: str, new_run: str, quality: bool = True, seed: int = 0
) -> Comparison:
    """Every metric of every model present in both runs."""
    models_a, models_b = _run_models(store, base_run), _run_models(store, new_run)
    warm_a, warm_b = _warm(store, base_run), _warm(store, new_run)
    out = Comparison(
        base_run, new_run, base_machine=_machine(store, base_run), new_machine=_machine(store, new_run)
    )
    out.only_base = [m for m in models_a if m not in models_b]
    out.only_new = [m for m in models_b if m not in models_a]
    both = [m for m in models_a if m in models_b]
    for model in both:
        fa = warm_a[warm_a["model"] == model] if len(warm_a) else warm_a
        fb = warm_b[warm_b["model"] == model] if len(warm_b) else warm_b
        baseline = all(models[model].get("baseline_rss_bytes") is not None for models in (models_a, models_b))
        for metric, spec in METRICS.items():
            column = spec[2]
            a = _values(fa, models_a[model], column, baseline)
            b = _values(fb, models_b[model], column, baseline)
            row = metric_change(model, metric, a, b, seed=seed)
            if row:
                out.rows.append(row)
    if quality:
        out.rows += _quality_rows(store, base_run, new_run, both, seed)
    return out


def _quality_rows(
    store: Store, base_run: str, new_run: str, models: Sequence[str], seed: int
) -> list[MetricChange]:
    """Per source with item-level scores in both runs: the change of the mean over items."""
    from bench.quality import scored_items

    rows = []
    for source in scored_items.sources(store, [base_run, new_run]):
        items = scored_items.items(store, [base_run, new_run], source)
        if items is None or items.empty:
            continue
        spec = (f"Quality by {source}", "score", "", "mean", True)
        for model in models:
            a = items[(items["run_id"] == base_run) & (items["model"] == model)]["score"]
            b = items[(items["run_id"] == new_run) & (items["model"] == model)]["score"]
            row = metric_change(model, QUALITY_PREFIX + source, a, b, seed=seed, spec=spec)
            if row:
                rows.append(row)
    return rows


# ---- the CI gate ---------------------------------------------------------------------------------
def parse_fail_on(texts: Sequence[str]) -> dict[str, float]:
    """``decode_tps:5`` -> {"decode_tps": 5.0}; an unknown metric or a bad percent names the fix."""
    known = [*METRICS, "quality:SOURCE"]
    out: dict[str, float] = {}
    for text in texts:
        metric, sep, raw = text.rpartition(":")
        if not sep or not metric:
            raise BenchError(f"--fail-on {text}", "expected METRIC:PERCENT", "e.g. --fail-on e2e_p95:10")
        if metric not in METRICS and not metric.startswith(QUALITY_PREFIX):
            raise BenchError(
                f"--fail-on {text}", f"unknown metric {metric!r}", f"use one of: {', '.join(known)}"
            )
        try:
            percent = float(raw.rstrip("%"))
        except ValueError:
            raise BenchError(
                f"--fail-on {text}", f"{raw!r} is not a percent", "e.g. --fail-on e2e_p95:10"
            ) from None
        if percent < 0:
            raise BenchError(
                f"--fail-on {text}", "the percent must be 0 or more", "e.g. --fail-on e2e_p95:10"
            )
        out[metric] = percent
    return out


def gate(comparison: Comparison, fail_on: dict[str, float]) -> list[str]:
    """The failures (one line each) of the ``--fail-on`` rules; empty = the gate passes."""
    failures = []
    for row in comparison.rows:
        if row.metric in fail_on and worse_beyond(row, fail_on[row.metric]):
            failures.append(
                f"{row.model}: {row.metric} {_pct(row.pct)} (95% interval {_pct(row.low)} to {_pct(row.high)})"
                f" is worse by more than {fail_on[row.metric]:g}%"
            )
    return failures


# ---- output --------------------------------------------------------------------------------------
def _pct(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:+.1f}%"


def _value(value: float, unit: str) -> str:
    if math.isnan(value):
        return "n/a"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.3g} s"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:.3g} {unit}" if unit != "score" else f"{value:.2f}"


def table_rows(comparison: Comparison) -> list[dict[str, str]]:
    """The rows as text, the same for the terminal table, Markdown and the app."""
    return [
        {
            "model": r.model,
            "metric": r.metric,
            "base": f"{_value(r.base, r.unit)} (n={r.n_base})",
            "new": f"{_value(r.new, r.unit)} (n={r.n_new})",
            "change": _pct(r.pct),
            "95% interval": "—" if math.isnan(r.low) else f"{_pct(r.low)} to {_pct(r.high)}",
            "verdict": r.verdict,
        }
        for r in comparison.rows
    ]


def markdown(comparison: Comparison, failures: Sequence[str] = ()) -> str:
    lines = [f"# Run {comparison.new_run} against {comparison.base_run}", "", comparison.machine_line(), ""]
    rows = table_rows(comparison)
    if rows:
        head = list(rows[0])
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r[h].replace("|", "/") for h in head) + " |" for r in rows]
    else:
        lines.append("No model is in both runs.")
    only = only_lines(comparison)
    lines += ["", *[f"- {line}" for line in only]] if only else []
    lines += ["", method_note()]
    if failures:
        lines += ["", "Gate failed:", "", *[f"- {f}" for f in failures]]
    return "\n".join(lines) + "\n"


def only_lines(comparison: Comparison) -> list[str]:
    """The models present in one run only, one sentence per run."""
    out = []
    if comparison.only_base:
        out.append(f"Only in the base run {comparison.base_run}: {', '.join(comparison.only_base)}")
    if comparison.only_new:
        out.append(f"Only in the new run {comparison.new_run}: {', '.join(comparison.only_new)}")
    return out


def method_note() -> str:
    return (
        "Change = new / base - 1 over warm requests (warm-up and cold requests excluded). The interval is a"
        f" 95% bootstrap ({bootstrap.N_BOOT} resamples, seeded, widened for small samples); a verdict needs the"
        " whole interval on one side of zero. Load time is one value per run: no interval."
    )


def to_json(comparison: Comparison, failures: Sequence[str] = ()) -> str:
    data = comparison.to_dict()
    data["gate_failures"] = list(failures)
    data["method"] = method_note()
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
