"""A load run, end to end: levels in ascending order per model, stored like any other run.

Each model gets its warm-up requests (stored, flagged, excluded), then one level after another.
After each level its requests go to ``samples`` (so Results, reports and Compare read them like any
run) and to ``load_requests`` (level, scheduled and sent times), and its statistics to
``load_levels``; the next level starts only after that, so the store never competes with the load.
The load stops rising at the first level where the server saturates. Energy, where the machine
has a sensor, is measured over each whole level (per-request joules mean nothing when requests
overlap) and reported per output token.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bench.errors import BenchError
from bench.inputs.config import PromptSet, RunSettings
from bench.load.engine import Engine, Level, Record, run_level
from bench.load.levels import (
    LevelResult,
    Slo,
    capacity,
    request_metrics,
    saturated,
    slo_dicts,
    summarize_level,
)
from bench.measure import energy, provenance
from bench.store.store import Store
from bench.units import fmt_rate, fmt_seconds

ProgressFn = Callable[[str], None]


class LoadSpec(BaseModel):
    """What a load run does; stored in the run's meta (``load``) so it can be read back."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    endpoint: str = Field(min_length=1)
    models: list[str] = Field(min_length=1)
    kind: Literal["concurrency", "rate"] = "concurrency"
    levels: list[float] = Field(min_length=1)
    duration_s: float | None = Field(default=None, gt=0)
    requests: int | None = Field(default=None, ge=1)
    slos: list[Slo] = Field(default_factory=list)
    max_error_rate: float = Field(default=0.01, ge=0, le=1)
    max_tokens: int = Field(default=128, ge=1, le=32768)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    seed: int = 42
    warmup: int = Field(default=1, ge=0, le=100)
    api_key_env: str | None = None
    #: False sends ``cache_prompt: false`` (llama.cpp), as ``bench run --prompt-cache off`` does
    prompt_cache: bool = True
    label: str = ""
    stop_at_saturation: bool = True

    @model_validator(mode="after")
    def _one_limit(self) -> LoadSpec:
        if (self.duration_s is None) == (self.requests is None):
            raise ValueError("give exactly one of --duration or --requests per level")
        return self

    def describe(self) -> dict[str, Any]:
        data = self.model_dump(exclude={"slos"})
        data["slos"] = slo_dicts(self.slos)
        return data


def run_load(
    store: Store, spec: LoadSpec, prompts: PromptSet, progress: ProgressFn | None = None
) -> dict[str, Any]:
    """Run every model at every level (until saturation); returns the run id and per-model results."""
    say = progress or (lambda _line: None)
    from bench.backends.keys import flag_key

    key = flag_key(spec.api_key_env, spec.endpoint)  # the person's own flags or form: the confirmation
    run_id = _create_run(store, spec, prompts)
    say(f"run {run_id}: {len(spec.models)} model(s) x {len(spec.levels)} level(s) against {spec.endpoint}")
    results: dict[str, Any] = {"run_id": run_id, "models": {}}
    status, error = "completed", None
    try:
        for model in spec.models:
            engine = Engine(
                spec.endpoint, model, prompts.prompts, spec.max_tokens, spec.temperature, spec.seed, key,
                prompt_cache=spec.prompt_cache,
            )  # fmt: skip
            results["models"][model] = _run_model(store, run_id, spec, engine, say)
    except BaseException as exc:
        status = "cancelled" if isinstance(exc, KeyboardInterrupt) else "failed"
        error = exc.message if isinstance(exc, BenchError) else f"{type(exc).__name__}: {exc}"
        store.set_run_status(run_id, status, error)
        raise
    store.set_run_status(run_id, status, error)
    return results


def _create_run(store: Store, spec: LoadSpec, prompts: PromptSet) -> str:
    settings = RunSettings(
        models=spec.models,
        rounds=1,
        warmup=spec.warmup,
        stream=True,
        max_tokens=spec.max_tokens,
        temperature=spec.temperature,
        seed=spec.seed,
        endpoint=spec.endpoint,
        api_key_env=spec.api_key_env,
        prompt_cache=spec.prompt_cache,
        label=spec.label or f"load {spec.kind} {','.join(f'{v:g}' for v in spec.levels)}",
    )
    meta = provenance.run_meta()
    meta["transport"] = "http"
    meta["load"] = spec.describe()
    return store.create_run(settings.model_dump(), prompts.model_dump(), meta, label=settings.label)


def _run_model(store: Store, run_id: str, spec: LoadSpec, engine: Engine, say: ProgressFn) -> dict[str, Any]:
    model = engine.model
    store.upsert_run_model(run_id, model, backend="openai", transport="http", status="running")
    if spec.warmup:
        records, _ = run_level(engine, Level("concurrency", 1), spec.warmup, None, spec.seed, first_index=0)
        _store_level(store, run_id, model, None, records, [request_metrics(r) for r in records], warmup=True)
        failed = [r.error for r in records if r.error]
        if len(failed) == len(records):
            store.upsert_run_model(run_id, model, status="failed", error=failed[0])
            say(f"{model}: warm-up failed: {failed[0]}")
            return {"levels": [], "capacity": {"level": None, "reason": f"warm-up failed: {failed[0]}"}}
    levels: list[LevelResult] = []
    stopped = ""
    next_index = 0
    meter = energy.default_meter()
    for position, value in enumerate(spec.levels):
        level = Level(spec.kind, value)
        say(f"{model} · {level.label}: running")
        with meter.measure() as joules:
            records, wall = run_level(
                engine, level, spec.requests, spec.duration_s, spec.seed + position, next_index,
                tick=_ticker(say, f"{model} · {level.label}"),
            )  # fmt: skip
        next_index += len(records)
        metrics = [request_metrics(r) for r in records]
        result = summarize_level(level, records, metrics, wall, spec.slos, spec.max_error_rate)
        tokens = result.output_tokens_per_s * result.wall_s
        extra = {"energy_j": joules.joules, "energy_source": joules.source}
        extra["energy_j_per_token"] = joules.joules / tokens if joules.joules is not None and tokens else None
        if levels and saturated(levels[-1], result):
            result.saturated = True
        levels.append(result)
        _store_level(store, run_id, model, (position, level, result, extra), records, metrics)
        say(_line(model, result))
        if result.saturated and spec.stop_at_saturation:
            stopped = f"stopped at {level.label}: throughput stopped growing while latency climbed"
            say(f"{model}: {stopped}")
            break
    store.upsert_run_model(run_id, model, status="done")
    return {"levels": [lv.to_dict() for lv in levels], "capacity": capacity(levels), "stopped": stopped}


