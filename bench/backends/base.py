"""The one small protocol every backend speaks, and the timed events it yields.

A backend turns a :class:`ChatRequest` into a stream of :class:`StreamEvent`s, each stamped with
``time.perf_counter_ns()`` the moment it arrived. All metric definitions (ttft, decode tok/s, ...)
are computed from these events in :mod:`bench.measure.request_metrics`, never inside a backend, so every backend is
measured by the same rules.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from bench.errors import BenchError

EventKind = Literal["first_byte", "role", "content", "reasoning", "usage", "server_timings", "finish"]


def now_ns() -> int:
    """The one clock every timestamp uses (monotonic, nanoseconds)."""
    return time.perf_counter_ns()


@dataclass(frozen=True)
class StreamEvent:
    """One thing that arrived from the model, with its arrival time.

    ``content``/``reasoning`` events carry generated text; ``n_tokens`` is set when the backend
    knows how many tokens the chunk holds (otherwise it is counted as one chunk). ``usage`` carries
    ``{"prompt_tokens", "completion_tokens"}``; ``server_timings`` carries the server's own timing
    report (llama.cpp ``timings``, Ollama durations) verbatim; ``finish`` carries ``finish_reason``.
    """

    kind: EventKind
    t_ns: int
    text: str = ""
    n_tokens: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


#: the events that say an answer ended properly: a finish reason (``[DONE]`` is read as one) or usage,
#: which servers send after the last token
ENDING_KINDS = ("finish", "usage")


def ends_answer(event: StreamEvent) -> bool:
    """True for an event that says the answer ended properly (see :data:`ENDING_KINDS`)."""
    return event.kind in ENDING_KINDS


def answer_finished(events: Iterable[StreamEvent]) -> bool:
    """The one rule every reader (HTTP, load engine, in-process run) uses for "the stream ended
    properly"; an answer without it is ``incomplete``, kept but never measured."""
    return any(ends_answer(e) for e in events)


@dataclass(frozen=True)
class ChatRequest:
    """One deterministic chat request: what the runner sends, identical for every backend."""

    model: str
    prompt: str
    max_tokens: int = 128
    temperature: float = 0.0
    seed: int | None = 42
    stream: bool = True
    system: str | None = None
    #: the whole request must end within this many seconds (None = no deadline)
    timeout_s: float | None = None
    #: set by a Cancel: the backend stops reading within a second and raises :class:`RequestCancelled`
    cancel: threading.Event | None = field(default=None, compare=False, repr=False)
    #: False asks the server not to reuse its prompt cache (llama.cpp ``cache_prompt: false``)
    prompt_cache: bool = True
    #: earlier turns of a conversation ({"role", "content"}), sent before ``prompt`` (multi-turn)
    history: tuple[dict[str, str], ...] = ()
    #: OpenAI ``tools`` (function definitions) and ``response_format`` (json_schema), as sent
    tools: tuple[dict[str, Any], ...] = ()
    response_format: dict[str, Any] | None = field(default=None, compare=False)

    def messages(self) -> list[dict[str, str]]:
        msgs = [{"role": "system", "content": self.system}] if self.system else []
        return [*msgs, *self.history, {"role": "user", "content": self.prompt}]


@dataclass(frozen=True)
class ModelEntry:
    """A model a backend knows, as ``models list`` and the Models page show it."""

    name: str  # what a user passes to --models (alias or id)
    backend: str  # "foundry" or "openai:<base_url>"
    model_id: str = ""
    source: str = ""  # "local catalog", "cache", "public catalog", "endpoint"
    size_bytes: int | None = None
    capabilities: str = ""
    license: str = ""
    execution_provider: str = ""
    device: str = ""
    cached: bool = False
    loaded: bool = False
    path: str = ""


@dataclass(frozen=True)
class LoadInfo:
    """What loading a model cost and what it resolved to."""

    model_id: str
    seconds: float
    size_bytes: int | None = None
    execution_provider: str = ""
    already_loaded: bool = False


class RequestError(BenchError):
    """One request went wrong; the run records it on the sample and goes on with the next request.

    ``outcome`` is ``failed`` (no usable answer) or ``incomplete`` (the stream ended before a
    finish reason, usage or ``[DONE]``: the partial answer is kept, never measured).
    ``retryable`` marks the faults worth another try (HTTP 429/502/503/504, connection errors,
    timeouts); ``retry_after`` is the server's ``Retry-After`` in seconds when it sent one.
    """

    def __init__(
        self,
        subject: str,
        what: str,
        fix: str = "",
        *,
        outcome: Literal["failed", "incomplete"] = "failed",
        http_status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(subject, what, fix)
        self.outcome = outcome
        self.http_status = http_status
        self.retryable = retryable
        self.retry_after = retry_after


class RequestCancelled(Exception):
    """The request in flight was abandoned because the user cancelled."""


@runtime_checkable
class Backend(Protocol):
    """Any engine SLM Bench can measure. ``transport`` says where numbers come from."""

    kind: str
    transport: Literal["in-process", "http"]

    def list_models(self) -> list[ModelEntry]: ...

    def model_ids(self, refresh: bool = False) -> list[str]:
        """Names ``--models`` accepts here (served ids for an endpoint; local aliases in-process)."""
        ...

    def resolve(self, name: str) -> Any:
        """The backend's handle for ``name``; raises ModelLoadError (with the known names) if unknown."""
        ...

    def load(self, model: str) -> LoadInfo: ...

    def unload(self, model: str) -> None: ...

    def stream_chat(self, request: ChatRequest) -> Iterator[StreamEvent]: ...

    def count_tokens(self, model: str, text: str) -> int | None:
        """Tokens of ``text`` by the model's own tokenizer, or None when that is not available."""
        ...

    def server_pid(self) -> int | None:
        """Pid of the process that runs the model (ours in-process; a local server's; else None)."""
        ...


def complete_text(backend: Backend, request: ChatRequest) -> str:
    """Run a request and return only the answer text (used by the judge, not for timing)."""
    return "".join(e.text for e in backend.stream_chat(request) if e.kind == "content")
