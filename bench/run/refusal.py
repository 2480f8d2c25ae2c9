"""Requests refused before sending: a prompt longer than the model's context window, tools it cannot take.

A model is never scored on a request it could not have answered: an 8k-token document sent to a model
with an 8k window (plus the tokens it may generate) would be cut or rejected, and a model without a
tool-call format cannot be offered tools. Such a request is stored with the outcome ``refused`` and
the reason in words; it enters no statistic and no pass rate, and resume does not retry it.

A server that answers tools with an error that names them (:func:`rejected_tools`) is read the same way
after the fact: *not supported*, not a failure, not retried.

Backends opt in by duck typing: ``context_length(model)`` (tokens, or None when unknown) and
``tools_refusal(request)`` (the reason, or None). The prompt is counted with the backend's
``count_tokens`` (the model's own tokenizer); when either number is unknown, the request is sent.
"""

from __future__ import annotations

from bench.backends import Backend, ChatRequest

#: (backend kind, base URL, model) -> its context window: asked once per process, not per request
_LIMITS: dict[tuple[str, str, str], int | None] = {}


def _limit(backend: Backend, model: str) -> int | None:
    key = (backend.kind, str(getattr(backend, "base_url", "")), model)
    if key not in _LIMITS:
        limit_of = getattr(backend, "context_length", None)
        _LIMITS[key] = limit_of(model) if limit_of else None
    return _LIMITS[key]


def rejected_tools(request: ChatRequest, http_status: int | None, error: str | None) -> str | None:
    """A server that answered a request with tools by an error naming them (Ollama: "does not support
    tools"; llama-server started without ``--jinja``): the model cannot be offered tools there."""
    if request.tools and http_status in (400, 500, 501) and "tool" in (error or "").lower():
        return f"not supported: the server refused tools for {request.model} (HTTP {http_status}): {error}"
    return None


def refusal(backend: Backend, request: ChatRequest) -> str | None:
    """Why ``request`` must not be sent to ``backend``, or None."""
    tools = getattr(backend, "tools_refusal", None)
    why = tools(request) if tools else None
    if why:
        return f"not supported: {request.model} cannot be offered tools here ({why})"
    limit = _limit(backend, request.model)
    text = "\n".join(message["content"] for message in request.messages())
    if not limit or len(text.encode()) + request.max_tokens <= limit:
        return None  # unknown, or fits for sure: a byte-level tokenizer makes at most one token per byte
    prompt = backend.count_tokens(request.model, text)
    if prompt is None or prompt + request.max_tokens <= limit:
        return None
    return (
        f"refused before sending: the prompt is {prompt:,} tokens ({request.model}'s tokenizer)"
        f" + {request.max_tokens} to generate, over its context window of {limit:,} tokens"
    )
