"""Files the app writes for the user: endpoints list, user prompt sets and rubric sets.

All under ``.slm-bench/`` (``SLM_BENCH_APP_DIR`` overrides it, so tests never touch the real one):
``endpoints.json``, ``prompts/<name>.json``, ``rubrics/<name>.json``. API keys are never written:
an endpoint names the environment variable that holds its key.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bench import paths
from bench.errors import BenchError
from bench.inputs.config import builtin_prompt_sets_dir, validate

_ENV_RE = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


app_dir = paths.app_dir


def _sub(name: str) -> Path:
    path = app_dir() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_prompts_dir() -> Path:
    return _sub("prompts")


def user_rubrics_dir() -> Path:
    return _sub("rubrics")


def endpoints_file() -> Path:
    return app_dir() / "endpoints.json"


def safe_file_name(name: str, what: str) -> str:
    """A set's name as a file stem; rejects names that would escape the folder."""
    stem = name.strip()
    if not stem or not _NAME_RE.match(stem):
        raise BenchError(
            f"{what} name {name!r}",
            "cannot be used as a file name",
            "use letters, digits, '.', '_' and '-' only (no spaces or slashes)",
        )
    return stem


# ---- endpoints -----------------------------------------------------------------------------------
class Endpoint(BaseModel):
    """An OpenAI-compatible server. ``api_key_env`` is the *name* of an env var, never the key."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60)
    base_url: str
    api_key_env: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not _NAME_RE.match(value):
            raise ValueError("use letters, digits, '.', '_' and '-' only")
        return value

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        from bench.backends.openai_compat import normalize_base_url

        try:
            return normalize_base_url(value)
        except BenchError as exc:
            raise ValueError(f"{exc.what}; {exc.fix}") from None

    @field_validator("api_key_env")
    @classmethod
    def _env(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        if not value:
            return None
        if not _ENV_RE.match(value):
            raise ValueError(
                "give the NAME of an environment variable in capitals (e.g. OPENAI_API_KEY), not the key"
                " itself: keys are never written to disk"
            )
        return value

    @property
    def key_status(self) -> str:
        if not self.api_key_env:
            return "no key"
        from bench.backends.keys import is_set  # the one reader of key variables

        return "set" if is_set(self.api_key_env) else f"${self.api_key_env} is not set"


def load_endpoints() -> list[Endpoint]:
    path = endpoints_file()
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BenchError(str(path), f"cannot be read: {exc}", "fix or delete the file") from None
    items = data.get("endpoints", []) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise BenchError(str(path), "has no 'endpoints' list", "fix or delete the file")
    return [
        validate(Endpoint, item, f"{path}: endpoints.{i}", "fix or delete it") for i, item in enumerate(items)
    ]


def save_endpoints(endpoints: list[Endpoint]) -> None:
    data = {"endpoints": [e.model_dump() for e in endpoints]}
    path = endpoints_file()
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def add_endpoint(name: str, base_url: str, api_key_env: str | None) -> Endpoint:
    endpoint = validate(
        Endpoint,
        {"name": name, "base_url": base_url, "api_key_env": api_key_env},
        "new endpoint",
        "name: letters/digits/.-_; base URL like http://127.0.0.1:8080/v1; key: an env var NAME",
    )
    endpoints = load_endpoints()
    if any(e.name == endpoint.name for e in endpoints):
        raise BenchError(
            f"endpoint name {endpoint.name!r}", "is already used", "pick another name or remove the old one"
        )
    save_endpoints([*endpoints, endpoint])
    return endpoint


def remove_endpoint(name: str) -> None:
    save_endpoints([e for e in load_endpoints() if e.name != name])


def env_endpoint() -> Endpoint | None:
    """``FOUNDRY_LOCAL_ENDPOINT`` (the workshop's variable), shown as an extra endpoint."""
    raw = os.environ.get("FOUNDRY_LOCAL_ENDPOINT")
    if not raw:
        return None
    try:
        return Endpoint(name="FOUNDRY_LOCAL_ENDPOINT", base_url=raw)
    except ValueError:
        return None


def all_endpoints() -> list[Endpoint]:
    extra = env_endpoint()
    saved = load_endpoints()
    return [*saved, extra] if extra and all(e.base_url != extra.base_url for e in saved) else saved


# ---- prompt and rubric sets ----------------------------------------------------------------------
def builtin_rubrics_dir() -> Path:
    return paths.REPO_ROOT / "rubrics" / "data"


def set_files(kind: str) -> dict[str, Path]:
    """``{label: path}`` of built-in and user sets of ``kind`` ('prompts' or 'rubrics')."""
    builtin = builtin_prompt_sets_dir() if kind == "prompts" else builtin_rubrics_dir()
    user = user_prompts_dir() if kind == "prompts" else user_rubrics_dir()
    out: dict[str, Path] = {}
    for path in sorted(builtin.glob("*.json")):
        out[f"{path.stem} (built-in)"] = path
    for path in sorted(user.glob("*.json")):
        out[f"{path.stem} (yours)"] = path
    return out


def is_builtin(path: Path) -> bool:
    return path.parent.resolve() in (builtin_prompt_sets_dir().resolve(), builtin_rubrics_dir().resolve())


def save_set(kind: str, name: str, data: dict[str, Any]) -> Path:
    stem = safe_file_name(name, "prompt set" if kind == "prompts" else "rubric set")
    folder = user_prompts_dir() if kind == "prompts" else user_rubrics_dir()
    path = folder / f"{stem}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
