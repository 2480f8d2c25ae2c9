"""Any OpenAI-compatible server over HTTP: Foundry Local's web service, Ollama, llama-server, vLLM.

Speaks raw HTTP through ``httpx`` rather than the ``openai`` client so the first byte of the
response can be timed and server extras (llama.cpp ``timings``, Ollama durations, reasoning
deltas) are read verbatim. The transport is swappable (``httpx.MockTransport`` in tests for
faults a real server cannot be made to produce).
"""

from __future__ import annotations

import contextlib
import json
import queue
import time
from collections.abc import Iterator
from typing import Any, Literal
from urllib.parse import urlparse

import httpx
import psutil

from bench.backends.base import (
    ChatRequest,
    LoadInfo,
    ModelEntry,
    RequestCancelled,
    RequestError,
    StreamEvent,
    now_ns,
)
from bench.backends.http_support import (
    END,
    HTTP_HINTS,
    RETRYABLE_STATUS,
    Pump,
    retry_after_seconds,
    strip_credentials,
)
from bench.backends.loaded import note_loaded, note_unloaded
from bench.backends.openai_wire import (
    SERVER_TIMING_KEYS,
    StreamCut,
    chat_body,
    chunk_events,
    decode_sse_payload,
    sse_events,
)
from bench.errors import EndpointError, ModelLoadError

__all__ = [
    "SERVER_TIMING_KEYS",
    "OpenAIBackend",
    "decode_sse_payload",
    "normalize_base_url",
]


def normalize_base_url(url: str) -> str:
    """``http://host:port`` or ``.../v1`` -> ``http://host:port/v1`` (no trailing slash)."""
    url = url.strip().rstrip("/")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise EndpointError(
            strip_credentials(url) or "(empty)",
            "is not an http(s) URL",
            "pass a base URL like http://127.0.0.1:5273/v1",
        )
    return url if url.endswith("/v1") else f"{url}/v1"


