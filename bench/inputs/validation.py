"""Validation with pydantic, reported the one way every input file is: ``file: path.to.field: what is wrong``.

Every loader (prompt sets, rubric sets, model lists, run flags) goes through :func:`validate`, so a
user who gets a field wrong sees the file, the field and the fix, never a traceback.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from bench.errors import BenchError, plain_message
from bench.escape import one_line

_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]+$")


def check_id(value: str) -> str:
    """The one id rule for prompts and rubric aspects (ids become file names, URL parts and SQL keys)."""
    if not _ID_RE.match(value):
        raise ValueError("use letters, digits and . _ : - only")
    return value


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
