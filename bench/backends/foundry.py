"""Foundry Local in-process backend (``foundry-local-sdk`` v2, no service, no HTTP).

Each benchmark request uses a fresh ``ChatSession``: a session keeps its history, and a growing
prompt would make later rounds slower than earlier ones for reasons that have nothing to do with
the model. Usage (prompt/completion tokens) comes from the runtime's own final response.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import bench.backends.foundry_workloads as fw
from bench import paths
from bench.backends.base import (
    ChatRequest,
    LoadInfo,
    ModelEntry,
    RequestCancelled,
    RequestError,
    StreamEvent,
    now_ns,
)
from bench.backends.loaded import note_loaded, note_unloaded, remember_pristine_rss
from bench.errors import ModelLoadError
from bench.foundry_runtime import get_manager
from bench.units import MB

if TYPE_CHECKING:
    from foundry_local_sdk import IModel

_public_cache: list[ModelEntry] | None = None


def genai_provider(folder: str) -> str:
    """Execution provider an ONNX GenAI folder asks for (``provider_options`` empty = CPU)."""
    config = Path(folder) / "genai_config.json" if folder else None
    if config is None or not config.is_file():
        return ""
    try:
        options = json.loads(config.read_text())["model"]["decoder"]["session_options"].get(
            "provider_options", []
        )
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    names = [name for option in options for name in option]
    return ", ".join(f"{n}ExecutionProvider" for n in names) or "CPUExecutionProvider"


def _entry(model: IModel, source: str) -> ModelEntry:
    info = model.info
    runtime = info.runtime
    path = model.get_path() if model.is_cached else ""
    size = paths.dir_size(path) if path else None
    if size is None and info.file_size_mb:
        size = int(info.file_size_mb) * MB  # decimal, as bench.acquire writes fileSizeMb for BYOM models
    return ModelEntry(
        name=model.alias or model.id,
        backend="foundry",
        model_id=model.id,
        source=source,
        size_bytes=size,
        capabilities=model.capabilities or (info.task or ""),
        license=info.license or "",
        execution_provider=(runtime.execution_provider if runtime else "") or genai_provider(path),
        device=str(runtime.device_type.value) if runtime and runtime.device_type else "",
        cached=bool(model.is_cached),
        loaded=bool(model.is_loaded),
        path=path,
    )


class FoundryBackend:
    """Models registered in (or downloaded into) Foundry Local, run in this process."""

    kind = "foundry"
    transport: Literal["in-process", "http"] = "in-process"

    def __init__(self) -> None:
        self.manager = get_manager()
        self._models: dict[str, IModel] = {}

    # ---- discovery ------------------------------------------------------------------------------
    def _local_catalog(self) -> Any:
        from foundry_local_sdk import CatalogType

        return self.manager.get_catalog(CatalogType.LOCAL)

    def list_models(self, include_public: bool = False, include_cache: bool = False) -> list[ModelEntry]:
        """Local catalog (BYOM); catalog models downloaded into the cache and the public catalog on request.

        Both of the latter need the public catalog, which costs seconds of retries offline (once
        per process), so the default listing is the instant local one.
        """
        global _public_cache
        entries = {m.id: _entry(m, "local catalog") for m in self._local_catalog().list_models()}
        if include_cache or include_public:
            for model in self.manager.catalog.get_cached_models():
                entries.setdefault(model.id, _entry(model, "cache"))
        if include_public:
            if _public_cache is None:
                _public_cache = [_entry(m, "public catalog") for m in self.manager.catalog.list_models()]
            for entry in _public_cache:
                entries.setdefault(entry.model_id, entry)
        return sorted(entries.values(), key=lambda e: (e.source, e.name))

    def model_ids(self, refresh: bool = False) -> list[str]:
        """Names of the models registered in Foundry Local's local catalog (the instant listing)."""
        return [e.name for e in self.list_models()]

    def resolve(self, name: str) -> IModel:
        """Alias or id -> model: local catalog first (instant), then cache, then public catalog."""
        if name in self._models:
            return self._models[name]
        local = self._local_catalog()
        model = local.get_model(name) or (local.get_model_variant(name) if ":" in name else None)
        if model is None:
            cached = {m.id: m for m in self.manager.catalog.get_cached_models()}
            cached.update({m.alias: m for m in cached.values()})
            model = cached.get(name)
        if model is None:
            model = self.manager.catalog.get_model(name)
        if model is None:
            known = ", ".join(e.name for e in self.list_models()) or "none registered yet"
            raise ModelLoadError(
                name,
                "is not a Foundry Local model here",
                f"known models: {known}. Import one with `python -m bench models import`"
                " or `python -m bench models fetch NAME`",
            )
        self._models[name] = model
        return model

    # ---- lifecycle ------------------------------------------------------------------------------
    def download(self, name: str, progress: Callable[[float], None] | None = None) -> None:
        """Download a public-catalog model into the cache (no-op when cached)."""
        model = self.resolve(name)
        if not model.is_cached:
            model.download(progress_callback=progress)

    def load(self, name: str) -> LoadInfo:
        model = self.resolve(name)
        if not model.is_cached:
            raise ModelLoadError(
                name,
                "is not downloaded",
                f"run `python -m bench models download {name}`",
            )
        info = model.info
        ep = info.runtime.execution_provider if info.runtime else ""
        size = paths.dir_size(model.get_path())
        if model.is_loaded:
            return LoadInfo(model.id, 0.0, size, ep, already_loaded=True)
        remember_pristine_rss()  # the in-process memory baseline: before any model was loaded here
        started = time.perf_counter()
        try:
            model.load()
        except Exception as exc:  # the SDK raises FoundryLocalException with the native reason
            raise ModelLoadError(
                name,
                f"failed to load: {exc}",
                "check the model folder and its genai_config.json",
            ) from exc
        note_loaded(self, name)
        return LoadInfo(model.id, time.perf_counter() - started, size, ep)

    def unload(self, name: str) -> None:
        note_unloaded(self, name)
        model = self.resolve(name)
        if model.is_loaded:
            model.unload()

    def server_pid(self) -> int | None:
        import os

        return os.getpid()

    def count_tokens(self, model: str, text: str) -> int | None:
        """By the model's own tokenizer.json (the runtime reports usage; this is for sizing a prompt)."""
        handle = self.resolve(model)
        return fw.count_tokens(handle.get_path() if handle.is_cached else "", text)

    def context_length(self, model: str) -> int | None:
        return fw.context_length(self.resolve(model))

    def tools_refusal(self, request: ChatRequest) -> str | None:
        """Why this model cannot be offered the request's tools in-process (None: it can, or none sent)."""
        return fw.tools_unsupported(self.resolve(request.model)) if request.tools else None

    # ---- inference ------------------------------------------------------------------------------
    def _options(self, request: ChatRequest) -> Any:
        from foundry_local_sdk import RequestOptions, SearchOptions

        return RequestOptions(
            search=SearchOptions(
                temperature=request.temperature,
                max_output_tokens=request.max_tokens,
                seed=request.seed,
            ),
            additional_options=fw.guidance_options(request.response_format),
        )

    def _request(self, request: ChatRequest) -> Any:
        from foundry_local_sdk import MessageItem, Request

        req = Request()
        if request.system:
            req.add_item(MessageItem.system(request.system))
        fw.add_history(req, request)
        req.add_item(MessageItem.user(request.prompt))
        return req

    def stream_chat(self, request: ChatRequest) -> Iterator[StreamEvent]:
        from foundry_local_sdk import ChatSession

        model = self.resolve(request.model)
        with ChatSession(model) as session, self._request(request) as req:
            session.set_options(self._options(request))
            fw.register_tools(session, request)
            if request.stream:
                yield from self._streamed(session, req, request)
            else:
                yield from self._whole(session, req)

    def _streamed(self, session: Any, req: Any, request: ChatRequest) -> Iterator[StreamEvent]:
        from foundry_local_sdk import TextItem, TextItemType

        session.set_streaming(True)
        stream = session.process_streaming_request(req)
        first = True
        deadline = now_ns() + int(request.timeout_s * 1e9) if request.timeout_s else None
        for item in stream:
            t = now_ns()
            _check_stop(request, t, deadline)
            if first:
                yield StreamEvent("first_byte", t)
                first = False
            if isinstance(item, TextItem) and item.text:
                kind = "reasoning" if item.type == TextItemType.REASONING else "content"
                yield StreamEvent(kind, t, text=item.text)
            elif called := fw.tool_call_text(item):
                yield StreamEvent("content", t, text=called)
        with stream.final_response as final:
            yield from self._final_events(final, now_ns())

    def _whole(self, session: Any, req: Any) -> Iterator[StreamEvent]:
        from foundry_local_sdk import MessageItem, TextItem, TextItemType

        with session.process_request(req) as response:
            t = now_ns()
            for item in response:
                parts = item.parts if isinstance(item, MessageItem) else [item]
                for part in parts:
                    if isinstance(part, TextItem) and part.text:
                        kind = "reasoning" if part.type == TextItemType.REASONING else "content"
                        yield StreamEvent(kind, t, text=part.text)
                    elif called := fw.tool_call_text(part):
                        yield StreamEvent("content", t, text=called)
            yield from self._final_events(response, t)

    @staticmethod
    def _final_events(response: Any, t: int) -> Iterator[StreamEvent]:
        usage = response.get_usage()
        yield StreamEvent(
            "usage",
            t,
            data={
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
            },
        )
        reason = response.finish_reason
        yield StreamEvent(
            "finish",
            t,
            data={"finish_reason": getattr(reason, "name", str(reason)).lower()},
        )


def _check_stop(request: ChatRequest, t_ns: int, deadline_ns: int | None) -> None:
    """Between tokens: a Cancel or a passed deadline ends the in-process generation."""
    if request.cancel is not None and request.cancel.is_set():
        raise RequestCancelled()
    if deadline_ns is not None and t_ns > deadline_ns:
        raise RequestError(
            request.model,
            f"no complete answer within the {request.timeout_s:g} s request deadline",
            "raise --request-timeout",
            retryable=False,
        )
