"""Number formatting for tiles and tables (pure Python, no Streamlit)."""

from __future__ import annotations

import math
from typing import Any


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def seconds(value: Any) -> str:
    if _missing(value):
        return "n/a"
    value = float(value)
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s"


def duration(value: Any) -> str:
    """Human duration: ``42 s``, ``3 min 05 s``."""
    if _missing(value):
        return "n/a"
    total = max(0, round(float(value)))
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def size(value: Any) -> str:
    if _missing(value):
        return "n/a"
    value = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit in ("B", "KB") else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def rate(value: Any, unit: str = "tok/s") -> str:
    if _missing(value):
        return "n/a"
    return f"{float(value):.1f} {unit}"
