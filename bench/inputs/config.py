"""Input files and run settings, validated with pydantic.

Accepts SLM Bench's own formats and the workshop's: a prompt file may be a bare JSON list of
strings, a list of ``{id, prompt, aspects}`` objects, or ``{"name": ..., "prompts": [...]}``; a
model file may be the workshop's ``{alias: {capabilities: [...], size_mb: ...}}``. Every problem is
reported as ``file: path.to.field: what is wrong`` through :class:`bench.errors.BenchError`.

The prompt-set schema lives in :mod:`bench.inputs.prompt_set`, JSONL/CSV prompt files in
:mod:`bench.inputs.prompt_formats`, the validation helpers in :mod:`bench.inputs.validation`; this module keeps
the model lists, the run settings and where prompt sets are found, and re-exports the rest.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
)

from bench.errors import BenchError
from bench.inputs.prompt_set import PromptItem, PromptSet, check_unique_ids, prompt_set_from_data
from bench.inputs.validation import format_validation_error, read_json, validate

# re-exported: the prompt-set schema and the validation helpers have their own modules
__all__ = [
    "PROMPT_SUFFIXES",
    "ModelEndpoint",
    "ModelList",
    "ModelSpec",
    "PromptItem",
    "PromptSet",
    "RunSettings",
    "builtin_prompt_sets_dir",
    "check_unique_ids",
    "endpoint_from_env",
    "format_validation_error",
    "load_model_list",
    "load_prompt_set",
    "model_list_from_data",
    "models_from_env",
    "prompt_set_from_data",
    "read_json",
    "resolve_prompt_set",
    "stream_from_env",
    "user_prompt_sets_dir",
    "validate",
]  # fmt: skip


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


PROMPT_SUFFIXES = (".json", ".jsonl", ".csv")


def load_prompt_set(path: str | Path) -> PromptSet:
    """A prompt set from JSON, JSONL (one prompt object per line) or CSV (``id,prompt[,system,reference]``)."""
    path = Path(path)
    if path.suffix.lower() in (".jsonl", ".csv"):
        from bench.inputs import prompt_formats

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
    return Path(__file__).resolve().parents[2] / "prompts"


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