def _ticker(say: ProgressFn, what: str) -> Callable[[int, int, float], None]:
    return lambda done, sent, t: say(f"{what}: {done} done, {sent - done} in flight, {t:.0f} s")


def _line(model: str, r: LevelResult) -> str:
    e2e = r.percentiles["e2e"].get("p95")
    ttft = r.percentiles["ttft"].get("p95")
    slo = "" if r.meets_slo is None else (" · meets SLOs" if r.meets_slo else " · misses SLOs")
    return (
        f"{model} · {r.level}: {fmt_rate(r.requests_per_s, 'req/s')}, {fmt_rate(r.output_tokens_per_s)},"
        f" ttft p95 {fmt_seconds(ttft)}, e2e p95 {fmt_seconds(e2e)}, errors {r.error_rate:.1%},"
        f" send lag p99 {fmt_seconds(_ms_to_s(r.lag_ms.get('p99')))} (n={r.requests}){slo}"
    )


def _ms_to_s(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000


def _store_level(
    store: Store,
    run_id: str,
    model: str,
    level_info: tuple[int, Level, LevelResult, dict[str, Any]] | None,
    records: list[Record],
    metrics: list[dict[str, Any]],
    warmup: bool = False,
) -> None:
    """One level's samples, request times and statistics (after the level, off the hot path)."""
    origin = min((r.scheduled_ns for r in records), default=0)
    level = level_info[1] if level_info else Level("concurrency", 1)
    for rec, m in zip(records, metrics, strict=True):
        m = dict(m)
        m.update(
            load_level=None if warmup else level.label,
            scheduled_s=(rec.scheduled_ns - origin) / 1e9,
            sent_s=(rec.sent_ns - origin) / 1e9,
            send_lag_s=rec.lag_s,
        )
        store.add_sample(
            {
                "run_id": run_id,
                "model": model,
                "prompt_id": rec.prompt_id,
                "round": -1 - rec.index if warmup else rec.index,
                "warmup": warmup,
                "cold": False,
                "outcome": rec.outcome,
                "error": rec.error,
                "stream": True,
                "transport": "http",
                "started_at": datetime.fromtimestamp(rec.started_at or 0, UTC).isoformat(
                    timespec="milliseconds"
                ),
                "metrics": m,
                "answer": "".join(e.text for e in rec.events if e.kind == "content"),
                "reasoning": "".join(e.text for e in rec.events if e.kind == "reasoning"),
                "server_timings": next((e.data for e in rec.events if e.kind == "server_timings"), None),
            }
        )
    if level_info is None:
        return
    position, level, result, extra = level_info
    with store.connect() as conn:
        conn.executemany(
            "INSERT INTO load_requests (run_id, model, prompt_id, round, level, level_kind, level_value,"
            " scheduled_s, sent_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (run_id, model, prompt_id, round) DO NOTHING",
            [
                (run_id, model, r.prompt_id, r.index, level.label, level.kind, level.value,
                 (r.scheduled_ns - origin) / 1e9, (r.sent_ns - origin) / 1e9)
                for r in records
            ],
        )  # fmt: skip
        conn.execute(
            "INSERT INTO load_levels (run_id, model, level, level_kind, level_value, position, summary_json)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, model, level) DO UPDATE SET"
            " summary_json = excluded.summary_json, position = excluded.position",
            (
                run_id,
                model,
                level.label,
                level.kind,
                level.value,
                position,
                json.dumps(result.to_dict() | extra),
            ),
        )


def load_results(store: Store, run_id: str) -> dict[str, list[dict[str, Any]]]:
    """``{model: [level summary, ...]}`` of a stored load run, levels in the order they ran."""
    with store.connect() as conn:
        rows = conn.execute(
            "SELECT model, summary_json FROM load_levels WHERE run_id = ? ORDER BY model, position",
            (run_id,),
        ).fetchall()
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row[0], []).append(json.loads(row[1]))
    return out


def load_run_ids(store: Store, limit: int = 50) -> list[str]:
    """Runs that hold load levels, newest first."""
    with store.connect() as conn:
        rows = conn.execute(
            "SELECT DISTINCT l.run_id, r.created_at FROM load_levels l JOIN runs r ON r.id = l.run_id"
            " ORDER BY r.created_at DESC LIMIT ?",
            (limit,),
        ).fetchall()
    return [r[0] for r in rows]


def capacity_of(levels: list[dict[str, Any]]) -> dict[str, Any]:
    """Capacity from stored level summaries (the same rule as during the run)."""
    return capacity(
        [
            LevelResult(**{k: v for k, v in lv.items() if k in LevelResult.__dataclass_fields__})
            for lv in levels
        ]
    )
