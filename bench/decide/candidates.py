"""A candidate of a decision: one (run, model) with its raw samples, not just its means.

Constraints and the ranking both need the samples behind every number (to draw intervals and to
resample), so a candidate carries the measured per-request values with the prompt each came from
(the prompt is the unit of resampling), its outcomes (one 0/1 per counted request: failed or
incomplete; one per successful answer: cut by the token limit), the quality items per score source,
and its single measurements (memory, size on disk) with where they came from.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bench.decide import workload_pass
from bench.decide.workload_pass import WorkloadScore, criterion, scores
from bench.stats.aggregates import measured
from bench.stats.bootstrap import clean
from bench.stats.workload_stats import long_ttft


@dataclass
class Candidate:
    """One (run, model) that may be recommended."""

    name: str  # the series name shown everywhere (unique across runs)
    model: str = ""
    run_id: str = ""
    e2e: np.ndarray = field(default_factory=lambda: np.empty(0))  # warm e2e seconds, one per request
    ttft: np.ndarray = field(default_factory=lambda: np.empty(0))  # warm TTFT seconds (streaming only)
    decode_tps: np.ndarray = field(default_factory=lambda: np.empty(0))
    #: warm TTFT of the requests with >= 4,000 prompt tokens (bench.stats.workload_stats.LONG_TOKENS)
    ttft_long: np.ndarray = field(default_factory=lambda: np.empty(0))
    #: the prompt of each ``ttft_long`` value
    long_prompt_ids: np.ndarray | None = None
    memory: float = float("nan")  # bytes
    memory_basis: str = ""
    memory_comparable: bool = True
    size: float = float("nan")  # bytes on disk
    #: score source -> one value per item (run, model, prompt, aspect), never mixed across sources
    quality: dict[str, np.ndarray] = field(default_factory=dict)
    license: str | None = None
    tags: list[str] | None = None  # None = unknown (no model list said)
    #: joules and output tokens of each request that had an energy reading (paired, same order)
    energy_j: np.ndarray = field(default_factory=lambda: np.empty(0))
    energy_tokens: np.ndarray = field(default_factory=lambda: np.empty(0))
    cost: float = float("nan")  # estimate per 1,000 output tokens (a price the user set)
    #: the prompt of each value of e2e/ttft/decode_tps as given (before missing values are dropped)
    prompt_ids: np.ndarray | None = None
    #: 1 = failed or incomplete, one per counted request (not warm-up, not cancelled); None = unknown
    failed: np.ndarray | None = None
    #: 1 = cut by the token limit, one per successful counted answer
    truncated: np.ndarray | None = None
    #: the prompt of each quality item, per source (same order as ``quality``)
    quality_prompts: dict[str, np.ndarray] = field(default_factory=dict)
    #: workload -> its checked answers (1 = every check passed) with their prompts, refusals and requests
    workloads: dict[str, WorkloadScore] = field(default_factory=dict)
    groups: dict[str, np.ndarray | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.model = self.model or self.name
        for metric in ("e2e", "ttft", "decode_tps"):
            raw = np.asarray(getattr(self, metric), dtype=float).ravel()
            ids = self.prompt_ids
            self.groups[metric] = (
                None if ids is None or len(ids) != raw.size else np.asarray(ids)[~np.isnan(raw)]
            )
            setattr(self, metric, clean(raw))
        long = np.asarray(self.ttft_long, dtype=float).ravel()
        ids = self.long_prompt_ids
        self.groups["ttft_long"] = (
            None if ids is None or len(ids) != long.size else np.asarray(ids)[~np.isnan(long)]
        )
        self.ttft_long = clean(long)
        for source, values in self.quality.items():
            raw = np.asarray(values, dtype=float).ravel()
            ids = self.quality_prompts.get(source)
            self.groups[f"quality:{source}"] = (
                None if ids is None or len(ids) != raw.size else np.asarray(ids)[~np.isnan(raw)]
            )
        self.quality = {k: clean(v) for k, v in self.quality.items()}
        for workload, score in self.workloads.items():
            ids = score.prompts
            self.groups[criterion(workload)] = (
                ids if ids is not None and len(ids) == score.passed.size else None
            )

    def energy_per_token(self) -> float:
        """Joules per output token: summed joules over summed tokens (NaN without a sensor)."""
        tokens = float(self.energy_tokens.sum())
        return float(self.energy_j.sum()) / tokens if self.energy_j.size and tokens > 0 else float("nan")

    def energy_draws(self, n_boot: int, rng: np.random.Generator) -> np.ndarray:
        """:meth:`energy_per_token` over ``n_boot`` resamples of the requests (joules and tokens together)."""
        if math.isnan(self.energy_per_token()):
            return np.full(n_boot, np.nan)
        idx = rng.integers(0, self.energy_j.size, size=(n_boot, self.energy_j.size))
        tokens = self.energy_tokens[idx].sum(axis=1)
        return np.where(tokens > 0, self.energy_j[idx].sum(axis=1) / np.where(tokens > 0, tokens, 1), np.nan)

    def samples(self, metric: str) -> np.ndarray:
        """The per-request values of ``e2e``, ``ttft`` or ``decode_tps``."""
        return {
            "e2e": self.e2e,
            "ttft": self.ttft,
            "decode_tps": self.decode_tps,
            "ttft_long": self.ttft_long,
        }[metric]

    def prompts_of(self, metric: str) -> np.ndarray | None:
        """The prompt of each value of ``metric`` (``e2e``..., ``quality:SOURCE`` or ``pass:WORKLOAD``); None = unknown."""
        return self.groups.get(metric)


@dataclass(frozen=True)
class ModelInfo:
    """What a model list says about a model: its license and capability tags (None = not said)."""

    license: str | None = None
    tags: list[str] | None = None


def warm_samples(samples: Any, run_id: str, model: str) -> Any:
    """The requests statistics use (:func:`bench.stats.aggregates.measured`, the one definition)."""
    if samples.empty:
        return samples
    return measured(samples[(samples["run_id"] == run_id) & (samples["model"] == model)])


def outcome_flags(samples: Any, run_id: str, model: str) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(failed or incomplete per counted request, cut by the token limit per successful answer)."""
    if samples.empty or "outcome" not in samples:
        return None, None
    mine = samples[(samples["run_id"] == run_id) & (samples["model"] == model) & ~samples["warmup"]]
    mine = mine[mine["outcome"] != "cancelled"]
    failed = mine["outcome"].isin(["failed", "incomplete"]).to_numpy(float)
    ok = mine[mine["outcome"] == "ok"]
    finish = ok["finish_reason"] if "finish_reason" in ok else pd.Series("", index=ok.index)
    return failed, (finish.fillna("") == "length").to_numpy(float)


