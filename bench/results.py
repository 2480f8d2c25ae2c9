"""The results layer: what every output (Results, Decide, Compare, the reports) reads about runs.

One function, :func:`load_results`, loads a set of runs once and returns typed per-(run, model)
rows, so the join of a run's model rows with the statistics, the memory definition and the series
names live here and nowhere else:

- **statistics** are :func:`bench.stats.aggregates.model_summary` (warm, successful requests; ``n`` and the
  low-n flags with every metric), and the **outcomes** it counts: ``error_rate`` and ``truncation_rate``
  with their Wilson intervals (``_low``/``_high``) and counts (``errors`` of ``requests``, ``truncated`` of
  ``ok_measured``), ``n_decode_burst`` (decode rates left out as chunk bursts);
- **memory** has one definition: the peak resident set minus the baseline before the load when both
  are known (``memory_basis`` says "added by the model"), else the peak alone ("process peak (no
  baseline)"); it is *not comparable* across models when the run marked it so
  (``run_models.memory_comparable = 0``, with ``memory_note``) or when the server is remote;
- **quality** comes only through :mod:`bench.quality.summary` (the score sources' typed summary), one
  entry per score source, never mixed, keyed by (run, model): two runs of one model never pool their
  scored items; each entry carries its aspects, its validated label with the reason and, for a judge,
  its parse rate;
- **energy and cost** are :func:`bench.stats.energy_cost_load.energy_and_cost` (the reports' numbers): joules
  per output token over successful, non-warm-up requests with a reading, and a cost *estimate* per
  1,000 output tokens from the prices in the environment;
- the **machine** is :func:`bench.measure.machine.of_run` (the fingerprint the run recorded);
- the **series** name tells runs apart: ``model`` for one run, ``model · 184653-3fa2`` for several.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import pandas as pd

from bench.errors import BenchError
from bench.measure import machine
from bench.measure.energy import NO_SENSOR
from bench.quality.score_sources import SourceInfo
from bench.quality.summary import QualitySummary, RunsQuality, SourceScore, load_quality
from bench.stats import aggregates, energy_cost_load, workload_stats
from bench.store.store import Store
from bench.units import is_missing

MEMORY_ADDED = "added by the model (peak - baseline RSS)"
MEMORY_PEAK = "process peak (no baseline)"
MEMORY_REMOTE = "unavailable (remote server)"

DEFINITIONS = """\
- **e2e**: request sent -> last event. **TTFT**: -> first generated token (reasoning or content); a role-only
  or empty chunk is not a token. Not measurable without streaming (shown as n/a).
- **Decode tok/s** = (output tokens - 1) / (e2e - TTFT). **TPOT** is its inverse. **Prefill tok/s** = prompt tokens / TTFT.
- **Output tokens** come from the server's `usage` when given, else its own timings, else the model's tokenizer,
  else a chunk count (approximate); the source is listed per model.
- Warm-up requests are stored but excluded. The first request after a model load (**cold**) is shown apart.
- **Memory** is the peak resident set of the process running the model minus its resident set before the load
  (in-process: SLM Bench itself); without that baseline, the process peak. MB = 10^6 bytes.
- **Error rate** = (failed + incomplete) / measured requests; **cut by max tokens** = answers that ended with
  `finish_reason=length` / successful answers; both with Wilson 95% intervals. A decode rate from a burst of
  buffered chunks is left out of decode tok/s (counted in "decode bursts left out").
