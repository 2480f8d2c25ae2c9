"""Prompt-set and rubric-set tables for ``st.data_editor``, and validation errors mapped to cells.

Validation itself is ``bench.inputs.config.prompt_set_from_data`` and ``rubrics.schema.rubric_set_from_data``;
this module only converts between their JSON shape and an editable table, and turns their
``source: prompts.2.prompt: what`` lines into "row 3, column prompt: what".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from bench.errors import BenchError
from bench.units import is_missing

PROMPT_COLUMNS = ["id", "prompt", "aspects", "system", "reference"]
ANCHOR_COLUMNS = [f"anchor_{score}" for score in range(1, 6)]
RUBRIC_COLUMNS = ["id", "name", "description", *ANCHOR_COLUMNS]

_LINE = re.compile(r"^(?P<source>.*?): (?P<loc>[\w.()\- ]+?): (?P<msg>.*)$")


@dataclass(frozen=True)
class CellError:
    row: int | None  # 1-based row of the table, None for the whole set
    column: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return f"{self.column}: {self.message}" if self.column else self.message
        return f"row {self.row}, column `{self.column}`: {self.message}"


def _row_numbers(table: pd.DataFrame) -> list[int]:
    """The row numbers the editor shows (its index, 1-based); position for rows without one."""
    out = []
    for position, label in enumerate(table.index, start=1):
        try:
            out.append(int(label))
        except (TypeError, ValueError):
            out.append(position)
    return out


def _numbered(frame: pd.DataFrame) -> pd.DataFrame:
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame


def _text(value: Any) -> str:
    return "" if is_missing(value) else str(value).strip()


# ---- prompt sets -----------------------------------------------------------------------------------
def prompt_table(data: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for item in data.get("prompts", []):
        rows.append(
            {
                "id": item.get("id", ""),
                "prompt": item.get("prompt", ""),
                "aspects": ", ".join(item.get("aspects") or []),
                "system": item.get("system") or "",
                "reference": item.get("reference") or "",
            }
        )
    return _numbered(pd.DataFrame(rows, columns=PROMPT_COLUMNS).astype(str))


def prompt_data(name: str, description: str, table: pd.DataFrame) -> tuple[dict[str, Any], list[str]]:
    """The table as prompt-set JSON; blank rows dropped, blank ids filled as ``p<row>``."""
    prompts, notes = [], []
    for index, row in zip(_row_numbers(table), table.to_dict("records"), strict=True):
        values = {col: _text(row.get(col)) for col in PROMPT_COLUMNS}
        if not any(values.values()):
            continue
        item: dict[str, Any] = {"id": values["id"], "prompt": values["prompt"]}
        if not item["id"]:
            item["id"] = f"p{index}"
            notes.append(f"row {index}: blank id filled as `{item['id']}`")
        item["aspects"] = [a.strip() for a in values["aspects"].split(",") if a.strip()]
        for optional in ("system", "reference"):
            if values[optional]:
                item[optional] = values[optional]
        prompts.append(item)
    return {"name": name.strip() or "prompts", "description": description.strip(), "prompts": prompts}, notes


# ---- rubric sets -----------------------------------------------------------------------------------
def rubric_table(data: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for aspect in data.get("aspects", []):
        anchors = {str(k): v for k, v in (aspect.get("anchors") or {}).items()}
        rows.append(
            {
                "id": aspect.get("id", ""),
                "name": aspect.get("name", ""),
                "description": aspect.get("description", ""),
                **{f"anchor_{s}": anchors.get(str(s), "") for s in range(1, 6)},
            }
        )
    return _numbered(pd.DataFrame(rows, columns=RUBRIC_COLUMNS).astype(str))


def rubric_data(name: str, description: str, table: pd.DataFrame) -> dict[str, Any]:
    aspects = []
    for row in table.to_dict("records"):
        values = {col: _text(row.get(col)) for col in RUBRIC_COLUMNS}
        if not any(values.values()):
            continue
        aspects.append(
            {
                "id": values["id"],
                "name": values["name"],
                "description": values["description"],
                "anchors": {str(s): values[f"anchor_{s}"] for s in range(1, 6)},
            }
        )
    return {"name": name.strip(), "description": description.strip(), "aspects": aspects}


# ---- errors -> cells ---------------------------------------------------------------------------------
_TWICE = re.compile(r"id '(?P<id>[^']*)' appears twice")


def cell_errors(
    error: BenchError, list_key: str, keep_rows: list[int] | None = None, ids: list[str] | None = None
) -> list[CellError]:
    """Map ``source: <list_key>.<i>.<field>[.<sub>]: msg`` lines to table cells.

    ``keep_rows`` maps the i-th item of the validated list back to its 1-based table row (blank
    rows are dropped before validation, so the two can differ). ``ids`` (the items' ids, in that
    order) lets a duplicate-id error, which pydantic reports for the whole set, name both rows.
    """
    out: list[CellError] = []
    for line in error.what.splitlines()[1:] or [error.what]:
        match = _LINE.match(line.strip())
        if not match:
            if line.strip() and line.strip() != "invalid":
                out.append(CellError(None, "", line.strip()))
            continue
        parts = match["loc"].split(".")
        msg = match["msg"]
        twice = _TWICE.search(msg)
        if twice and ids is not None:
            out.extend(_duplicate(twice["id"], ids, keep_rows))
            continue
        if parts[0] == list_key and len(parts) >= 2 and parts[1].isdigit():
            index = int(parts[1])
            row = keep_rows[index] if keep_rows and index < len(keep_rows) else index + 1
            field = parts[2] if len(parts) > 2 else "(row)"
            if field == "anchors" and len(parts) > 3:
                field = f"score {parts[3]}"
            out.append(CellError(row, field, msg))
        else:
            column = "" if parts[0] in ("(top level)",) else ".".join(parts)
            out.append(CellError(None, column, msg))
    return out


def kept_rows(table: pd.DataFrame, columns: list[str]) -> list[int]:
    """Row numbers (as the editor shows them) of the rows that are not blank, in order."""
    rows = []
    for index, row in zip(_row_numbers(table), table.to_dict("records"), strict=True):
        if any(_text(row.get(col)) for col in columns):
            rows.append(index)
    return rows


def _duplicate(item_id: str, ids: list[str], keep_rows: list[int] | None) -> list[CellError]:
    """Every row after the first that repeats ``item_id``, pointing back at the first."""
    rows = [
        keep_rows[i] if keep_rows and i < len(keep_rows) else i + 1 for i, v in enumerate(ids) if v == item_id
    ]
    if len(rows) < 2:
        return [CellError(None, "id", f"`{item_id}` appears twice; ids must be unique")]
    return [
        CellError(r, "id", f"`{item_id}` is already the id of row {rows[0]}; ids must be unique")
        for r in rows[1:]
    ]


# ---- rows the editor added -----------------------------------------------------------------------
def unnumbered(table: pd.DataFrame) -> bool:
    """True when the editor added rows: it shows "None" as their number until the table is renumbered."""
    for label in table.index:
        try:
            int(label)
        except (TypeError, ValueError):
            return True
    return list(table.index) != list(range(1, len(table) + 1))


def prompt_rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Every row (blank ones too) as prompt-set items, to reload the editor numbered 1..n."""
    rows = []
    for row in table.to_dict("records"):
        values = {col: _text(row.get(col)) for col in PROMPT_COLUMNS}
        values["aspects"] = [a.strip() for a in values["aspects"].split(",") if a.strip()]  # type: ignore[assignment]
        rows.append(values)
    return rows


def rubric_rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Every row (blank ones too) as rubric aspects, to reload the editor numbered 1..n."""
    rows = []
    for row in table.to_dict("records"):
        values = {col: _text(row.get(col)) for col in RUBRIC_COLUMNS}
        anchors = {str(s): values.pop(f"anchor_{s}") for s in range(1, 6)}
        rows.append({**values, "anchors": anchors})
    return rows
