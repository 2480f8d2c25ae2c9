"""Units, the missing-value test and number formatting: one home for each, used by every output.

Bytes are shown in decimal units (MB = 10**6 bytes, GB = 10**9), labelled "MB" and "GB", in the
reports, the charts, the pages and Decide alike, so a number means the same thing everywhere. A
value is *missing* when it is None, NaN or pandas' NA/NaT; it is shown as "n/a", never as 0.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

MB = 10**6
GB = 10**9
MISSING = "n/a"


def is_missing(value: Any) -> bool:
    """None, NaN (float or numpy), ``pd.NA`` or ``pd.NaT``; containers and strings are never missing."""
    if value is None:
        return True
    if isinstance(value, (str, bytes, list, tuple, dict, set)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # an array-like: not a scalar missing value
        return False


def to_mb(value: Any) -> float | None:
    """Bytes -> decimal megabytes (``None`` when missing)."""
    return None if is_missing(value) else float(value) / MB


def fmt_bytes(value: Any) -> str:
    """``850 MB``, ``12.5 MB``, ``0.42 MB``, ``1.6 GB`` (decimal units) or ``n/a``."""
    if is_missing(value):
        return MISSING
    value = float(value)
    if value >= GB:
        return f"{value / GB:.1f} GB"
    mb = value / MB
    if mb >= 100 or mb == 0:
        return f"{mb:.0f} MB"
    return f"{mb:.1f} MB" if mb >= 1 else f"{mb:.2f} MB"


def fmt_seconds(value: Any) -> str:
    """Three significant digits: ``850 ms``, ``1.23 s``, ``3 s``, or ``n/a``."""
    if is_missing(value):
        return MISSING
    value = float(value)
    if 0 < abs(value) < 1:
        return f"{value * 1000:.3g} ms"
    return f"{value:.3g} s"


def fmt_rate(value: Any, unit: str = "tok/s") -> str:
    """``55.2 tok/s`` or ``n/a``."""
    if is_missing(value):
        return MISSING
    return f"{float(value):.1f} {unit}"


def fmt_number(value: Any, digits: int = 3) -> str:
    """A table cell: floats with ``digits`` decimals, other values as they are, missing as ``n/a``."""
    if is_missing(value):
        return MISSING
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)