- Intervals take the **prompt** as the unit (prompts resampled with all their rounds); n reads prompts × rounds.
- Full definitions: `docs/metrics.md`.
"""

_RUN_ID = re.compile(r"^\d{8}-(\d{6})-([0-9a-f]{4})$")


# ---- series names --------------------------------------------------------------------------------
def run_short(run_id: str) -> str:
    """``20261122-184653-3fa2`` -> ``184653-3fa2`` (enough to tell runs apart in a legend)."""
    match = _RUN_ID.match(str(run_id))
    return f"{match.group(1)}-{match.group(2)}" if match else str(run_id)


def series_name(model: str, run_id: str, several_runs: bool) -> str:
    """The label of one (run, model) in charts and tables: unique when several runs are shown."""
    return f"{model} · {run_short(run_id)}" if several_runs else str(model)


# ---- typed rows ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Memory:
    """The memory of one (run, model) with how it was measured (see the module docstring)."""

    bytes: float | None
    basis: str
    comparable: bool
    note: str = ""


@dataclass(frozen=True)
class ModelResult:
    """Everything the outputs show about one model in one run."""

    run_id: str
    model: str
    series: str
    order: int
    status: str
    error: str | None
    backend: str
    transport: str
    model_id: str | None
    execution_provider: str | None
    size_bytes: float | None
    load_seconds: float | None
    peak_rss_bytes: float | None
    baseline_rss_bytes: float | None
    rss_source: str | None
    memory_bytes: float | None
    memory_basis: str
    memory_comparable: bool
    memory_note: str
    #: the :func:`bench.stats.aggregates.model_summary` columns (``e2e_s_p95``, ``e2e_s_n``, ``e2e_s_low_n``...)
    stats: Mapping[str, Any] = field(default_factory=dict)
    #: a :class:`QualitySummary`: score source (``people``, ``judge:<model>``...) -> its quality here
    quality: Mapping[str, SourceScore] = field(default_factory=dict)
    #: the machine the run ran on (:mod:`bench.measure.machine`): an id to group by, a label to read
    machine_id: str = ""
    machine: str = ""
    #: joules per output token and per request (None: "n/a: no energy sensor"), with n and source
    energy_j_per_token: float | None = None
    energy_j_per_request: float | None = None
    energy_n: int = 0
    energy_source: str = NO_SENSOR
    #: an estimate per 1,000 output tokens from the prices the user set; ``cost_basis`` says how
    cost_per_1k_tokens: float | None = None
    cost_basis: str = ""

    def stat(self, column: str) -> Any:
        """One summary value, ``None`` when it was not measured."""
        value = self.stats.get(column)
        return None if is_missing(value) else value

    def rate_words(self, name: str) -> str:
        """``error_rate`` or ``truncation_rate`` as ``3.0% (1.0–8.5%, n=100)`` (Wilson 95%), or ``n/a``."""
        value = self.stat(name)
        if value is None:
            return "n/a"
        n = self.stat("requests" if name == "error_rate" else "ok_measured")
        low, high = self.stat(f"{name}_low"), self.stat(f"{name}_high")
        return f"{value:.1%} ({low:.1%}–{high:.1%}, n={int(n or 0)})"

    @property
    def n(self) -> int:
        """Warm, successful requests behind the statistics."""
        return int(self.stat("n") or 0)

    @property
    def token_source(self) -> str:
        return str(self.stat("token_source") or "")

    @property
    def cold_e2e_s(self) -> float | None:
        return self.stat("cold_e2e_s")

    @property
    def candidate(self) -> bool:
        """Finished, with at least one warm measured request: what Decide can rank."""
        return self.status == "done" and self.n >= 1

    def as_row(self) -> dict[str, Any]:
        """A flat dict: the fields, then every statistic (``run_id``/``model`` not repeated)."""
        row = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("stats", "quality")}
        stats = {k: v for k, v in self.stats.items() if k not in row}
        return {**row, **stats}


@dataclass(frozen=True)
class Results:
    """A set of runs, loaded once: runs, per-(run, model) rows, samples, quality per source."""

    run_ids: tuple[str, ...]
    runs: list[dict[str, Any]]
    models: list[ModelResult]
    #: one row per request (:func:`bench.stats.aggregates.samples_frame`) plus its ``series``
    samples: pd.DataFrame
    #: :func:`bench.stats.aggregates.model_summary` plus ``series``
    summary: pd.DataFrame
    #: every score source's quality of these runs (:mod:`bench.quality.summary`), loaded once
    quality: RunsQuality = field(default_factory=RunsQuality)
    #: ``"run_id/model"`` -> energy and cost (:func:`bench.stats.energy_cost_load.energy_and_cost`), read once
    energy: Mapping[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def sources(self) -> list[SourceInfo]:
        """Score sources with scores in these runs, people first."""
        return self.quality.sources

    @property
    def quality_tables(self) -> Mapping[str, pd.DataFrame]:
        """Source -> per (run_id, model, aspect) table (:data:`bench.quality.score_sources.TABLE_COLUMNS`)."""
        return self.quality.tables

    def quality_for(self, run_id: str, model: str) -> QualitySummary:
        """Every source's quality of one (run, model) (empty when none scored it)."""
        return self.quality.of(run_id, model)

    @property
    def several_runs(self) -> bool:
        return len(self.run_ids) > 1

    @property
    def domain(self) -> list[str]:
        """Every series in model order: the shared colour domain of the charts."""
        seen = dict.fromkeys(m.series for m in self.models)
        if not self.samples.empty:  # unique() first: iterating 10,000 Arrow strings cost each chart 6 ms
            seen.update(dict.fromkeys(self.samples["series"].unique()))
        return [str(s) for s in seen]

    @property
    def source_names(self) -> list[str]:
        return [s.name for s in self.sources]

    def get(self, run_id: str, model: str) -> ModelResult | None:
        return next((m for m in self.models if m.run_id == run_id and m.model == model), None)

    def table(self) -> pd.DataFrame:
        """One flat row per (run, model) (:meth:`ModelResult.as_row`), in model order."""
        return pd.DataFrame([m.as_row() for m in self.models])


