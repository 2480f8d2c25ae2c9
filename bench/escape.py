"""Text from models, servers and users made safe for the files SLM Bench writes.

Model names, error messages and answers come from outside: a ``|`` or a newline in one breaks a
Markdown table row (and can forge cells), and a CSV cell starting with ``=``, ``+``, ``-``, ``@``
(or a tab / carriage return) runs as a formula when the file is opened in a spreadsheet.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NEWLINES = re.compile(r"\r\n|\r|\n")


def md_cell(value: Any) -> str:
    """One Markdown table cell: ``|`` escaped, line breaks as ``<br>``, never more than one row."""
    text = "" if value is None else str(value)
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return _NEWLINES.sub("<br>", text)


def md_inline(value: Any) -> str:
    """Text inside one Markdown line (a list item): line breaks become spaces."""
    text = "" if value is None else str(value)
    return _NEWLINES.sub(" ", text)


def csv_cell(value: Any) -> Any:
    """A text CSV cell that a spreadsheet shows as text: a formula prefix gets a leading ``'``.

    A bare carriage return becomes a newline: the CSV writer quotes fields holding ``\n`` but not a
    lone ``\r``, which would otherwise split the row in two.
    """
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_PREFIXES):
        value = "'" + value
    return value.replace("\r\n", "\n").replace("\r", "\n")


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text column of ``frame`` through :func:`csv_cell` (numbers stay numbers)."""
    import pandas as pd  # only here: bench.inputs.config imports this module and must stay light

    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_object_dtype(out[col]) or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(csv_cell)
    return out


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters shown as escapes (``\\n``, ``\\x1e``).

    An error line names a field from the user's file; a key holding a line break must not split
    the ``file: field: what is wrong`` line in two.
    """
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
