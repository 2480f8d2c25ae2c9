"""Input files and run settings, validated with pydantic.

Accepts SLM Bench's own formats and the workshop's: a prompt file may be a bare JSON list of
strings, a list of ``{id, prompt, aspects}`` objects, or ``{"name": ..., "prompts": [...]}``; a
model file may be the workshop's ``{alias: {capabilities: [...], size_mb: ...}}``. Every problem is
reported as ``file: path.to.field: what is wrong`` through :class:`bench.errors.BenchError`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bench.checks.spec import Check
from bench.errors import BenchError, plain_message
from bench.escape import one_line

_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]+$")


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
    #: deterministic pass/fail tests of the answer (bench.checks.spec); results are a score source
    checks: list[Check] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id_chars(cls, value: str) -> str:
        if not _ID_RE.match(value):
            raise ValueError("use letters, digits and . _ : - only")
        return value

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
    prompts: list[PromptItem] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> PromptSet:
        check_unique_ids("prompt", [item.id for item in self.prompts])
        return self

    def by_id(self) -> dict[str, PromptItem]:
        return {p.id: p for p in self.prompts}


class ModelSpec(BaseModel):
    """A model to benchmark. ``backend`` is ``foundry`` (in-process) or ``openai`` (HTTP)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    backend: Literal["foundry", "openai"] = "foundry"
    endpoint: str | None = None
    #: the environment variable holding this endpoint's API key (the key itself is never stored)
    api_key_env: str | None = None
    capabilities: list[str] = Field(default_factory=list)
    size_mb: float | None = None
    license: str | None = None


class ModelEndpoint(BaseModel):
    """Where one model of a mixed run is served: an OpenAI-compatible base URL and its key variable."""

    model_config = ConfigDict(extra="forbid")

    endpoint: str = Field(min_length=1)
    api_key_env: str | None = None


class ModelList(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: list[ModelSpec] = Field(min_length=1)


class RunSettings(BaseModel):
    """Everything that decides what a run measures. Stored with the run, so it can be resumed."""

    model_config = ConfigDict(extra="forbid")

    models: list[str] = Field(min_length=1)
    rounds: int = Field(default=3, ge=1, le=1000)
    warmup: int = Field(default=1, ge=0, le=100)
    stream: bool = True
    max_tokens: int = Field(default=128, ge=1, le=32768)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    seed: int | None = 42
    endpoint: str | None = None
    api_key_env: str | None = None
    label: str = ""
    #: tries after the first for HTTP 429/502/503/504, connection errors, timeouts, cut streams
    retries: int = Field(default=3, ge=0, le=10)
    #: first wait between tries (doubles each time; a server's Retry-After wins)
    retry_backoff_s: float = Field(default=0.5, ge=0.0, le=60.0)
    #: the whole request (first byte to last token) must end within this; a stalled stream fails
    request_timeout_s: float = Field(default=300.0, gt=0.0, le=3600.0)
    #: False sends llama.cpp's ``cache_prompt: false`` (other servers: see README, Reliability)
    prompt_cache: bool = True
    #: a mixed run: these models run against their own endpoint, the others in-process (or ``endpoint``)
    model_endpoints: dict[str, ModelEndpoint] = Field(default_factory=dict)

    @field_validator("models")
    @classmethod
    def _clean_models(cls, value: list[str]) -> list[str]:
        names = [m.strip() for m in value if m.strip()]
        if not names:
            raise ValueError("pick at least one model (pass --models NAME[,NAME])")
        if len(set(names)) != len(names):
            raise ValueError("a model is listed twice")
        return names


def format_validation_error(source: str, error: ValidationError) -> str:
    """``file: path.to.field: what is wrong`` for every problem pydantic found."""
    lines = []
    for err in error.errors():
        loc = ".".join(str(part) for part in err["loc"]) or "(top level)"
        lines.append(one_line(f"{source}: {loc}: {plain_message(err)}"))
    return "\n".join(lines)


def validate(model: type[BaseModel], data: Any, source: str, fix: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BenchError(source, "invalid\n" + format_validation_error(source, exc), fix) from None


def read_json(path: str | Path, what: str) -> Any:
    """Read a JSON file, turning every failure into a BenchError that names the file."""
    path = Path(path)
    if not path.exists():
        raise BenchError(
            str(path),
            f"{what} file not found",
            f"check the path (cwd is {os.getcwd()})",
        )
    if path.is_dir():
        raise BenchError(
            str(path),
            f"is a folder, not a {what} JSON file",
            "pass the .json file itself",
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise BenchError(str(path), "is not UTF-8 text", f"save the {what} file as UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise BenchError(
            str(path),
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            "fix the JSON syntax (a trailing comma or a missing quote is the usual cause)",
        ) from None


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


PROMPT_SUFFIXES = (".json", ".jsonl", ".csv")


def load_prompt_set(path: str | Path) -> PromptSet:
    """A prompt set from JSON, JSONL (one prompt object per line) or CSV (``id,prompt[,system,reference]``)."""
    path = Path(path)
    if path.suffix.lower() in (".jsonl", ".csv"):
        from bench import prompt_formats

        return prompt_formats.load_prompt_file(path)
    return prompt_set_from_data(read_json(path, "prompt"), str(path), name=path.stem)


def model_list_from_data(data: Any, source: str) -> ModelList:
    """Accept ``{"models": [...]}``, a list of names/specs, or the workshop's alias map."""
    if isinstance(data, dict) and "models" not in data:
        data = {
            "models": [
                {"name": alias, **(spec if isinstance(spec, dict) else {})} for alias, spec in data.items()
            ]
        }
    elif isinstance(data, list):
        data = {"models": [{"name": m} if isinstance(m, str) else m for m in data]}
    return validate(ModelList, data, source, "see README 'How to add a model' for the format")


def load_model_list(path: str | Path) -> ModelList:
    return model_list_from_data(read_json(path, "model list"), str(path))


def builtin_prompt_sets_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "prompts"


def user_prompt_sets_dir() -> Path:
    """Where the app saves prompt sets (``.slm-bench/prompts``); the CLI finds them by name too."""
    from bench import paths

    return paths.app_dir() / "prompts"


def resolve_prompt_set(ref: str | Path) -> PromptSet:
    """A path, a built-in set under ``prompts/`` (``workshop``, ``meeting-notes``) or a set saved by the app."""
    path = Path(ref)
    if path.exists() or path.suffix.lower() in PROMPT_SUFFIXES:
        return load_prompt_set(path)
    folders = (builtin_prompt_sets_dir(), user_prompt_sets_dir())
    for folder in folders:
        for suffix in PROMPT_SUFFIXES:
            candidate = folder / f"{ref}{suffix}"
            if candidate.exists():
                return load_prompt_set(candidate)
    known = sorted({p.stem for d in folders for p in d.glob("*") if p.suffix.lower() in PROMPT_SUFFIXES})
    raise BenchError(
        str(ref),
        "prompt file not found",
        f"pass a .json, .jsonl or .csv file or a known set: {', '.join(known)}",
    )


def models_from_env() -> list[str]:
    """The workshop's ``BENCH_MODELS`` (comma list)."""
    return [m.strip() for m in os.environ.get("BENCH_MODELS", "").split(",") if m.strip()]


def stream_from_env(default: bool = True) -> bool:
    raw = os.environ.get("BENCH_STREAM")
    return default if raw is None else raw.strip().lower() in {"1", "true", "yes", "on"}


def endpoint_from_env() -> str | None:
    return os.environ.get("FOUNDRY_LOCAL_ENDPOINT") or None
