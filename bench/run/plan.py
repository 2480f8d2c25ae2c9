"""The plan of a run and what its subscribers are told: the steps in execution order, progress events, the ETA.

Kept apart from :mod:`bench.run.runner` (which executes the plan) so the runner stays one idea.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.inputs.config import PromptItem, PromptSet, RunSettings


@dataclass(frozen=True)
class Step:
    """One request of the plan. Warm-up rounds are numbered -W..-1, measured rounds 0..N-1."""

    model: str
    prompt: PromptItem
    round: int

    @property
    def warmup(self) -> bool:
        return self.round < 0

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.model, self.prompt.id, self.round)


@dataclass
class Progress:
    """What subscribers are told after every step (and at model start/failure)."""

    run_id: str
    event: str  # run_started | model_loading | model_loaded | model_failed | sample | run_finished
    done: int
    total: int
    model: str = ""
    prompt_id: str = ""
    round: int = 0
    warmup: bool = False
    message: str = ""
    eta_s: float | None = None
    sample: dict[str, Any] | None = None
    status: str = ""

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


ProgressFn = Callable[[Progress], None]
TokenFn = Callable[[str, str, int, str], None]


def plan(settings: RunSettings, prompts: PromptSet) -> list[Step]:
    """Every request of the run, in execution order."""
    steps = []
    for model in settings.models:
        for rnd in range(-settings.warmup, settings.rounds):
            steps.extend(Step(model, prompt, rnd) for prompt in prompts.prompts)
    return steps


@dataclass
class Clock:
    """Estimates time left from the mean seconds per request so far."""

    started: float = field(default_factory=time.perf_counter)
    requests: int = 0

    def tick(self) -> None:
        self.requests += 1

    def eta(self, remaining: int) -> float | None:
        if not self.requests:
            return None
        return (time.perf_counter() - self.started) / self.requests * remaining
