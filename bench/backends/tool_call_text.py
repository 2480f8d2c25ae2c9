"""Tool calls as answer text: one form for every backend, written while streaming, read back by the checks.

A model's tool calls arrive two ways: over HTTP as the API's ``tool_calls`` (streamed as deltas: a
name, then the arguments JSON in pieces), in-process as text in the model's own format (Qwen2.5 and
Hermes write ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``). SLM Bench stores both as
that same text, so one parser scores every backend and the answer a person reads shows the call.

:class:`ToolCallDeltas` turns streamed deltas into that text *as they arrive* (each delta becomes a
content event, so time to first token counts the first piece of a call like any token), and
:func:`parse_tool_calls` reads calls back from any answer: the tagged form, Mistral's
``[TOOL_CALLS] [...]``, or an answer that is nothing but a JSON call (or list of calls), which small
models often write instead. ``attempted`` without ``calls`` is an *unparsed* answer: it tried to call
and what it wrote cannot be read. The text is model output and may be adversarial: it is only parsed
as JSON, never executed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

OPEN, CLOSE = "<tool_call>", "</tool_call>"
_TAGGED = re.compile(r"<tool_call>\s*(?P<body>.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_FENCE = re.compile(r"^```[A-Za-z0-9_+-]*\s*\n(?P<body>.*?)\n?```\s*$", re.DOTALL)
_MARKERS = ("<tool_call>", "[TOOL_CALLS]", "<|python_tag|>", '"arguments"', '"parameters"')


@dataclass(frozen=True)
class ToolCall:
    """One call: the function's name and its arguments (a dict when they parsed as a JSON object)."""

    name: str
    arguments: Any


@dataclass
class ParsedCalls:
    """What an answer called; ``error`` says why an answer that tried to call could not be read."""

    calls: list[ToolCall] = field(default_factory=list)
    attempted: bool = False
    error: str | None = None

    @property
    def unparsed(self) -> bool:
        return self.attempted and self.error is not None


def render_call(name: str, arguments: Any) -> str:
    """The stored text of one call (``arguments`` as the API gave them: a JSON string or an object)."""
    args = arguments if isinstance(arguments, str) and arguments.strip() else json.dumps(arguments or {})
    return f'{OPEN}{{"name": {json.dumps(name)}, "arguments": {args}}}{CLOSE}'


class ToolCallDeltas:
    """Streamed ``delta.tool_calls`` -> text pieces that concatenate to :func:`render_call`'s form.

    Servers send one call after another (index 0's name and argument pieces, then index 1's); a
    piece for a call that was already closed is kept as text too, and the parser reports the answer
    as unparsed rather than guessing.
    """

    def __init__(self) -> None:
        self.open_index: int | None = None
        self.open_has_args = False

    def feed(self, deltas: Any) -> str:
        """The text for this chunk's tool-call deltas ('' when there are none)."""
        out = []
        for delta in deltas if isinstance(deltas, list) else []:
            if not isinstance(delta, dict):
                continue
            function = delta.get("function") if isinstance(delta.get("function"), dict) else {}
            index = delta.get("index", 0 if self.open_index is None else self.open_index)
            named_again = function.get("name") and self.open_has_args and delta.get("index") is None
            if index != self.open_index or named_again:  # a new call (some servers repeat the name)
                out.append(self.close())
                self.open_index, self.open_has_args = index, False
                out.append(f'{OPEN}{{"name": {json.dumps(str(function.get("name") or ""))}, "arguments": ')
            args = function.get("arguments")
            if args:
                piece = args if isinstance(args, str) else json.dumps(args)
                self.open_has_args = True
                out.append(piece)
        return "".join(out)

    def close(self) -> str:
        """The text that ends the open call ('' when none is open)."""
        if self.open_index is None:
            return ""
        text = ("" if self.open_has_args else "{}") + "}" + CLOSE
        self.open_index, self.open_has_args = None, False
        return text


def whole_message_text(message: dict[str, Any]) -> str:
    """A non-streamed ``message.tool_calls`` as text (what the streamed form concatenates to)."""
    calls = message.get("tool_calls")
    out = []
    for call in calls if isinstance(calls, list) else []:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            out.append(render_call(str(function.get("name") or ""), function.get("arguments")))
    return "".join(out)


def _one(raw: Any) -> ToolCall:
    """A JSON value as one call (``{"name", "arguments"|"parameters"}``, or OpenAI's ``function`` wrapper)."""
    if isinstance(raw, dict) and isinstance(raw.get("function"), dict):
        raw = raw["function"]
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise ValueError("a call is not an object with a name")
    args = raw.get("arguments", raw.get("parameters", {}))
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except json.JSONDecodeError as exc:
            raise ValueError(f"the arguments of {raw['name']!r} are not JSON: {exc.msg}") from None
    if not isinstance(args, dict):
        raise ValueError(f"the arguments of {raw['name']!r} are not a JSON object")
    return ToolCall(raw["name"], args)


def _calls_of(value: Any) -> list[ToolCall]:
    if isinstance(value, dict) and isinstance(value.get("tool_calls"), list):
        value = value["tool_calls"]
    items = value if isinstance(value, list) else [value]
    return [_one(item) for item in items]


def parse_tool_calls(answer: str) -> ParsedCalls:
    """The calls an answer makes; prose without a call is ``ParsedCalls()`` (no call, not unparsed)."""
    text = answer.strip()
    fenced = _FENCE.match(text)
    text = fenced["body"].strip() if fenced else text
    attempted = any(marker in text for marker in _MARKERS)
    if not attempted:
        return ParsedCalls()
    try:
        if OPEN in text:
            calls = []
            for match in _TAGGED.finditer(text):
                calls.extend(_calls_of(json.loads(match["body"])))
            return ParsedCalls(calls, True)
        for marker in ("[TOOL_CALLS]", "<|python_tag|>"):
            text = text.split(marker, 1)[1].strip() if marker in text else text
        return ParsedCalls(_calls_of(json.loads(text)), True)
    except json.JSONDecodeError as exc:
        return ParsedCalls([], True, f"a tool call is not valid JSON: {exc.msg} at column {exc.colno}")
    except ValueError as exc:
        return ParsedCalls([], True, str(exc))
