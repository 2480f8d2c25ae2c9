"""Backends by kind: ``foundry`` (in-process) and ``openai`` (any OpenAI-compatible base URL).

:func:`backend_for` is the registry: the runner, the CLI and the app all get backends here, so a
new kind (say, a native llama.cpp binding) is one module plus one entry in ``_FACTORIES``. The
cache keys on the API key too (two keys for one URL are two backends), but only on a hash of it:
the key itself is never part of anything that is logged or stored.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

from bench.backends.base import (
    Backend,
    ChatRequest,
    LoadInfo,
    ModelEntry,
    RequestError,
    StreamEvent,
    complete_text,
)
from bench.backends.loaded import loaded_models, note_loaded, note_unloaded, unload_all

__all__ = [
    "Backend",
    "ChatRequest",
    "LoadInfo",
    "ModelEntry",
    "RequestError",
    "StreamEvent",
    "backend_for",
    "complete_text",
    "key_identity",
    "loaded_models",
    "note_loaded",
    "note_unloaded",
    "unload_all",
]

_cache: dict[tuple[str, str, str], Backend] = {}
_lock = threading.Lock()


def _foundry(_: str | None, __: str | None) -> Backend:
    from bench.backends.foundry import FoundryBackend

    return FoundryBackend()


def _openai(endpoint: str | None, api_key: str | None) -> Backend:
    from bench.backends.openai_compat import OpenAIBackend

    if not endpoint:
        raise ValueError("the openai backend needs an endpoint")
    return OpenAIBackend(endpoint, api_key=api_key)


_FACTORIES: dict[str, Callable[[str | None, str | None], Backend]] = {
    "foundry": _foundry,
    "openai": _openai,
}


def key_identity(api_key: str | None) -> str:
    """A short one-way fingerprint of a key (``""`` for none): safe to keep in a cache key."""
    if not api_key:
        return ""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()[:16]


def backend_for(endpoint: str | None = None, api_key: str | None = None) -> Backend:
    """The in-process Foundry backend, or the OpenAI-compatible one for ``endpoint`` and ``api_key``."""
    kind = "openai" if endpoint else "foundry"
    if kind == "openai":
        from bench.backends.openai_compat import normalize_base_url

        endpoint = normalize_base_url(endpoint or "")
    key = (kind, endpoint or "", key_identity(api_key))
    with _lock:
        if key not in _cache:
            _cache[key] = _FACTORIES[kind](endpoint, api_key)
        return _cache[key]
