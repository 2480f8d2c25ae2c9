"""Any OpenAI-compatible server over HTTP: Foundry Local's web service, Ollama, llama-server, vLLM.

Speaks raw HTTP through ``httpx`` rather than the ``openai`` client so the first byte of the
response can be timed and server extras (llama.cpp ``timings``, Ollama durations, reasoning
deltas) are read verbatim. The transport is swappable (``httpx.MockTransport`` in tests for
faults a real server cannot be made to produce).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from typing import Any, Literal
from urllib.parse import urlparse

import httpx
import psutil

from bench.backends.base import ChatRequest, LoadInfo, ModelEntry, StreamEvent, now_ns
from bench.errors import EndpointError, ModelLoadError

SERVER_TIMING_KEYS = (
    "timings",
    "eval_count",
    "eval_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "load_duration",
)


def normalize_base_url(url: str) -> str:
    """``http://host:port`` or ``.../v1`` -> ``http://host:port/v1`` (no trailing slash)."""
    url = url.strip().rstrip("/")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise EndpointError(
            url or "(empty)",
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
        self.base_url = normalize_base_url(base_url)
        self.root_url = self.base_url.removesuffix("/v1")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(
            headers=headers,
            transport=http_transport,
            timeout=httpx.Timeout(timeout, connect=5.0),
        )
        self._models_cache: list[str] | None = None

    @property
    def label(self) -> str:
        return f"openai:{self.base_url}"

    # ---- errors --------------------------------------------------------------------------------
    def _unreachable(self, exc: Exception) -> EndpointError:
        return EndpointError(
            self.base_url,
            f"unreachable ({type(exc).__name__}: {exc})",
            "start the server, or fix --endpoint / FOUNDRY_LOCAL_ENDPOINT (e.g. http://127.0.0.1:5273/v1)",
        )

    def _not_openai(self, what: str) -> EndpointError:
        return EndpointError(
            self.base_url,
            f"does not speak the OpenAI API: {what}",
            "point --endpoint at the server's OpenAI base URL (it must answer GET /v1/models)",
        )

    def _get_json(self, url: str) -> Any:
        try:
            response = self.client.get(url)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None
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
        """Check the model is served; on Foundry Local's service, load it and time the load."""
        ids = self.model_ids(refresh=True)
        if name not in ids:
            raise ModelLoadError(
                name,
                f"is not served by {self.base_url}",
                f"served models: {', '.join(ids) or 'none'}",
            )
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

    # ---- inference ----------------------------------------------------------------------------
    def _body(self, request: ChatRequest, include_usage: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": request.messages(),
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stream": request.stream,
        }
        if request.seed is not None:
            body["seed"] = request.seed
        if request.stream and include_usage:
            body["stream_options"] = {"include_usage": True}
        return body

    def stream_chat(self, request: ChatRequest) -> Iterator[StreamEvent]:
        url = f"{self.base_url}/chat/completions"
        body = self._body(request)
        try:
            with self.client.stream("POST", url, json=body) as response:
                if response.status_code >= 400:
                    text = response.read().decode("utf-8", "replace")[:300]
                    raise EndpointError(
                        f"{self.base_url} model {request.model}",
                        f"chat request failed with HTTP {response.status_code}: {text}",
                        "check the model name with `python -m bench models list --endpoint URL`",
                    )
                if request.stream:
                    yield from self._parse_sse(response)
                else:
                    yield from self._parse_whole(response)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None

    def _parse_whole(self, response: httpx.Response) -> Iterator[StreamEvent]:
        raw = response.read()
        t = now_ns()
        yield StreamEvent("first_byte", t)
        try:
            data = json.loads(raw)
        except ValueError:
            raise self._not_openai(f"chat response is not JSON: {raw[:120]!r}") from None
        yield from self._chunk_events(data, t, message_key="message")

    def _parse_sse(self, response: httpx.Response) -> Iterator[StreamEvent]:
        first = True
        for line in response.iter_lines():
            t = now_ns()
            if first:
                yield StreamEvent("first_byte", t)
                first = False
            line = line.strip()
            if not line.startswith("data:"):
                continue
            payload = line[5:].strip()
            if payload == "[DONE]":
                break
            try:
                chunk = json.loads(payload)
            except ValueError:
                raise self._not_openai(f"stream chunk is not JSON: {payload[:120]!r}") from None
            if isinstance(chunk, dict) and "error" in chunk:
                raise EndpointError(
                    self.base_url,
                    f"server error mid-stream: {chunk['error']}",
                    "see the server log",
                )
            yield from self._chunk_events(chunk, t, message_key="delta")

    @staticmethod
    def _chunk_events(chunk: dict[str, Any], t: int, message_key: str) -> Iterator[StreamEvent]:
        for choice in chunk.get("choices") or []:
            message = choice.get(message_key) or {}
            reasoning = message.get("reasoning_content") or message.get("reasoning")
            if reasoning:
                yield StreamEvent("reasoning", t, text=str(reasoning))
            if message.get("content"):
                yield StreamEvent("content", t, text=str(message["content"]))
            elif message.get("role") and not reasoning:
                yield StreamEvent("role", t)
            if choice.get("finish_reason"):
                yield StreamEvent("finish", t, data={"finish_reason": str(choice["finish_reason"])})
        usage = chunk.get("usage")
        if isinstance(usage, dict) and usage:
            yield StreamEvent(
                "usage",
                t,
                data={
                    k: usage[k]
                    for k in ("prompt_tokens", "completion_tokens")
                    if isinstance(usage.get(k), int)
                },
            )
        timings = _server_timings(chunk)
        if timings:
            yield StreamEvent("server_timings", t, data=timings)


def _server_timings(chunk: dict[str, Any]) -> dict[str, Any]:
    """llama.cpp ``timings`` or Ollama-style duration fields, flattened."""
    out: dict[str, Any] = {}
    if isinstance(chunk.get("timings"), dict):
        out.update(chunk["timings"])
    for key in SERVER_TIMING_KEYS[1:]:
        if key in chunk:
            out[key] = chunk[key]
    return out


def api_key_from_env(env_name: str | None) -> str | None:
    """API keys are read from a named environment variable only; they are never stored."""
    return os.environ.get(env_name) if env_name else None
