"""The decision of a ``python_tests`` check, taken in the parent from values the sandbox returned.

The sandbox's collector sends, per test, its worker's exit and raw text; the text should be the
``repr`` of a list of ``("value", plain data)`` (one per probe, in order), ``("error", message)``
or ``("code", message)``. This module reads it with ``ast.literal_eval`` (data only, never code)
and compares each value with the expectation parsed from the prompt set, which the sandbox never
saw. Anything malformed is a failure: the worst the model's code can do is speak for its own test,
and only by producing values.
"""

from __future__ import annotations

import ast
from typing import Any

from bench.inputs.assert_forms import AST_LOCK, Step
from bench.quality.checks.verdict import CheckVerdict

MARK = "SLM-BENCH-SANDBOX "
_MAX_TEXT = 1024 * 1024


def _literal(text: str) -> tuple[bool, Any]:
    if len(text) > _MAX_TEXT:
        return False, None
    try:
        with AST_LOCK:  # literal_eval parses: one thread at a time (bench.inputs.assert_forms.AST_LOCK)
            return True, ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def _short(value: Any) -> str:
    text = repr(value).replace("\n", "\\n")
    return text if len(text) <= 60 else text[:57] + "..."


def collector_results(out: str) -> list[Any] | None:
    """The collector's list of per-test results, or None when its report is missing or malformed."""
    start = out.rfind(MARK)
    if start < 0:
        return None
    ok, results = _literal(out[start + len(MARK) :])
    return results if ok and isinstance(results, list) else None


def _worker_entries(result: Any) -> tuple[list[Any] | None, str]:
    """One test's entries, or None and why not (killed, exited oddly, wrote something else)."""
    if not (isinstance(result, tuple) and len(result) == 3):
        return None, "the sandbox's report is malformed"
    how, code, text = result
    if how == "signal":
        reason = "CPU time limit reached" if code == "SIGXCPU" else f"killed by {code}"
        return None, f"stopped: {reason}"
    if code != 0 or not text:
        return None, f"the code ended the test itself (exit {code}) before returning its values"
    ok, entries = _literal(text) if isinstance(text, str) else (False, None)
    valid = ok and isinstance(entries, list) and all(isinstance(e, tuple) and len(e) == 2 for e in entries)
    if not valid:
        return None, "the test returned no readable values (its output was not plain data)"
    return entries, ""


def _test_verdict(index: int, steps: list[Step], result: Any) -> CheckVerdict | None:
    """None when every probe of test ``index`` met its expectation, else the failed verdict."""
    entries, why = _worker_entries(result)
    if entries is None:
        return CheckVerdict(False, f"test {index} failed: {why}")
    probes = [s for s in steps if s.probe is not None]
    for position, step in enumerate(probes):
        if position >= len(entries):
            return CheckVerdict(False, f"test {index} failed: no value for `{step.probe}`")
        kind, payload = entries[position]
        if kind == "code":
            return CheckVerdict(False, f"the code failed before the tests: {str(payload)[:300]}")
        if kind == "error":
            message = str(payload)[:300]
            return CheckVerdict(False, f"test {index} failed: `{step.probe}` raised {message}")
        assert step.expect is not None  # a probe always has one (parse_test)
        if kind != "value" or not step.expect.holds(payload):
            got = _short(payload) if kind == "value" else "no value"
            return CheckVerdict(
                False, f"test {index} failed: `{step.probe}` gave {got}, expected {step.expect.text()}"
            )
    return None


def grade(out: str, tests: list[list[Step]]) -> CheckVerdict | None:
    """The verdict from the collector's output; None when there is no report at all (the caller says why)."""
    results = collector_results(out)
    if results is None:
        return None
    if len(results) != len(tests):
        return CheckVerdict(False, f"the sandbox reported {len(results)} of {len(tests)} tests")
    for index, (steps, result) in enumerate(zip(tests, results, strict=True)):
        failed = _test_verdict(index, steps, result)
        if failed is not None:
            return failed
    probes = sum(1 for steps in tests for s in steps if s.probe is not None)
    return CheckVerdict(True, f"{len(tests)}/{len(tests)} tests passed ({probes} values compared)")
