"""One request as it is stored: a typed :class:`Sample` instead of a dict whose keys become columns.

Every request ends in exactly one :data:`Outcome`:

- ``ok``: the answer ended normally (a finish reason, usage or ``[DONE]``); only these enter statistics
- ``failed``: no usable answer; ``error`` says why in words, ``http_status`` is the server's status
- ``incomplete``: the stream ended early (server died, connection reset); the partial answer is kept
- ``cancelled``: the user cancelled while it was in flight
- ``refused``: never sent, the model could not take it (:mod:`bench.run.refusal`): not its failure

``attempts`` counts the tries (retries for HTTP 429/503, connection errors and timeouts) and
``retry_log`` holds one line per try that did not count, so a reader sees what the server did.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Outcome = Literal["ok", "failed", "incomplete", "cancelled", "refused"]
OUTCOMES: tuple[Outcome, ...] = ("ok", "failed", "incomplete", "cancelled", "refused")


@dataclass(frozen=True)
class Attempt:
    """A try that did not count: why, the HTTP status, and how long the runner waited after it."""

    attempt: int
    error: str
    http_status: int | None = None
    waited_s: float = 0.0
    outcome: str = "failed"


@dataclass
class Sample:
    """One (model, prompt, round) request of a run, exactly as the ``samples`` table stores it."""

    run_id: str
    model: str
    prompt_id: str
    round: int
    warmup: bool
    cold: bool
    outcome: Outcome
    stream: bool
    transport: str
    started_at: str
    metrics: dict[str, Any] = field(default_factory=dict)
    answer: str = ""
    reasoning: str = ""
    server_timings: dict[str, Any] | None = None
    error: str | None = None
    http_status: int | None = None
    attempts: int = 1
    retry_log: list[Attempt] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, not {self.outcome!r}")

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.model, self.prompt_id, self.round)

    def row(self) -> dict[str, Any]:
        """Column -> value for the ``samples`` table (JSON for the nested parts)."""
        return {
            "run_id": self.run_id,
            "model": self.model,
            "prompt_id": self.prompt_id,
            "round": self.round,
            "warmup": int(self.warmup),
            "cold": int(self.cold),
            "ok": int(self.ok),
            "outcome": self.outcome,
            "error": self.error,
            "http_status": self.http_status,
            "attempts": self.attempts,
            "retry_log": json.dumps([asdict(a) for a in self.retry_log]) if self.retry_log else None,
            "stream": int(self.stream),
            "transport": self.transport,
            "started_at": self.started_at,
            "metrics_json": json.dumps(self.metrics, sort_keys=True, default=str),
            "answer": self.answer,
            "reasoning": self.reasoning,
            "server_timings_json": (
                json.dumps(self.server_timings, sort_keys=True, default=str) if self.server_timings else None
            ),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sample:
        """A sample from a plain dict (older callers and tests): ``ok`` alone maps to an outcome."""
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        values.setdefault("outcome", "ok" if data.get("ok", True) else "failed")
        values["retry_log"] = [
            a if isinstance(a, Attempt) else Attempt(**a) for a in values.get("retry_log") or []
        ]
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        """The shape :meth:`bench.store.store.Store.samples` returns (what progress subscribers read)."""
        data = asdict(self)
        data["ok"] = self.ok
        return data
