"""One try of one request: every way it can end becomes an outcome, never an exception.

The runner calls :func:`try_once` for each try (retries included) and decides from the returned
:class:`Try` whether to try again; memory, GPU and energy are sampled over the try.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bench.backends import Backend, ChatRequest
from bench.backends.base import RequestCancelled, RequestError, StreamEvent, answer_finished, now_ns
from bench.errors import BenchError
from bench.measure import energy
from bench.measure.samples import Outcome
from bench.measure.sysmon import MemoryProbe
from bench.run.refusal import refusal, rejected_tools
from bench.store.store import utc_now


@dataclass
class Try:
    """What one try of a request produced."""

    events: list[StreamEvent]
    t_send: int
    started_at: str
    outcome: Outcome = "ok"
    error: str | None = None
    http_status: int | None = None
    retryable: bool = False
    retry_after: float | None = None
    rss_peak: int | None = None
    rss_basis: str | None = None  # kernel high-water mark or sampled (bench.measure.sysmon)
    gpu_peak: int | None = None
    energy: dict[str, Any] = field(default_factory=dict)


def try_once(
    backend: Backend,
    request: ChatRequest,
    watch: Callable[[Iterator[StreamEvent]], Iterator[StreamEvent]],
    probe: MemoryProbe,
) -> Try:
    """Send the request once; every way it can end becomes an outcome (never an exception)."""
    events: list[StreamEvent] = []
    refused = refusal(backend, request)  # too long for the model's context, or tools it cannot take
    if refused:
        return Try(events, now_ns(), utc_now(), outcome="refused", error=refused)
    with probe.sampling() as peak, energy.measure() as joules:
        tried = Try(events, now_ns(), utc_now())
        try:
            for event in watch(backend.stream_chat(request)):
                events.append(event)
        except RequestCancelled:
            tried.outcome, tried.error = "cancelled", "cancelled while the answer was streaming"
        except RequestError as exc:
            tried.outcome, tried.error, tried.http_status = exc.outcome, exc.message, exc.http_status
            tried.retryable, tried.retry_after = exc.retryable, exc.retry_after
        except BenchError as exc:
            tried.outcome, tried.error = "failed", exc.message
        except Exception as exc:  # a backend bug: keep its trace on stderr, the run goes on
            traceback.print_exc()
            tried.outcome, tried.error = "failed", f"{type(exc).__name__}: {exc}"
    if tried.outcome == "failed" and (why := rejected_tools(request, tried.http_status, tried.error)):
        tried.outcome, tried.error, tried.retryable = "refused", why, False  # no tools there: not its failure
    tried.rss_peak, tried.rss_basis, tried.gpu_peak = peak.peak, peak.basis, peak.gpu_peak
    tried.energy = joules.as_metrics()  # energy_j over the try (None without a sensor) and its source
    if tried.outcome == "ok" and not answer_finished(events):
        tried.outcome = "incomplete"
        tried.error = "the answer ended without a finish reason or usage (cut short)"
    return tried
