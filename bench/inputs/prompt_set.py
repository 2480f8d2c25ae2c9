"""Prompt sets: the schema (:class:`PromptSet` of :class:`PromptItem`) and the JSON shapes it accepts.

SLM Bench's own format and the workshop's: a bare JSON list of strings, a list of
``{id, prompt, aspects}`` objects, or ``{"name": ..., "prompts": [...]}``. JSONL and CSV files are
read by :mod:`bench.inputs.prompt_formats`; both land here.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bench.errors import BenchError
from bench.inputs.check_spec import Check
from bench.inputs.validation import check_id, validate
from bench.inputs.workloads import Conversation, ResponseFormat, Tools, Workload


def check_unique_ids(kind: str, ids: list[str]) -> None:
    """Raise (for pydantic to report) when an id appears twice: answers and scores are keyed by it."""
    seen: set[str] = set()
    for item_id in ids:
        if item_id in seen:
            raise ValueError(f"{kind} id {item_id!r} appears twice; ids must be unique")
        seen.add(item_id)


class PromptItem(BaseModel):
    """One prompt of a set; ``aspects`` names the rubric aspects that apply to its answers."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=80)
    prompt: str = Field(min_length=1)
    aspects: list[str] = Field(default_factory=list)
    system: str | None = None
    reference: str | None = None
    #: deterministic pass/fail tests of the answer (bench.inputs.check_spec); results are a score source
    checks: list[Check] = Field(default_factory=list)
    #: what the prompt stands for (bench.inputs.workloads): None inherits the set's
    workload: Workload | None = None
    #: earlier turns of a conversation (user first, assistant last); ``prompt`` is the next user turn
    messages: Conversation = Field(default_factory=list)
    #: functions the model may call (OpenAI ``tools``), and the JSON schema the answer must fit
    tools: Tools = Field(default_factory=list)
    response_format: ResponseFormat | None = None

    @field_validator("id")
    @classmethod
    def _id_chars(cls, value: str) -> str:
        return check_id(value)

    @field_validator("prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("prompt is blank")
        return value


class PromptSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "prompts"
    description: str = ""
    #: lets ``python_tests`` checks run the answers' code (in the sandbox); off unless the set says so
    allow_code_execution: bool = False
    #: the workload of every prompt that names none (bench.inputs.workloads)
    workload: Workload | None = None
    prompts: list[PromptItem] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> PromptSet:
        check_unique_ids("prompt", [item.id for item in self.prompts])
        return self

    def workload_of(self, item: PromptItem) -> str | None:
        """The prompt's own workload, else the set's."""
        return item.workload or self.workload

    def by_id(self) -> dict[str, PromptItem]:
        return {p.id: p for p in self.prompts}


def prompt_set_from_data(data: Any, source: str, name: str = "prompts") -> PromptSet:
    """Normalise the three accepted prompt formats, then validate."""
    if isinstance(data, list):
        items = [
            {"id": f"p{i + 1}", "prompt": entry} if isinstance(entry, str) else entry
            for i, entry in enumerate(data)
        ]
        data = {"name": name, "prompts": items}
    elif isinstance(data, dict) and "prompts" in data:
        data = {"name": name, **data}
    else:
        raise BenchError(
            source,
            "is not a prompt set",
            'use a JSON list of strings, or {"name": ..., "prompts": [{"id": ..., "prompt": ...}]}',
        )
    fix = "each prompt needs a unique id and a non-empty prompt text; the set needs at least one"
    return validate(PromptSet, data, source, fix)
