"""Prompt sets as JSONL and CSV (JSON lives in :mod:`bench.inputs.config`): read with line numbers, write back.

A team's prompts often sit in a spreadsheet or a JSONL export, not in SLM Bench's JSON. Each line
is validated on its own, so a problem is reported as ``file:line: field: what is wrong`` — the line
a user opens in an editor, not an index into a list.

- JSONL: one prompt object per line (``id``, ``prompt``, optional ``system``, ``reference``,
  ``aspects``, ``checks``); blank lines are skipped.
- CSV: a header row with ``id`` and ``prompt``, optional ``system``, ``reference`` and ``aspects``
  (comma-separated in one cell). Checks do not fit a cell: keep them in JSON or JSONL.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bench.errors import BenchError, json_words
from bench.inputs.prompt_set import PromptItem, PromptSet, prompt_set_from_data
from bench.inputs.validation import format_validation_error

CSV_COLUMNS = ("id", "prompt", "system", "reference", "aspects")
_FIX = {
    ".jsonl": 'one JSON object per line, e.g. {"id": "q1", "prompt": "..."}',
    ".csv": "a header row id,prompt[,system,reference,aspects] and one prompt per row",
}


def _text(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BenchError(source, "is not UTF-8 text", "save the file as UTF-8") from None


def _item(raw: Any, where: str, problems: list[str]) -> PromptItem | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: (line): expected a JSON object with id and prompt")
        return None
    try:
        return PromptItem.model_validate(raw)
    except ValidationError as exc:
        problems.extend(format_validation_error(where, exc).splitlines())
        return None


def _finish(items: list[tuple[int, PromptItem]], problems: list[str], source: str, suffix: str) -> PromptSet:
    first_line: dict[str, int] = {}
    for line, item in items:
        if item.id in first_line:
            problems.append(
                f"{source}:{line}: id: prompt id {item.id!r} appears twice (first on line {first_line[item.id]})"
            )
        first_line.setdefault(item.id, line)
    if not items and not problems:
        problems.append(f"{source}: (file): holds no prompts")
    if problems:
        raise BenchError(source, "invalid\n" + "\n".join(problems), _FIX[suffix])
    name = Path(source).stem
    return PromptSet(name=name, prompts=[item for _, item in items])


def parse_jsonl(data: bytes, source: str) -> PromptSet:
    """One prompt object per line; every bad line is reported, not just the first."""
    items: list[tuple[int, PromptItem]] = []
    problems: list[str] = []
    for number, line in enumerate(_text(data, source).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: (line): not valid JSON at column {exc.colno}: {json_words(exc.msg)}")
            continue
        item = _item(raw, where, problems)
        if item is not None:
            items.append((number, item))
    return _finish(items, problems, source, ".jsonl")


def parse_csv(data: bytes, source: str) -> PromptSet:
    """A header row naming the columns, then one prompt per row (quoted cells may span lines)."""
    reader = csv.reader(io.StringIO(_text(data, source), newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in ("id", "prompt") if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if missing or unknown:
        what = "; ".join([f"no {c!r} column" for c in missing] + [f"unknown column {c!r}" for c in unknown])
        raise BenchError(source, f"invalid\n{source}:1: header: {what}", _FIX[".csv"])
    items: list[tuple[int, PromptItem]] = []
    problems: list[str] = []
    start = reader.line_num + 1
    for row in reader:
        where = f"{source}:{start}"
        if any(cell.strip() for cell in row):
            if len(row) > len(header):
                problems.append(f"{where}: (row): {len(row)} cells but the header names {len(header)}")
            else:
                raw: dict[str, Any] = {}
                for column, cell in zip(header, row, strict=False):
                    if column == "aspects":
                        raw["aspects"] = [a.strip() for a in cell.split(",") if a.strip()]
                    elif column in ("id", "prompt") or cell.strip():
                        raw[column] = cell.strip() if column == "id" else cell
                item = _item(raw, where, problems)
                if item is not None:
                    items.append((start, item))
        start = reader.line_num + 1
    return _finish(items, problems, source, ".csv")


def parse_prompt_bytes(data: bytes, source: str) -> PromptSet:
    """A prompt set from a file's bytes, by its extension (.json, .jsonl, .csv)."""
    suffix = Path(source).suffix.lower()
    if suffix == ".jsonl":
        return parse_jsonl(data, source)
    if suffix == ".csv":
        return parse_csv(data, source)
    try:
        raw = json.loads(_text(data, source))
    except json.JSONDecodeError as exc:
        raise BenchError(
            source,
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            "fix the JSON syntax (a trailing comma or a missing quote is the usual cause)",
        ) from None
    return prompt_set_from_data(raw, source, name=Path(source).stem)


def load_prompt_file(path: str | Path) -> PromptSet:
    """Read a .json, .jsonl or .csv prompt file; every problem names the file and line."""
    path = Path(path)
    if not path.is_file():
        raise BenchError(str(path), "prompt file not found", "check the path")
    return parse_prompt_bytes(path.read_bytes(), str(path))


# ---- export ------------------------------------------------------------------------------------------
def _plain(item: PromptItem) -> dict[str, Any]:
    return item.model_dump(exclude_none=True, exclude_defaults=True, by_alias=True) | {
        "id": item.id,
        "prompt": item.prompt,
    }


def to_jsonl(prompt_set: PromptSet) -> str:
    """One prompt object per line (checks included); the set's name and flags do not fit in JSONL."""
    return "".join(json.dumps(_plain(item), ensure_ascii=False) + "\n" for item in prompt_set.prompts)


def to_csv(prompt_set: PromptSet) -> str:
    """``id,prompt,system,reference,aspects``; checks are left out (they do not fit a cell)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for item in prompt_set.prompts:
        writer.writerow(
            [item.id, item.prompt, item.system or "", item.reference or "", ", ".join(item.aspects)]
        )
    return buffer.getvalue()
