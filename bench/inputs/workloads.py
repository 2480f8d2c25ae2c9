"""What a prompt sends besides its text: a workload name, earlier turns, tools and a response format.

A feature does not send one short user message: it sends a long document, asks for JSON that fits a
schema, offers the app's functions as OpenAI ``tools``, or continues a conversation. These are the
parts of a :class:`bench.inputs.prompt_set.PromptItem` that say so, validated here so a bad tool
definition or a schema that does not compile is reported as ``file: prompts.3.tools.0.function.name:
...`` when the set is loaded, never in the middle of a run.

- ``workload``: one of :data:`WORKLOADS` (set-wide or per prompt); results are grouped by it.
- ``messages``: the earlier turns of a conversation (user, assistant, user, ..., assistant); the
  prompt's own ``prompt`` is the next user turn. A multi-turn conversation is a run of prompts whose
  message lists grow by one exchange each, so every turn is measured on its own.
- ``tools``: function definitions in the OpenAI ``tools`` format (``parameters`` is a JSON Schema).
- ``response_format``: ``{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

Workload = Literal["long-context", "json-output", "tool-calls", "multi-turn"]
WORKLOADS: tuple[str, ...] = ("long-context", "json-output", "tool-calls", "multi-turn")
#: the one-line description the Run page and the reports show for each workload
WORKLOAD_DESCRIPTIONS: dict[str, str] = {
    "long-context": "a fact planted at varied depths of a 512 to 8k-token document: prefill cost and recall",
    "json-output": "extraction into a JSON schema, sent with response_format where the backend takes it",
    "tool-calls": "OpenAI-format tools: the right function and arguments, no call, or two calls",
    "multi-turn": "conversations of 4 to 8 turns sent as growing message lists: TTFT and cache per turn",
}
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_json_schema(value: dict[str, Any]) -> dict[str, Any]:
    """A schema that does not compile fails at load time, in jsonschema's words turned into one line."""
    from jsonschema import SchemaError, validators

    try:
        validators.validator_for(value).check_schema(value)
    except SchemaError as exc:
        raise ValueError(f"not a valid JSON Schema: {exc.message}") from None
    return value


class Turn(BaseModel):
    """One earlier message of a conversation."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str = Field(min_length=1)


def _alternates(turns: list[Turn]) -> list[Turn]:
    """user, assistant, user, ..., assistant: the prompt itself is the next user turn."""
    for i, turn in enumerate(turns):
        want = "user" if i % 2 == 0 else "assistant"
        if turn.role != want:
            raise ValueError(
                f"message {i} is {turn.role!r} but should be {want!r} (turns alternate, user first)"
            )
    if turns and turns[-1].role != "assistant":
        raise ValueError("the last earlier message must be the assistant's: the prompt is the next user turn")
    return turns


Conversation = Annotated[list[Turn], AfterValidator(_alternates)]


class FunctionSpec(BaseModel):
    """A function the model may call: name, what it does, and its arguments as a JSON Schema."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _TOOL_NAME.match(value):
            raise ValueError("use 1-64 letters, digits, _ or - (the OpenAI rule for function names)")
        return value

    @field_validator("parameters")
    @classmethod
    def _schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_json_schema(value)
        if value.get("type") != "object":
            raise ValueError('parameters must be a JSON Schema with "type": "object"')
        return value


class ToolSpec(BaseModel):
    """One entry of the OpenAI ``tools`` list."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["function"] = "function"
    function: FunctionSpec


def _unique_tools(tools: list[ToolSpec]) -> list[ToolSpec]:
    names = [t.function.name for t in tools]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"tool {twice[0]!r} is defined twice; names must be unique")
    return tools


Tools = Annotated[list[ToolSpec], AfterValidator(_unique_tools)]


class JsonSchemaSpec(BaseModel):
    """The ``json_schema`` member of a response format: a name and the schema the answer must fit."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    name: str = Field(default="answer", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    schema_: dict[str, Any] = Field(alias="schema")
    strict: bool = True

    @field_validator("schema_")
    @classmethod
    def _schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_json_schema(value)


class ResponseFormat(BaseModel):
    """``response_format`` as OpenAI-compatible servers take it (constrained JSON decoding)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["json_schema"] = "json_schema"
    json_schema: JsonSchemaSpec

    def body(self) -> dict[str, Any]:
        """The request-body value (the schema under its wire name ``schema``)."""
        return self.model_dump(by_alias=True)


def tools_body(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    """The request-body ``tools`` list."""
    return [tool.model_dump() for tool in tools]


def request_fields(item: Any) -> dict[str, Any]:
    """What a prompt adds to its :class:`bench.backends.base.ChatRequest` (earlier turns, tools, format)."""
    return {
        "history": tuple(turn.model_dump() for turn in item.messages),
        "tools": tuple(tools_body(item.tools)),
        "response_format": item.response_format.body() if item.response_format else None,
    }
