"""The chat-completions wire format, in one place: the request body we send and how a reply is read.

The HTTP backend (one request at a time, timed live) and the load engine (hundreds in flight, lines
parsed after each level) send the same body and read replies by the same rules, so a load run and a
benchmark run of the same settings ask the server the same thing and end a stream the same way.

- :func:`chat_body` builds the body from a :class:`ChatRequest`; a new request option is one line in
  :func:`_optional_fields` (and a field on ``ChatRequest``).
- :func:`sse_events` turns timestamped ``data:`` lines into :class:`StreamEvent`s and raises
  :class:`StreamCut` when the stream ended without a finish reason, usage or ``[DONE]``
  (:func:`bench.backends.base.answer_finished` is the one rule for "ended properly").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from bench.backends.base import ChatRequest, StreamEvent, ends_answer
from bench.backends.tool_call_text import ToolCallDeltas, whole_message_text

SERVER_TIMING_KEYS = (
    "timings",
    "eval_count",
    "eval_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "load_duration",
)
#: what every reader says when a stream stops before the server said it ended
CUT_SHORT = "the stream ended without a finish reason, usage or [DONE] (the answer is cut short)"


class StreamCut(Exception):
    """The body ended before a finish reason, usage or ``[DONE]``: the answer is incomplete."""

    def __init__(self) -> None:
        super().__init__(CUT_SHORT)


# ---- the request ----------------------------------------------------------------------------------
def chat_body(request: ChatRequest, include_usage: bool = True) -> dict[str, Any]:
    """The JSON body of ``POST /v1/chat/completions`` for ``request`` (the only place it is built)."""
    body: dict[str, Any] = {
        "model": request.model,
        "messages": request.messages(),
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "stream": request.stream,
    }
    body.update(_optional_fields(request, include_usage))
    return body


def _optional_fields(request: ChatRequest, include_usage: bool) -> dict[str, Any]:
    """Fields sent only when the request sets them; servers that do not know one ignore it."""
    fields: dict[str, Any] = {}
    if request.seed is not None:
        fields["seed"] = request.seed
    if request.stream and include_usage:
        fields["stream_options"] = {"include_usage": True}  # token counts from the server itself
    if not request.prompt_cache:
        fields["cache_prompt"] = False  # llama.cpp: do not reuse the prompt cache
    if request.tools:
        fields["tools"] = list(request.tools)  # the model may answer with tool_calls
    if request.response_format:
        fields["response_format"] = request.response_format  # constrained JSON where the server has it
    return fields


# ---- the reply ------------------------------------------------------------------------------------
def decode_sse_payload(payload: str) -> dict[str, Any] | None:
    """One SSE ``data:`` payload: the chunk, or None for ``[DONE]``.

    Raises ValueError naming a malformed chunk or an error the server sent mid-stream.
    """
    if payload == "[DONE]":
        return None
    try:
        chunk = json.loads(payload)
    except ValueError:
        chunk = None
    if not isinstance(chunk, dict):
        raise ValueError(f"malformed chunk from server: {payload[:120]!r}")
    if "error" in chunk:
        raise ValueError(f"server error mid-stream: {chunk['error']}")
    return chunk


def sse_events(lines: Iterable[tuple[int, str]]) -> Iterator[StreamEvent]:
    """Events of an SSE reply from ``(arrival ns, line)`` pairs; the first line is the first byte.

    ``[DONE]`` ends the answer: when no finish reason or usage came before it, it is yielded as a
    ``finish`` event without a reason, so :func:`~bench.backends.base.answer_finished` reads any event
    list the same way. Raises ValueError (malformed chunk, mid-stream error) or :class:`StreamCut`.
    """
    first, ended = True, False
    calls = ToolCallDeltas()  # streamed tool_calls become text as they arrive (bench.backends.tool_call_text)
    for t, line in lines:
        if first:
            yield StreamEvent("first_byte", t)
            first = False
        line = line.strip()
        if not line.startswith("data:"):
            continue
        chunk = decode_sse_payload(line[5:].strip())
        if chunk is None:
            if calls.open_index is not None:
                yield StreamEvent("content", t, text=calls.close())
            if not ended:
                yield StreamEvent("finish", t, data={"finish_reason": "", "ended_by": "[DONE]"})
            return
        for event in chunk_events(chunk, t, message_key="delta", calls=calls):
            ended = ended or ends_answer(event)
            yield event
    if not ended:
        raise StreamCut()


def chunk_events(
    chunk: dict[str, Any], t: int, message_key: str, calls: ToolCallDeltas | None = None
) -> Iterator[StreamEvent]:
    """The events one chunk (``delta``) or one whole reply (``message``) holds, stamped ``t``.

    Tool calls arrive as ``content`` text (:mod:`bench.backends.tool_call_text`): a streamed call's
    pieces through ``calls`` as they come, a whole reply's calls at once."""
    for choice in chunk.get("choices") or []:
        if not isinstance(choice, dict):
            continue
        message = choice.get(message_key) or {}
        if not isinstance(message, dict):
            continue
        reasoning = message.get("reasoning_content") or message.get("reasoning")
        if reasoning:
            yield StreamEvent("reasoning", t, text=str(reasoning))
        if message.get("content"):
            yield StreamEvent("content", t, text=str(message["content"]))
        elif message.get("role") and not reasoning and not message.get("tool_calls"):
            yield StreamEvent("role", t)
        called = calls.feed(message.get("tool_calls")) if calls else whole_message_text(message)
        if called:
            yield StreamEvent("content", t, text=called)
        if choice.get("finish_reason") and calls and calls.open_index is not None:
            yield StreamEvent("content", t, text=calls.close())
        if choice.get("finish_reason"):
            yield StreamEvent("finish", t, data={"finish_reason": str(choice["finish_reason"])})
    usage = chunk.get("usage")
    if isinstance(usage, dict) and usage:
        data = {k: usage[k] for k in ("prompt_tokens", "completion_tokens") if isinstance(usage.get(k), int)}
        details = usage.get("prompt_tokens_details")
        if isinstance(details, dict) and isinstance(details.get("cached_tokens"), int):
            data["cached_tokens"] = details["cached_tokens"]
        yield StreamEvent("usage", t, data=data)
    timings = server_timings(chunk)
    if timings:
        yield StreamEvent("server_timings", t, data=timings)


def server_timings(chunk: dict[str, Any]) -> dict[str, Any]:
    """llama.cpp ``timings`` or Ollama-style duration fields, flattened."""
    out: dict[str, Any] = {}
    if isinstance(chunk.get("timings"), dict):
        out.update(chunk["timings"])
    for key in SERVER_TIMING_KEYS[1:]:
        if key in chunk:
            out[key] = chunk[key]
    return out
