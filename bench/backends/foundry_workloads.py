"""In-process workloads (Foundry Local SDK): conversations, tools, the context window, the model's tokenizer.

The SDK takes earlier turns as message items and function tools through ``add_tool_definition``;
the runtime renders them with the model's chat template and returns calls as ``ToolCallItem``s, which
are stored in the same text form as over HTTP (:mod:`bench.backends.tool_call_text`). A model whose
catalog entry says it cannot call tools, or whose chat template has no place for them (SmolLM2's has
none), is *not supported*: the request is refused before sending with that reason, so the model is
never scored 0 on a task it was never offered. A ``response_format`` json_schema becomes the runtime's
*guidance* (ONNX Runtime GenAI's constrained decoding, llguidance): the session's typed options have no
field for it, so it goes through ``additional_options`` as ``guidance_type``/``guidance_data``, the
native keys the deprecated ``ChatClientSettings.response_format`` is translated to.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from bench.backends.base import ChatRequest
from bench.backends.tool_call_text import render_call


def add_history(req: Any, request: ChatRequest) -> None:
    """Earlier turns, in order, before the prompt's own user turn."""
    from foundry_local_sdk import MessageItem

    for turn in request.history:
        make = MessageItem.assistant if turn["role"] == "assistant" else MessageItem.user
        req.add_item(make(turn["content"]))


def guidance_options(response_format: dict[str, Any] | None) -> dict[str, str]:
    """The native options that make the runtime enforce a json_schema ``response_format`` ({} for none)."""
    if not response_format or response_format.get("type") != "json_schema":
        return {}
    spec = response_format.get("json_schema") or {}
    schema = spec.get("schema", spec) if isinstance(spec, dict) else spec
    data = schema if isinstance(schema, str) else json.dumps(schema)
    return {"guidance_type": "json_schema", "guidance_data": data}


def _template_mentions_tools(folder: str) -> bool:
    for name in ("chat_template.jinja", "tokenizer_config.json"):
        path = Path(folder) / name
        if path.is_file() and "tools" in path.read_text(encoding="utf-8", errors="replace"):
            return True
    return False


def tools_unsupported(model: Any) -> str | None:
    """Why ``model`` cannot be offered tools in-process, or None when it can."""
    if model.supports_tool_calling is False:
        return "its catalog entry says it does not support tool calling"
    if model.supports_tool_calling is None and not _template_mentions_tools(model.get_path()):
        return "its chat template has no tool-call format"
    return None


def register_tools(session: Any, request: ChatRequest) -> None:
    """Offer the request's functions to the session (name, description, parameters as JSON Schema)."""
    for tool in request.tools:
        function = tool["function"]
        session.add_tool_definition(
            function["name"], function.get("description", ""), json.dumps(function.get("parameters", {}))
        )


def tool_call_text(item: Any) -> str:
    """A ``ToolCallItem`` as stored answer text; '' for any other item."""
    from foundry_local_sdk.items import ToolCallItem

    return render_call(item.name, item.arguments) if isinstance(item, ToolCallItem) else ""


@cache
def _tokenizer(folder: str) -> Any:
    try:
        from tokenizers import Tokenizer
    except ImportError:
        return None
    path = Path(folder) / "tokenizer.json"
    return Tokenizer.from_file(str(path)) if path.is_file() else None


def count_tokens(folder: str, text: str) -> int | None:
    """Tokens of ``text`` by the model's own ``tokenizer.json`` (None when the folder has none)."""
    tokenizer = _tokenizer(folder) if folder else None
    return len(tokenizer.encode(text, add_special_tokens=False).ids) if tokenizer is not None else None


def context_length(model: Any) -> int | None:
    """The model's context window in tokens: the catalog's, else its genai_config's ``max_length``."""
    if model.context_length:
        return int(model.context_length)
    config = Path(model.get_path()) / "genai_config.json" if model.is_cached else None
    try:
        data = json.loads(config.read_text()) if config and config.is_file() else {}
        return int(data["model"]["context_length"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
