"""Backends by kind: ``foundry`` (in-process) and ``openai`` (any OpenAI-compatible base URL).

:func:`backend_for` is the registry: the runner, the CLI and the app all get backends here, so a
new kind (say, a native llama.cpp binding) is one module plus one entry in ``_FACTORIES``.
"""

from __future__ import annotations

from collections.abc import Callable

from bench.backends.base import (
    Backend,
    ChatRequest,
    LoadInfo,
    ModelEntry,
    StreamEvent,
    complete_text,
)

__all__ = [
    "Backend",
    "ChatRequest",
    "LoadInfo",
    "ModelEntry",
    "StreamEvent",
    "backend_for",
    "complete_text",
]

_cache: dict[tuple[str, str], Backend] = {}


def _foundry(_: str | None, __: str | None) -> Backend:
    from bench.backends.foundry import FoundryBackend

    return FoundryBackend()


def _openai(endpoint: str | None, api_key: str | None) -> Backend:
    from bench.backends.openai_compat import OpenAIBackend

    assert endpoint, "the openai backend needs an endpoint"
    return OpenAIBackend(endpoint, api_key=api_key)


_FACTORIES: dict[str, Callable[[str | None, str | None], Backend]] = {
    "foundry": _foundry,
    "openai": _openai,
}


def backend_for(endpoint: str | None = None, api_key: str | None = None) -> Backend:
    """The in-process Foundry backend, or the OpenAI-compatible one for ``endpoint``."""
    kind = "openai" if endpoint else "foundry"
    key = (kind, endpoint or "")
    if key not in _cache:
        _cache[key] = _FACTORIES[kind](endpoint, api_key)
    return _cache[key]
