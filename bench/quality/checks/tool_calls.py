"""Score a tool-call answer: ``evaluate_tool_check(answer, check) -> (passed, detail)``. Pure, deterministic.

The answer's calls are read by :func:`bench.backends.tool_call_text.parse_tool_calls` (the one form
every backend stores). An answer that tried to call but cannot be read fails every tool check with
the reason, and is counted in the unparsed rate (:func:`unparsed_rate`), so a model that writes
broken calls is told apart from one that calls the wrong function.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

from bench.backends.tool_call_text import ParsedCalls, ToolCall, parse_tool_calls
from bench.inputs.workload_checks import NoToolCallCheck, ToolCallCheck, ToolCallCountCheck, WorkloadCheck

#: (passed, detail): :mod:`bench.quality.checks.evaluate` wraps it in its verdict type
Result = tuple[bool, str]


def _same(want: Any, got: Any, check: ToolCallCheck) -> bool:
    """Numbers as numbers, strings trimmed (and case-folded with ``ignore_case``), the rest by JSON equality."""
    if isinstance(want, bool) or isinstance(got, bool):
        return want is got
    if isinstance(want, int | float) and isinstance(got, int | float):
        return math.isclose(float(want), float(got), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(want, str) and isinstance(got, str):
        if check.strip:
            want, got = want.strip(), got.strip()
        return want.casefold() == got.casefold() if check.ignore_case else want == got
    if isinstance(want, list) and isinstance(got, list):
        return len(want) == len(got) and all(_same(w, g, check) for w, g in zip(want, got, strict=True))
    if isinstance(want, dict) and isinstance(got, dict):
        return want.keys() == got.keys() and all(_same(want[k], got[k], check) for k in want)
    return json.dumps(want, sort_keys=True) == json.dumps(got, sort_keys=True)


def _mismatch(call: ToolCall, check: ToolCallCheck) -> str | None:
    """Why ``call`` is not the one wanted, or None when it is."""
    if call.name != check.name:
        return f"called {call.name!r}, not {check.name!r}"
    args = call.arguments if isinstance(call.arguments, dict) else {}
    for key, want in check.arguments.items():
        if key not in args:
            return f"{check.name}: argument {key!r} missing"
        if not _same(want, args[key], check):
            return f"{check.name}: {key}={json.dumps(args[key])[:60]}, want {json.dumps(want)[:60]}"
    extra = sorted(set(args) - set(check.arguments))
    if check.exact and extra:
        return f"{check.name}: unexpected argument {extra[0]!r}"
    return None


def _tool_call(parsed: ParsedCalls, check: ToolCallCheck) -> Result:
    calls = parsed.calls
    if check.index is not None:
        calls = calls[check.index : check.index + 1]
        if not calls:
            return (False, f"no call #{check.index} ({len(parsed.calls)} calls)")
    if not calls:
        return (False, f"no tool call; wanted {check.name}")
    reasons = [_mismatch(call, check) for call in calls]
    if None in reasons:
        return (True, f"called {check.name} with the right arguments")
    return (False, "; ".join(r for r in reasons if r)[:300])


def evaluate_tool_check(answer: str, check: WorkloadCheck) -> Result:
    """The verdict of one tool-call check on one stored answer."""
    parsed = parse_tool_calls(answer)
    if parsed.unparsed:
        return (False, f"unparsed: {parsed.error}")
    n = len(parsed.calls)
    if isinstance(check, NoToolCallCheck):
        names = ", ".join(c.name for c in parsed.calls)
        return (n == 0, "no tool call" if n == 0 else f"called {names} though no tool fits")
    if isinstance(check, ToolCallCountCheck):
        return (n == check.value, f"{n} calls (want {check.value})")
    if isinstance(check, ToolCallCheck):
        return _tool_call(parsed, check)
    raise TypeError(f"not a tool-call check: {check!r}")


def unparsed_rate(answers: Iterable[str]) -> tuple[int, int]:
    """(unparsed, n): answers that tried to call a tool and could not be read, out of all ``answers``."""
    seen = [parse_tool_calls(a).unparsed for a in answers]
    return sum(seen), len(seen)
