"""A candidate of a decision: one (run, model) with its raw samples, not just its means.

Constraints and the ranking both need the samples behind every number (to draw intervals and to
resample), so a candidate carries the warm per-request values, the quality items per score source,
and its single measurements (memory, size on disk) with where they came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench.bootstrap import clean


@dataclass
class Candidate:
    """One (run, model) that may be recommended."""

    name: str  # the series name shown everywhere (unique across runs)
    model: str = ""
    run_id: str = ""
    e2e: np.ndarray = field(default_factory=lambda: np.empty(0))  # warm e2e seconds, one per request
    ttft: np.ndarray = field(default_factory=lambda: np.empty(0))  # warm TTFT seconds (streaming only)
    decode_tps: np.ndarray = field(default_factory=lambda: np.empty(0))
    memory: float = float("nan")  # bytes
    memory_basis: str = ""
    memory_comparable: bool = True
    size: float = float("nan")  # bytes on disk
    #: score source -> one value per item (run, model, prompt, aspect), never mixed across sources
    quality: dict[str, np.ndarray] = field(default_factory=dict)
    license: str | None = None
    tags: list[str] | None = None  # None = unknown (no model list said)

    def __post_init__(self) -> None:
        self.model = self.model or self.name
        self.e2e, self.ttft, self.decode_tps = clean(self.e2e), clean(self.ttft), clean(self.decode_tps)
        self.quality = {k: clean(v) for k, v in self.quality.items()}

    def samples(self, metric: str) -> np.ndarray:
        """The per-request values of ``e2e``, ``ttft`` or ``decode_tps``."""
        return {"e2e": self.e2e, "ttft": self.ttft, "decode_tps": self.decode_tps}[metric]


@dataclass(frozen=True)
class ModelInfo:
    """What a model list says about a model: its license and capability tags (None = not said)."""

    license: str | None = None
    tags: list[str] | None = None


def warm_samples(samples: Any, run_id: str, model: str) -> Any:
    """The requests statistics use: not warm-up, successful, not the cold first request."""
    if samples.empty:
        return samples
    mask = (samples["run_id"] == run_id) & (samples["model"] == model)
    return samples[mask & (~samples["warmup"]) & samples["ok"] & (~samples["cold"])]


def from_results(
    results: Any, store: Any = None, info: Mapping[str, ModelInfo] | None = None
) -> list[Candidate]:
    """One candidate per (run, model) of :class:`bench.results.Results` that finished with warm requests.

    Quality items come per source through :mod:`bench.quality_items` (a source that cannot list its
    items is left out of the resampling); ``info`` adds licenses and tags from a model list.
    """
    from bench import quality_items

    info = info or {}
    items: dict[str, Any] = {}
    if store is not None:
        for source in results.source_names:
            frame = quality_items.items(store, list(results.run_ids), source)
            if frame is not None:
                items[source] = frame
    out = []
    for m in results.models:
        if not m.candidate:
            continue
        warm = warm_samples(results.samples, m.run_id, m.model)
        quality = {
            source: frame[(frame["run_id"] == m.run_id) & (frame["model"] == m.model)]["score"].to_numpy(
                float
            )
            for source, frame in items.items()
        }
        meta = info.get(m.model, ModelInfo())
        out.append(
            Candidate(
                name=m.series,
                model=m.model,
                run_id=m.run_id,
                e2e=warm["e2e_s"].to_numpy(float),
                ttft=warm["ttft_s"].to_numpy(float),
                decode_tps=warm["decode_tps"].to_numpy(float),
                memory=float("nan") if m.memory_bytes is None else float(m.memory_bytes),
                memory_basis=m.memory_basis,
                memory_comparable=m.memory_comparable,
                size=float("nan") if m.size_bytes is None else float(m.size_bytes),
                quality={k: v for k, v in quality.items() if v.size},
                license=meta.license,
                tags=meta.tags,
            )
        )
    return out


def info_from_model_list(path: str) -> dict[str, ModelInfo]:
    """Licenses and capability tags from a models.json (the workshop's format works)."""
    from bench.config import load_model_list

    return {
        spec.name: ModelInfo(getattr(spec, "license", None), list(spec.capabilities))
        for spec in load_model_list(path).models
    }