# ---- loading -------------------------------------------------------------------------------------
def load_samples(store: Store, run_ids: Sequence[str]) -> pd.DataFrame:
    """Only :attr:`Results.samples` (the same frame): the CSV needs no aggregates, quality or energy."""
    ids = list(dict.fromkeys(run_ids))
    runs = [_run(store, run_id) for run_id in ids]
    samples = with_series(aggregates.samples_frame(store.samples(ids)), len(ids) > 1)
    return workload_stats.annotate(samples, runs)


def load_results(store: Store, run_ids: Sequence[str]) -> Results:
    """Load ``run_ids`` (in the order given); an unknown id raises a :class:`BenchError` naming it."""
    ids = list(dict.fromkeys(run_ids))
    runs = [_run(store, run_id) for run_id in ids]
    several = len(ids) > 1
    raw = store.samples(ids)
    samples = with_series(aggregates.samples_frame(raw), several)
    samples = workload_stats.annotate(samples, runs)  # workload, prompt_set, turn of each sample
    summary = with_series(aggregates.model_summary(samples), several)
    summary = workload_stats.with_long_ttft(summary, samples)  # TTFT p95 at >= 4k prompt tokens, for Decide
    quality = load_quality(store, ids)
    stats = {(r["run_id"], r["model"]): r for r in summary.to_dict("records")} if not summary.empty else {}
    per_run = {run["id"]: _in_settings_order(run, store.run_models(run["id"])) for run in runs}
    energy = energy_cost_load.energy_and_cost(store, list(per_run), raw)
    extra = _extras(runs, per_run, energy)
    run_models = [m for run in runs for m in per_run[run["id"]]]
    models = [
        _model_result(order, m, several, stats.get((m["run_id"], m["model"]), {}), quality)
        for order, m in enumerate(run_models)
    ]
    models = [replace(m, **extra.get((m.run_id, m.model), extra[m.run_id])) for m in models]
    return Results(tuple(ids), runs, models, samples, summary, quality, energy)


