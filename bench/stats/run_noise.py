"""Run-to-run noise: how much the same settings give between runs (thermal state, background load).

One run can never show it: its interval is about the requests inside it. ``bench run --repeat N``
makes N runs of the same settings that share a ``repeat`` group in their meta
(``{"group": ..., "index": i, "of": N}``); :func:`repeat_group_runs` finds them again.

Per model and metric, each run gives one value (by default the mean over its measured requests: ok,
not warm-up, not cold; or its p50 / p95, to match a Compare row on that statistic); the **coefficient of variation** (CV) of those run values, ``std (ddof=1) /
mean``, is the between-run spread. Bands as AIPerf's multi-run confidence report reads them: CV
below 5% **excellent**, 5-10% **good**, above that **noisy**. With fewer than two runs there is no
CV ("one run: no run-to-run spread").

Compare uses it through :func:`noise_note`: two runs of a metric whose runs vary by CV differ by
about ``sqrt(2) x CV`` from noise alone, so a change smaller than ``1.96 x sqrt(2) x CV`` is
within run-to-run noise (said per row; the verdict is the compare module's).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from bench.stats.aggregates import METRICS, measured

#: (upper CV bound, band) in order; above the last bound the runs are "noisy" (AIPerf's reading)
BANDS = ((0.05, "excellent"), (0.10, "good"))
NOISY = "noisy"
NOISE_METRICS = ("decode_tps", "e2e_s", "ttft_s")
#: a difference between two runs is within noise below this many CVs (1.96 x sqrt 2)
WITHIN_NOISE_CVS = 1.96 * math.sqrt(2)


def cv_band(cv: float | None) -> str:
    """``excellent`` (< 5%), ``good`` (5-10%), ``noisy`` (> 10%), or ``n/a`` without a CV."""
    if cv is None or not math.isfinite(cv):
        return "n/a"
    return next((band for bound, band in BANDS if cv < bound), NOISY)


@dataclass(frozen=True)
class RunNoise:
    """The between-run spread of one model's metric over a group of runs."""

    model: str
    metric: str
    run_ids: tuple[str, ...]
    run_values: tuple[float, ...]  # one value (``stat``) per run, in the order of run_ids
    requests: tuple[int, ...]  # measured requests behind each run value
    mean: float | None
    cv: float | None
    stat: str = "mean"

    @property
    def runs(self) -> int:
        return len(self.run_values)

    @property
    def band(self) -> str:
        return cv_band(self.cv)

    def sentence(self) -> str:
        label = METRICS.get(self.metric, (self.metric, ""))[0]
        if self.cv is None:
            return f"{self.model} · {label}: one run, no run-to-run spread (repeat with --repeat N)"
        return (
            f"{self.model} · {label}: CV {self.cv:.1%} between {self.runs} runs ({self.band}),"
            f" mean of the run {self.stat}s {self.mean:.4g}, requests per run {', '.join(map(str, self.requests))}"
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"runs": self.runs, "band": self.band, "sentence": self.sentence()}


def run_noise(
    frame: pd.DataFrame, metrics: Sequence[str] = NOISE_METRICS, stat: str = "mean"
) -> list[RunNoise]:
    """One :class:`RunNoise` per model and metric over every run in ``frame`` (a samples frame);
    ``stat`` is each run's value: ``mean``, ``p50`` or ``p95`` of its measured requests."""
    data = measured(frame)
    if data.empty:
        return []
    out = []
    for model, rows in data.groupby("model", sort=True):
        for metric in metrics:
            if metric in rows:
                out.append(_noise_of(str(model), metric, rows, stat))
    return out


def _run_value(values: pd.Series, stat: str) -> float:
    clean = values.dropna()
    if clean.empty:
        return float("nan")
    return float(clean.mean()) if stat == "mean" else float(np.percentile(clean, int(stat[1:])))


def _noise_of(model: str, metric: str, rows: pd.DataFrame, stat: str = "mean") -> RunNoise:
    grouped = rows.groupby("run_id", sort=True)[metric]
    per_run = pd.DataFrame({"value": grouped.agg(lambda v: _run_value(v, stat)), "count": grouped.count()})
    per_run = per_run[per_run["count"] > 0]
    values = per_run["value"].to_numpy(dtype=float)
    mean = float(values.mean()) if values.size else None
    cv = None
    if values.size >= 2 and mean:
        cv = float(values.std(ddof=1) / abs(mean))
    return RunNoise(
        model,
        metric,
        tuple(str(r) for r in per_run.index),
        tuple(float(v) for v in values),
        tuple(int(c) for c in per_run["count"]),
        mean,
        cv,
        stat,
    )


