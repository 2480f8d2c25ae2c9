"""The tool-call checks a prompt may carry, as data: registered in :mod:`bench.inputs.check_spec`'s union.

A tool-call answer is scored on the calls it returned, never on its prose (BFCL-style):

- ``tool_call``: some call (or the call at ``index``) names ``name`` and its arguments hold every
  pair of ``arguments`` (``exact``: and no others). Strings compare after trimming, case-insensitively
  with ``ignore_case``; numbers compare as numbers (``2`` equals ``2.0``).
- ``no_tool_call``: the answer calls nothing (no tool fits the request).
- ``tool_call_count``: exactly ``value`` calls (two calls when two are needed).

JSON answers keep the existing checks (``json_valid``, ``json_schema``, ``equals`` with ``field``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

WORKLOAD_CHECK_TYPES = ("tool_call", "no_tool_call", "tool_call_count")


class _ToolCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ignore_case: bool = False
    strip: bool = True


class ToolCallCheck(_ToolCheck):
    """``tool_call``: the right function with the right arguments."""

    type: Literal["tool_call"]
    name: str = Field(min_length=1, max_length=64)
    arguments: dict[str, Any] = Field(default_factory=dict)
    exact: bool = False
    index: int | None = Field(default=None, ge=0)


class NoToolCallCheck(_ToolCheck):
    """``no_tool_call``: nothing is called."""

    type: Literal["no_tool_call"]


class ToolCallCountCheck(_ToolCheck):
    """``tool_call_count``: exactly ``value`` calls."""

    type: Literal["tool_call_count"]
    value: int = Field(ge=0, le=16)


WorkloadCheck = ToolCallCheck | NoToolCallCheck | ToolCallCountCheck


def describe_tool_check(check: BaseModel) -> str | None:
    """A short label (``tool_call get_weather(city=Paris)``), or None for a check that is not one of these."""
    if isinstance(check, ToolCallCheck):
        args = ", ".join(f"{k}={v}" for k, v in check.arguments.items())
        at = f" #{check.index}" if check.index is not None else ""
        return f"tool_call{at} {check.name}({args})"
    if isinstance(check, ToolCallCountCheck):
        return f"tool_call_count {check.value}"
    if isinstance(check, NoToolCallCheck):
        return "no_tool_call"
    return None
