"""Tables that say "—" for a missing number instead of Streamlit's grey "None".

Streamlit draws a null cell of a number column as "None" whatever the format or a Styler's
``na_rep`` says (checked in the browser), which reads as a bug to a user. :func:`dashed` turns
every number column that has a missing value into right-aligned text in the column's own format,
with "—" for the missing cells; complete columns stay numbers (so they still sort as numbers).
"""

from __future__ import annotations

import math
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


def decimals(values: Any) -> int:
    """Decimals that show three significant digits of a column's typical value (2.9841 -> 2, 341.15 -> 0).

    Why: a measured number has no more precision than its spread; four decimals of a latency are
    noise that makes a table hard to read. One count per column keeps the decimal points aligned.
    """
    present = [abs(float(v)) for v in values if not is_missing(v) and isinstance(v, numbers.Real)]
    if not present or all(float(v).is_integer() for v in present):
        return 0
    typical = sorted(present)[len(present) // 2] or max(present)
    if typical == 0:
        return 2
    if typical >= 100:
        return 0
    if typical >= 10:
        return 1
    if typical >= 1:
        return 2
    return min(4, 2 - math.floor(math.log10(typical)))


def rounded(frame: pd.DataFrame, column_config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``column_config`` with a printf format for every float column that has none (see :func:`decimals`)."""
    config = dict(column_config or {})
    for col in frame.columns:
        old = config.get(col)
        if isinstance(old, str) or (old or {}).get("type_config", {}).get("format"):
            continue
        if not pd.api.types.is_float_dtype(frame[col]):
            continue
        fmt = f"%.{decimals(frame[col].tolist())}f"
        config[col] = st.column_config.NumberColumn(
            (old or {}).get("label"), help=(old or {}).get("help"), width=(old or {}).get("width"), format=fmt
        )
    return config


def show_table(frame: pd.DataFrame, column_config: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
    """``st.dataframe`` with numbers rounded to their precision and "—" for every missing value."""
    shown, config = dashed(frame, rounded(frame, column_config))
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config, **kwargs)