def energy_samples(samples: Any, run_id: str, model: str) -> tuple[np.ndarray, np.ndarray]:
    """(joules, output tokens) of the requests with an energy reading: successful, not warm-up
    (the requests :func:`bench.measure.energy.joules_per_token` sums, so the ranking and the reports agree)."""
    if samples.empty or "energy_j" not in samples:
        return np.empty(0), np.empty(0)
    mine = samples[
        (samples["run_id"] == run_id) & (samples["model"] == model) & samples["ok"] & ~samples["warmup"]
    ]
    joules = pd.to_numeric(mine["energy_j"], errors="coerce")
    mine = mine[joules.notna()]
    tokens = pd.to_numeric(mine["output_tokens"], errors="coerce").fillna(0)
    return joules[joules.notna()].to_numpy(float), tokens.to_numpy(float)


def from_results(
    results: Any,
    store: Any = None,
    info: Mapping[str, ModelInfo] | None = None,
    workloads: Mapping[tuple[str, str], dict[str, WorkloadScore]] | None = None,
) -> list[Candidate]:
    """One candidate per (run, model) of :class:`bench.results.Results` that finished with warm requests.

    Quality items come per source through :mod:`bench.quality.scored_items` (a source that cannot list its
    items is left out of the resampling); ``info`` adds licenses and tags from a model list; ``workloads``
    is :func:`workload_scores` when the caller has it already (read here otherwise).
    """
    from bench.quality import scored_items

    info = info or {}
    items: dict[str, Any] = {}
    per_workload = workload_scores(results, store) if workloads is None else workloads
    if store is not None:
        for source in results.source_names:
            frame = scored_items.items(store, list(results.run_ids), source)
            if frame is not None:
                items[source] = frame
    out = []
    for m in results.models:
        if not m.candidate:
            continue
        warm = warm_samples(results.samples, m.run_id, m.model)
        mine = {s: f[(f["run_id"] == m.run_id) & (f["model"] == m.model)] for s, f in items.items()}
        quality = {source: frame["score"].to_numpy(float) for source, frame in mine.items()}
        failed, truncated = outcome_flags(results.samples, m.run_id, m.model)
        meta = info.get(m.model, ModelInfo())
        joules, tokens = energy_samples(results.samples, m.run_id, m.model)
        out.append(
            Candidate(
                name=m.series,
                model=m.model,
                run_id=m.run_id,
                e2e=warm["e2e_s"].to_numpy(float),
                ttft=warm["ttft_s"].to_numpy(float),
                decode_tps=warm["decode_tps"].to_numpy(float),
                ttft_long=long_ttft(warm)["ttft_s"].to_numpy(float),
                long_prompt_ids=long_ttft(warm)["prompt_id"].to_numpy(),
                memory=float("nan") if m.memory_bytes is None else float(m.memory_bytes),
                memory_basis=m.memory_basis,
                memory_comparable=m.memory_comparable,
                size=float("nan") if m.size_bytes is None else float(m.size_bytes),
                quality={k: v for k, v in quality.items() if v.size},
                quality_prompts={k: f["prompt_id"].to_numpy() for k, f in mine.items() if len(f)},
                prompt_ids=warm["prompt_id"].to_numpy() if "prompt_id" in warm else None,
                failed=failed,
                truncated=truncated,
                license=meta.license,
                tags=meta.tags,
                energy_j=joules,
                energy_tokens=tokens,
                cost=float("nan") if m.cost_per_1k_tokens is None else float(m.cost_per_1k_tokens),
                workloads=per_workload.get((m.run_id, m.model), {}),
            )
        )
    return out


def workload_scores(results: Any, store: Any = None) -> dict[tuple[str, str], dict[str, WorkloadScore]]:
    """Per (run, model) and workload the checked answers (:func:`bench.decide.workload_pass.scores`);
    without a store there are no check verdicts, so every workload run counts as not checked."""
    from bench.quality.checks import store as check_store

    if not workload_pass.present(results.samples):
        return {}  # no workload set in these runs: no check verdicts to read
    checks = check_store.frame(store, list(results.run_ids)) if store is not None else pd.DataFrame()
    return scores(results.samples, checks)


def info_from_model_list(path: str) -> dict[str, ModelInfo]:
    """Licenses and capability tags from a models.json (the workshop's format works)."""
    from bench.inputs.config import load_model_list

    return {
        spec.name: ModelInfo(getattr(spec, "license", None), list(spec.capabilities))
        for spec in load_model_list(path).models
    }
