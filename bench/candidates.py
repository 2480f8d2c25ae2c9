"""A candidate of a decision: one (run, model) with its raw samples, not just its means.

Constraints and the ranking both need the samples behind every number (to draw intervals and to
resample), so a candidate carries the warm per-request values, the quality items per score source,
and its single measurements (memory, size on disk) with where they came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
