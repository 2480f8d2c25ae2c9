"""Number formatting for tiles and tables: the formatters of :mod:`bench.units` under short names.

The pages, the reports and Decide all print numbers through :mod:`bench.units`, so a size is in
decimal MB/GB everywhere and a missing value reads "n/a" everywhere. Only ``duration`` (a wall-clock
span such as "3 min 05 s") is a page-only idea and lives here.
"""

from __future__ import annotations

from typing import Any

from bench.units import MISSING, fmt_bytes, fmt_rate, fmt_seconds, is_missing

seconds = fmt_seconds
size = fmt_bytes
rate = fmt_rate


def duration(value: Any) -> str:
    """Human duration: ``42 s``, ``3 min 05 s``, ``1 h 02 min``."""
    if is_missing(value):
        return MISSING
    total = max(0, round(float(value)))
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


__all__ = ["duration", "rate", "seconds", "size"]