def _extras(
    runs: list[dict[str, Any]],
    per_run: Mapping[str, list[dict[str, Any]]],
    found: Mapping[str, dict[str, Any]],
) -> dict[Any, dict[str, Any]]:
    """Machine columns per run id, plus energy and cost per (run id, model) (``found``, from samples read once)."""
    out: dict[Any, dict[str, Any]] = {}
    for run in runs:
        cols = machine.machine_columns(machine.of_run(run, per_run[run["id"]]))
        out[run["id"]] = {"machine_id": str(cols["machine_id"] or ""), "machine": str(cols["machine"] or "")}
    for run_id, models in per_run.items():
        for m in models:
            e = found.get(f"{run_id}/{m['model']}")
            if e:
                out[(run_id, m["model"])] = {
                    **out[run_id],
                    "energy_j_per_token": e["per_token_j"],
                    "energy_j_per_request": e["per_request_j"],
                    "energy_n": int(e["n"]),
                    "energy_source": str(e["source"]),
                    "cost_per_1k_tokens": e["cost_per_1k_tokens"],
                    "cost_basis": str(e["cost_basis"]),
                }
    return out


def _run(store: Store, run_id: str) -> dict[str, Any]:
    run = store.get_run(run_id)
    if run is None:
        recent = ", ".join(r["id"] for r in store.list_runs(5)) or "none"
        raise BenchError(run_id, f"no such run in {store.path}", f"recent runs: {recent}")
    return run


def _in_settings_order(run: Mapping[str, Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A run's model rows in the order its settings list the models (others after, by name)."""
    wanted = list((run.get("settings") or {}).get("models") or [])
    rank = {name: i for i, name in enumerate(wanted)}
    return sorted(rows, key=lambda m: (rank.get(m["model"], len(rank)), str(m["model"])))


def with_series(frame: pd.DataFrame, several: bool) -> pd.DataFrame:
    """A copy of ``frame`` (with ``run_id`` and ``model``) plus the ``series`` column charts colour by."""
    if frame.empty:
        return frame.assign(series=pd.Series(dtype=str))
    out = frame.copy()
    models, runs = out["model"].tolist(), out["run_id"].tolist()  # not Arrow strings one at a time
    out["series"] = [series_name(m, r, several) for m, r in zip(models, runs, strict=True)]
    return out


def _number(value: Any) -> float | None:
    return None if is_missing(value) else float(value)


def memory_of(row: Mapping[str, Any]) -> Memory:
    """The one memory definition, from a ``run_models`` row (new columns read with ``.get``)."""
    peak, base = _number(row.get("peak_rss_bytes")), _number(row.get("baseline_rss_bytes"))
    source = str(row.get("rss_source") or "")
    note = str(row.get("memory_note") or "")
    flagged = row.get("memory_comparable")
    comparable = not (not is_missing(flagged) and int(flagged) == 0)
    if source.startswith("unavailable"):
        return Memory(
            None, MEMORY_REMOTE, False, note or "the server runs elsewhere: its memory is not visible"
        )
    if peak is None:
        return Memory(None, "", False, note)
    if base is not None:
        return Memory(max(peak - base, 0.0), MEMORY_ADDED, comparable, note)
    return Memory(peak, MEMORY_PEAK, comparable, note)


def _model_result(
    order: int,
    m: Mapping[str, Any],
    several: bool,
    stats: Mapping[str, Any],
    quality: RunsQuality,
) -> ModelResult:
    memory = memory_of(m)
    stats = {k: v for k, v in stats.items() if k not in ("run_id", "model", "series")}
    return ModelResult(
        run_id=m["run_id"],
        model=m["model"],
        series=series_name(m["model"], m["run_id"], several),
        order=order,
        status=m.get("status") or "",
        error=m.get("error"),
        backend=m.get("backend") or "",
        transport=stats.get("transport") or m.get("transport") or "",
        model_id=m.get("model_id"),
        execution_provider=m.get("execution_provider"),
        size_bytes=_number(m.get("size_bytes")),
        load_seconds=_number(m.get("load_seconds")),
        peak_rss_bytes=_number(m.get("peak_rss_bytes")),
        baseline_rss_bytes=_number(m.get("baseline_rss_bytes")),
        rss_source=m.get("rss_source"),
        memory_bytes=memory.bytes,
        memory_basis=memory.basis,
        memory_comparable=memory.comparable,
        memory_note=memory.note,
        stats=stats,
        quality=quality.of(m["run_id"], m["model"]),
    )
