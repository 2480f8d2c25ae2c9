"""Tables that say "—" for a missing number instead of Streamlit's grey "None".

Streamlit draws a null cell of a number column as "None" whatever the format or a Styler's
``na_rep`` says (checked in the browser), which reads as a bug to a user. :func:`dashed` turns
every number column that has a missing value into right-aligned text in the column's own format,
with "—" for the missing cells; complete columns stay numbers (so they still sort as numbers).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from bench.units import is_missing

DASH = "—"


def _text(value: Any, fmt: str | None) -> str:
    if is_missing(value):
        return DASH
    if fmt and isinstance(value, numbers.Real):
        try:
            return fmt % value
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def dashed(
    frame: pd.DataFrame, column_config: Mapping[str, Any] | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``(frame, column_config)`` with "—" in place of every missing value.

    Number (and progress) columns with a gap become text in their configured printf format
    (``%.2f``); other columns with a gap (ranks, names) become text too. The returned config
    keeps each column's help and width and right-aligns the converted number columns.
    """
    config = dict(column_config or {})
    out = frame.copy()
    for col in frame.columns:
        values = frame[col].tolist()
        if not any(is_missing(v) for v in values):
            continue
        old = config.get(col) or {}
        kind = (old.get("type_config") or {}).get("type")
        fmt = (old.get("type_config") or {}).get("format")
        fmt = fmt if isinstance(fmt, str) and "%" in fmt else None
        numeric = kind in ("number", "progress") or pd.api.types.is_numeric_dtype(frame[col])
        present = [v for v in values if not is_missing(v)]
        if fmt is None and numeric and all(float(v).is_integer() for v in present):
            fmt = "%d"  # ranks and counts: pandas made them floats only because of the gap
        out[col] = [_text(v, fmt) for v in values]
        if numeric or kind:
            config[col] = st.column_config.TextColumn(
                old.get("label"),
                help=old.get("help"),
                width=old.get("width"),
                alignment="right" if numeric else None,
            )
    return out, config