def repeat_group_runs(runs: Iterable[dict[str, Any]], run_id: str) -> list[str]:
    """Every run of ``run_id``'s repeat group (``meta.repeat.group``), in order; just ``[run_id]``
    when it was not repeated. ``runs`` are stored runs (``Store.list_runs`` / ``get_run`` dicts)."""
    runs = list(runs)
    own = next((r for r in runs if r["id"] == run_id), None)
    group = ((own or {}).get("meta") or {}).get("repeat", {}).get("group")
    if not group:
        return [run_id]
    members = [r for r in runs if ((r.get("meta") or {}).get("repeat") or {}).get("group") == group]
    members.sort(key=lambda r: ((r.get("meta") or {}).get("repeat") or {}).get("index", 0))
    return [r["id"] for r in members] or [run_id]


def noise_note(
    noise: Iterable[RunNoise], model: str, metric: str, change_pct: float | None, stat: str = "mean"
) -> str:
    """For one Compare row: how the change compares with the run-to-run noise, in words ("" when
    no noise was measured for it). ``change_pct`` is new/base - 1 in percent."""
    found = next(
        (n for n in noise if (n.model, n.metric, n.stat) == (model, metric, stat) and n.cv is not None), None
    )
    if found is None or found.cv is None:
        return ""
    limit = WITHIN_NOISE_CVS * found.cv * 100
    head = f"run-to-run CV {found.cv:.1%} over {found.runs} runs ({found.band})"
    if change_pct is None or not np.isfinite(change_pct):
        return head
    if abs(change_pct) <= limit:
        return f"{head}: a {change_pct:+.1f}% change is within run-to-run noise (±{limit:.1f}%)"
    return f"{head}: a {change_pct:+.1f}% change is beyond run-to-run noise (±{limit:.1f}%)"


# ---- in reports -------------------------------------------------------------------------------------
def group_noise(runs: Sequence[dict[str, Any]], samples: pd.DataFrame) -> dict[str, list[RunNoise]]:
    """``{repeat group: noise}`` for every repeat group with at least two runs among ``runs``."""
    groups: dict[str, list[str]] = {}
    for run in runs:
        group = ((run.get("meta") or {}).get("repeat") or {}).get("group")
        if group:
            groups.setdefault(str(group), []).append(str(run["id"]))
    out = {}
    for group, ids in groups.items():
        if len(ids) >= 2 and not samples.empty:
            out[group] = run_noise(samples[samples["run_id"].isin(ids)])
    return out


def markdown(runs: Sequence[dict[str, Any]], samples: pd.DataFrame) -> list[str]:
    """``## Run-to-run noise`` when the report holds two or more runs of one ``--repeat`` group."""
    from bench.escape import md_cell

    noise = group_noise(runs, samples)
    if not noise:
        return []
    lines = [
        "## Run-to-run noise",
        "",
        "| repeat group | model | metric | runs | run means | CV | band |",
        "|---|---|---|---:|---|---:|---|",
    ]
    for group, rows in noise.items():
        for n in rows:
            means = ", ".join(f"{v:.4g}" for v in n.run_values)
            cv = "n/a" if n.cv is None else f"{n.cv:.1%}"
            label = METRICS.get(n.metric, (n.metric, ""))[0]
            lines.append(
                f"| {md_cell(group)} | {md_cell(n.model)} | {label} | {n.runs} | {means} | {cv} | {n.band} |"
            )
    lines += [
        "",
        "One value per run (the mean of its measured requests); CV = standard deviation of the run values /"
        " their mean. Bands as AIPerf reads them: below 5% excellent, 5-10% good, above 10% noisy. A change"
        " between two runs smaller than 1.96 x sqrt(2) x CV is within run-to-run noise.",
        "",
    ]
    return lines


def as_json(runs: Sequence[dict[str, Any]], samples: pd.DataFrame) -> list[dict[str, Any]]:
    """The same rows for ``report.json`` (each with its group)."""
    return [n.to_dict() | {"group": g} for g, rows in group_noise(runs, samples).items() for n in rows]
