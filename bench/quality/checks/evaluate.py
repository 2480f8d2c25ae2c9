"""Apply one check to one answer: ``evaluate(answer, check) -> CheckVerdict``. Pure, except ``python_tests``.

``python_tests`` is the one check that runs code; it goes through :mod:`bench.quality.checks.sandbox` and
only when the caller passes ``allow_code=True``; otherwise its verdict is *not run* (``passed`` is
None) with the reason, so a refused check is never counted as a failure or as a pass.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel

from bench.inputs.check_spec import (
    JsonSchemaCheck,
    JsonValidCheck,
    LengthCheck,
    OneOfCheck,
    PythonTestsCheck,
    RegexCheck,
    TextCheck,
)
from bench.inputs.workload_checks import NoToolCallCheck, ToolCallCheck, ToolCallCountCheck
from bench.quality.checks.redact import redact
from bench.quality.checks.tool_calls import evaluate_tool_check
from bench.quality.checks.verdict import CheckVerdict

__all__ = ["CheckVerdict", "evaluate", "parse_json", "unfence"]

_FENCE = re.compile(r"^```[A-Za-z0-9_+-]*\s*\n(?P<body>.*?)\n?```\s*$", re.DOTALL)
_MAX_DETAIL = 300


def _short(text: Any) -> str:
    value = text if isinstance(text, str) else json.dumps(text, ensure_ascii=False)
    value = redact(value).replace("\n", "\\n")  # one line; a secret is cut out before any truncation
    return value if len(value) <= 60 else value[:57] + "..."


def unfence(answer: str) -> str:
    """The body of an answer that is one fenced block (```json ... ```), else the answer itself."""
    match = _FENCE.match(answer.strip())
    return match["body"] if match else answer


def parse_json(answer: str) -> Any:
    """The answer as JSON; one surrounding code fence is tolerated (small models add one)."""
    return json.loads(unfence(answer).strip())


def _field(data: Any, path: str) -> Any:
    """``data`` at the dotted ``path`` (list items by index); KeyError naming the missing part."""
    current = data
    for part in path.split("."):
        if isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            raise KeyError(part)
    return current


def _subject(answer: str, check: BaseModel) -> tuple[Any, CheckVerdict | None]:
    """What the check looks at: the answer, or a field of it parsed as JSON (or a failed verdict)."""
    path = getattr(check, "field", None)
    if not path:
        return answer, None
    try:
        value = _field(parse_json(answer), path)
    except json.JSONDecodeError as exc:
        return None, CheckVerdict(False, f"answer is not JSON ({exc.msg}), so field {path!r} cannot be read")
    except KeyError as exc:
        return None, CheckVerdict(False, f"field {path!r} not found (no {exc.args[0]!r})")
    if isinstance(check, JsonValidCheck | JsonSchemaCheck):
        return value, None
    return (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)), None


def _norm(text: str, check: BaseModel) -> str:
    text = text.strip() if check.strip else text  # type: ignore[attr-defined]
    return text.casefold() if check.ignore_case else text  # type: ignore[attr-defined]


def _text(subject: str, check: TextCheck) -> CheckVerdict:
    got, want = _norm(subject, check), _norm(check.value, check)
    ok = {
        "equals": got == want,
        "contains": want in got,
        "not_contains": want not in got,
        "starts_with": got.startswith(want),
    }[check.type]
    verb = {"equals": "equals", "contains": "contains", "not_contains": "lacks", "starts_with": "starts with"}
    detail = f"{'' if ok else 'not: '}{verb[check.type]} {_short(check.value)}"
    return CheckVerdict(ok, detail if ok else f"{detail}; got {_short(subject)}")


def _length(subject: str, check: LengthCheck) -> CheckVerdict:
    text = _norm(subject, check)
    size = len(text.split()) if check.type == "max_words" else len(text)
    unit = "words" if check.type == "max_words" else "characters"
    return CheckVerdict(size <= check.value, f"{size} {unit} (max {check.value})")


def _regex(subject: str, check: RegexCheck) -> CheckVerdict:
    text = subject.strip() if check.strip else subject
    flags = re.IGNORECASE if check.ignore_case else 0
    match = re.search(check.pattern, text, flags)
    return CheckVerdict(
        match is not None, f"matched {_short(match.group(0))}" if match else f"/{check.pattern}/ not found"
    )


def _json(subject: Any, check: JsonValidCheck | JsonSchemaCheck, from_field: bool) -> CheckVerdict:
    if from_field:
        data = subject
    else:
        try:
            data = parse_json(subject)
        except json.JSONDecodeError as exc:
            return CheckVerdict(False, f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")
    if isinstance(check, JsonValidCheck):
        return CheckVerdict(True, "valid JSON")
    from jsonschema import validators

    validator = validators.validator_for(check.schema_)(check.schema_)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if not errors:
        return CheckVerdict(True, "matches the schema")
    first = errors[0]
    where = ".".join(str(p) for p in first.absolute_path) or "(top level)"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return CheckVerdict(False, f"{where}: {first.message}"[:_MAX_DETAIL] + more)


def _one_of(subject: str, check: OneOfCheck) -> CheckVerdict:
    got = _norm(subject, check)
    ok = any(got == _norm(v, check) for v in check.values)
    return CheckVerdict(
        ok, f"label {_short(subject.strip())}" + ("" if ok else f" is not one of {check.values}")
    )


def evaluate(answer: str, check: BaseModel, allow_code: bool = False) -> CheckVerdict:
    """The verdict of ``check`` on ``answer``. ``python_tests`` runs only with ``allow_code``."""
    if isinstance(check, PythonTestsCheck):
        if not allow_code:
            from bench.quality.checks.consent import REFUSED

            return CheckVerdict(None, REFUSED)
        from bench.quality.checks.sandbox import run_python_tests

        return run_python_tests(answer, check.tests, timeout_s=check.timeout_s)
    if isinstance(check, ToolCallCheck | NoToolCallCheck | ToolCallCountCheck):
        return CheckVerdict(*evaluate_tool_check(answer, check))
    subject, failed = _subject(answer, check)
    if failed is not None:
        return failed
    from_field = bool(getattr(check, "field", None))
    if isinstance(check, TextCheck):
        return _text(subject, check)
    if isinstance(check, LengthCheck):
        return _length(subject, check)
    if isinstance(check, RegexCheck):
        return _regex(subject, check)
    if isinstance(check, JsonValidCheck | JsonSchemaCheck):
        return _json(subject, check, from_field)
    if isinstance(check, OneOfCheck):
        return _one_of(subject, check)
    raise TypeError(f"unknown check {check!r}")  # a new check type without an evaluator is a bug