class OpenAIBackend:
    """One OpenAI-compatible base URL. ``api_key`` comes from the environment, never from disk."""

    kind = "openai"
    transport: Literal["in-process", "http"] = "http"

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        http_transport: httpx.BaseTransport | None = None,
        timeout: float = 300.0,
    ) -> None:
        full_url = normalize_base_url(base_url)
        parsed = urlparse(full_url)
        auth = (parsed.username or "", parsed.password or "") if parsed.username else None
        self.base_url = strip_credentials(full_url) or full_url  # what messages and stores show
        self.root_url = self.base_url.removesuffix("/v1")
        self.timeout = timeout
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(
            headers=headers,
            auth=auth,
            transport=http_transport,
            timeout=httpx.Timeout(timeout, connect=5.0),
        )
        self.has_key = bool(api_key)
        self._models_cache: list[str] | None = None

    @property
    def label(self) -> str:
        return f"openai:{self.base_url}"

    def __repr__(self) -> str:  # never the key
        return f"OpenAIBackend({self.base_url!r}, key={'set' if self.has_key else 'none'})"

    # ---- errors --------------------------------------------------------------------------------
    def _unreachable(self, exc: Exception) -> EndpointError:
        return EndpointError(
            self.base_url,
            f"unreachable ({type(exc).__name__}: {exc})",
            "start the server, or fix --endpoint / FOUNDRY_LOCALENDPOINT (e.g. http://127.0.0.1:5273/v1)",
        )

    def _not_openai(self, what: str) -> EndpointError:
        return EndpointError(
            self.base_url,
            f"does not speak the OpenAI API: {what}",
            "point --endpoint at the server's OpenAI base URL (it must answer GET /v1/models)",
        )

    def _get_json(self, url: str) -> Any:
        """A discovery GET: short timeouts, so a server that hangs never freezes a page or the CLI."""
        try:
            response = self.client.get(url, timeout=httpx.Timeout(15.0, connect=5.0))
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None
        if response.status_code in (401, 403):
            raise EndpointError(
                self.base_url,
                f"refused the API key: GET {url} returned HTTP {response.status_code}"
                + ("" if self.has_key else " (no key was sent)"),
                "name the environment variable holding the key with --api-key-env NAME"
                " (on the Models page: the endpoint's key variable)",
            )
        if response.status_code >= 400:
            raise self._not_openai(f"GET {url} returned HTTP {response.status_code}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError:
            raise self._not_openai(f"GET {url} returned non-JSON: {response.text[:120]!r}") from None

    # ---- discovery ----------------------------------------------------------------------------
    def model_ids(self, refresh: bool = False) -> list[str]:
        if self._models_cache is None or refresh:
            data = self._get_json(f"{self.base_url}/models")
            if not isinstance(data, dict) or not isinstance(data.get("data"), list):
                raise self._not_openai("GET /v1/models has no 'data' list")
            self._models_cache = [str(m.get("id")) for m in data["data"] if isinstance(m, dict)]
        return self._models_cache

    def resolve(self, name: str) -> str:
        """``name`` when the server serves it (else ModelLoadError listing what it serves)."""
        ids = self.model_ids(refresh=True)
        if name not in ids:
            raise ModelLoadError(
                name,
                f"is not served by {self.base_url}",
                f"served models: {', '.join(ids) or 'none'}",
            )
        return name

    def health(self) -> dict[str, Any]:
        """Round-trip time of GET /v1/models and the models it lists (raises EndpointError)."""
        started = time.perf_counter()
        ids = self.model_ids(refresh=True)
        return {"ok": True, "latency_s": time.perf_counter() - started, "models": ids}

    def list_models(self) -> list[ModelEntry]:
        return [
            ModelEntry(name=mid, backend=self.label, model_id=mid, source="endpoint")
            for mid in self.model_ids(refresh=True)
        ]

    # ---- lifecycle ----------------------------------------------------------------------------
    def load(self, name: str) -> LoadInfo:
        """Check the model is served; on Foundry Local's service, load it and time the load.

        ``already_loaded`` is True when the server had the model resident before (or cannot say,
        like llama-server and vLLM, which load at start): its memory baseline then holds the weights.
        """
        self.resolve(name)
        loaded = self._foundry_loaded()
        if loaded is None or name in loaded:
            return LoadInfo(name, 0.0, already_loaded=True)
        started = time.perf_counter()
        alias = name.split(":")[0]
        try:
            response = self.client.get(f"{self.root_url}/models/load/{alias}", timeout=600)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None
        if response.status_code >= 400:
            raise ModelLoadError(
                name,
                f"the server refused to load it: {response.text[:200]}",
                "see the server log",
            )
        note_loaded(self, name)
        return LoadInfo(name, time.perf_counter() - started)

    def _foundry_loaded(self) -> list[str] | None:
        """Foundry Local's ``/models/loaded`` (None on servers that have no such route)."""
        try:
            response = self.client.get(f"{self.root_url}/models/loaded", timeout=5)
            if response.status_code != 200:
                return None
            data = response.json()
        except (httpx.HTTPError, ValueError):
            return None
        if isinstance(data, list):
            return [str(x) for x in data]
        if isinstance(data, dict):
            return [str(x) for x in data.get("models", data.get("data", []))]
        return None

    def unload(self, name: str) -> None:
        note_unloaded(self, name)
        if self._foundry_loaded() is not None:
            with contextlib.suppress(httpx.HTTPError):
                self.client.get(f"{self.root_url}/models/unload/{name.split(':')[0]}", timeout=60)

    def server_pid(self) -> int | None:
        """Pid of the server when it listens on this machine (so its memory can be read)."""
        parsed = urlparse(self.base_url)
        if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
            return None
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            for conn in psutil.net_connections(kind="tcp"):
                if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
                    return conn.pid
        except (psutil.Error, OSError):
            return None
        return None

    def count_tokens(self, model: str, text: str) -> int | None:
        """llama.cpp's own ``/tokenize`` (the model's tokenizer); None where a server lacks it."""
        try:
            response = self.client.post(f"{self.root_url}/tokenize", json={"content": text}, timeout=10)
            if response.status_code == 200:
                tokens = response.json().get("tokens")
                return len(tokens) if isinstance(tokens, list) else None
        except (httpx.HTTPError, ValueError, AttributeError):
            return None
        return None

    def context_length(self, model: str) -> int | None:
        """llama.cpp's ``/props`` ``n_ctx`` (the served context window); None where a server lacks it."""
        try:
            props = self.client.get(f"{self.root_url}/props", timeout=10).json()
            return int(props["default_generation_settings"]["n_ctx"])
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return None

    # ---- inference ----------------------------------------------------------------------------
    def stream_chat(self, request: ChatRequest) -> Iterator[StreamEvent]:
        """Events as they arrive; the HTTP exchange runs on a worker thread so that a deadline or a
        Cancel ends a stalled stream within a tenth of a second (the socket is shut down)."""
        pump = Pump(self, request)
        pump.start()
        deadline = time.monotonic() + request.timeout_s if request.timeout_s else None
        try:
            while True:
                if request.cancel is not None and request.cancel.is_set():
                    raise RequestCancelled()
                if deadline is not None and time.monotonic() > deadline:
                    raise RequestError(
                        f"{self.base_url} model {request.model}",
                        f"no complete answer within the {request.timeout_s:g} s request deadline",
                        "raise --request-timeout, or check the server is not stalled",
                        retryable=True,
                    )
                try:
                    item = pump.queue.get(timeout=0.05)
                except queue.Empty:
                    continue
                if item is END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            pump.stop()

    def _http_error(self, response: httpx.Response, request: ChatRequest) -> RequestError:
        text = response.read().decode("utf-8", "replace")[:300]
        status = response.status_code
        subject = f"{self.base_url} model {request.model}"
        what, fix = HTTP_HINTS.get(status, HTTP_HINTS[0 if status < 500 else 500])
        return RequestError(
            subject,
            f"{what} (HTTP {status}): {text}",
            fix,
            http_status=status,
            retryable=status in RETRYABLE_STATUS,
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        )

    def _exchange(self, request: ChatRequest, pump: Pump) -> Iterator[StreamEvent]:
        """The HTTP request itself (on the pump's thread); raises RequestError for every fault."""
        url = f"{self.base_url}/chat/completions"
        read_s = request.timeout_s + 5.0 if request.timeout_s else self.timeout  # the deadline speaks first
        timeout = httpx.Timeout(read_s, connect=5.0)
        subject = f"{self.base_url} model {request.model}"
        started = False
        try:
            with self.client.stream("POST", url, json=chat_body(request), timeout=timeout) as response:
                pump.response = response
                if response.status_code >= 400:
                    raise self._http_error(response, request)
                parse = self._parse_sse if request.stream else self._parse_whole
                for event in parse(response, subject):
                    started = started or event.kind in ("content", "reasoning")
                    yield event
        except httpx.TimeoutException as exc:
            raise RequestError(
                subject, f"timed out ({type(exc).__name__})", "raise --request-timeout", retryable=True
            ) from None
        except httpx.HTTPError as exc:
            if started:
                raise RequestError(
                    subject,
                    f"the stream ended early: {type(exc).__name__}: {exc}",
                    "see the server log (did it crash or restart?)",
                    outcome="incomplete",
                    retryable=True,
                ) from None
            raise RequestError(
                subject,
                f"connection failed ({type(exc).__name__}: {exc})",
                "start the server, or fix --endpoint",
                retryable=True,
            ) from None

    def _parse_whole(self, response: httpx.Response, subject: str) -> Iterator[StreamEvent]:
        raw = response.read()
        t = now_ns()
        yield StreamEvent("first_byte", t)
        try:
            data = json.loads(raw)
        except ValueError:
            raise RequestError(subject, f"malformed response from server: {raw[:120]!r}") from None
        if not isinstance(data, dict):
            raise RequestError(subject, f"malformed response from server: {raw[:120]!r}")
        yield from chunk_events(data, t, message_key="message")

    @staticmethod
    def _parse_sse(response: httpx.Response, subject: str) -> Iterator[StreamEvent]:
        """SSE lines stamped as they arrive, read by the one reader the load engine also uses."""
        try:
            yield from sse_events((now_ns(), line) for line in response.iter_lines())
        except StreamCut as exc:
            raise RequestError(
                subject,
                str(exc),
                "see the server log (did it crash or restart?)",
                outcome="incomplete",
                retryable=True,
            ) from None
        except ValueError as exc:
            raise RequestError(subject, str(exc), "see the server log") from None
