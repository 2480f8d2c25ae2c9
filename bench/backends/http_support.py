"""HTTP plumbing for the OpenAI-compatible backend: URL credentials, status hints, Retry-After,
and the pump thread that lets a deadline or a Cancel end a stalled stream at once.
"""

from __future__ import annotations

import contextlib
import email.utils
import queue
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlparse, urlunparse

import httpx

from bench.backends.base import ChatRequest, StreamEvent


class _Exchanger(Protocol):
    def _exchange(self, request: ChatRequest, pump: Pump) -> Iterator[StreamEvent]: ...


def strip_credentials(url: str | None) -> str | None:
    """``http://user:pass@host/v1`` -> ``http://host/v1``: what may be stored, logged or reported."""
    if not url:
        return url
    try:
        parsed = urlparse(url)
    except ValueError:
        return url
    if parsed.username is None and parsed.password is None:
        return url
    host = parsed.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parsed.port}" if parsed.port else "")
    return urlunparse(parsed._replace(netloc=netloc))


END = object()


class Pump:
    """Runs one HTTP exchange on a daemon thread and hands its events over a queue.

    ``stop`` shuts the socket down, which wakes a read blocked on a stalled server at once.
    """

    def __init__(self, backend: _Exchanger, request: ChatRequest) -> None:
        self.backend = backend
        self.request = request
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.response: httpx.Response | None = None
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slm-bench-http", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            for event in self.backend._exchange(self.request, self):
                if self._stopped.is_set():
                    return
                self.queue.put(event)
            self.queue.put(END)
        except BaseException as exc:  # handed to the reader, who raises it in its own thread
            if not self._stopped.is_set():
                self.queue.put(exc)

    def stop(self) -> None:
        self._stopped.set()
        if not self._thread.is_alive():
            return
        response = self.response
        stream = response.extensions.get("network_stream") if response is not None else None
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


RETRYABLE_STATUS = frozenset({429, 502, 503, 504})

#: HTTP status -> (what it means, the fix). 0 = any other 4xx, 500 = any other 5xx.
HTTP_HINTS: dict[int, tuple[str, str]] = {
    401: ("the server refused the API key", "name the variable that holds the key with --api-key-env NAME"),
    403: ("the server refused the API key", "name the variable that holds the key with --api-key-env NAME"),
    404: ("no such model or route", "check the model name with `python -m bench models list --endpoint URL`"),
    429: ("rate limited", "send fewer requests at once, or raise --retries (Retry-After is honoured)"),
    503: ("the server is overloaded or still loading", "wait for it, or raise --retries"),
    0: (
        "the server rejected the request",
        "check the model name and --max-tokens against the server's limits",
    ),
    500: ("the server failed", "see the server log"),
}


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date (RFC 9110); None when absent or odd."""
    if not value:
        return None
    value = value.strip()
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
