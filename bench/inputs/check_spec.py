"""The checks a prompt may carry: one pydantic model per ``type``, a discriminated union over them.

Checks are data, not code: a prompt set file says ``{"type": "regex", "pattern": "\\b1945\\b"}`` and
pydantic reports a bad one as ``prompts.3.checks.0.pattern: ...``. Patterns and JSON Schemas are
compiled at load time, so a broken check fails when the set is loaded, not in the middle of a run.

Every check may set ``strip`` (default true: surrounding whitespace is not part of an answer) and
``ignore_case``. Text checks and JSON checks may set ``field``: a dotted path into the answer parsed
as JSON (``customer.name``, ``items.0.sku``), so a value of a structured answer can be checked alone;
a value that is not a string is compared as its JSON text (``36``, ``true``, ``1.5``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bench.inputs.assert_forms import FormError, parse_test
from bench.inputs.workload_checks import WORKLOAD_CHECK_TYPES, WorkloadCheck, describe_tool_check

CHECK_TYPES = (
    "equals",
    "contains",
    "not_contains",
    "starts_with",
    "max_words",
    "max_chars",
    "regex",
    "json_valid",
    "json_schema",
    "one_of",
    "python_tests",
    *WORKLOAD_CHECK_TYPES,  # tool calls: bench.inputs.workload_checks
)


class _Check(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ignore_case: bool = False
    strip: bool = True


class _FieldCheck(_Check):
    field: str | None = Field(default=None, min_length=1, description="dotted path into the JSON answer")


class TextCheck(_FieldCheck):
    """``equals``, ``contains``, ``not_contains``, ``starts_with``: compare with ``value``."""

    type: Literal["equals", "contains", "not_contains", "starts_with"]
    value: str


class LengthCheck(_FieldCheck):
    """``max_words`` / ``max_chars``: the answer is at most ``value`` words / characters long."""

    type: Literal["max_words", "max_chars"]
    value: int = Field(ge=0)


class RegexCheck(_FieldCheck):
    """``regex``: ``pattern`` is found somewhere in the answer (``re.search``)."""

    type: Literal["regex"]
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


class JsonValidCheck(_FieldCheck):
    """``json_valid``: the answer parses as JSON (one surrounding ```json fence is allowed)."""

    type: Literal["json_valid"]


class JsonSchemaCheck(_FieldCheck):
    """``json_schema``: the answer parses as JSON and validates against ``schema``."""

    type: Literal["json_schema"]
    schema_: dict[str, Any] = Field(alias="schema")

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    @field_validator("schema_")
    @classmethod
    def _valid_schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        from jsonschema import SchemaError, validators

        try:
            validators.validator_for(value).check_schema(value)
        except SchemaError as exc:
            raise ValueError(f"not a valid JSON Schema: {exc.message}") from None
        return value


class OneOfCheck(_FieldCheck):
    """``one_of``: the whole answer is exactly one of the labels in ``values``."""

    type: Literal["one_of"]
    values: list[str] = Field(min_length=1)


class PythonTestsCheck(_Check):
    """``python_tests``: the answer's code block runs in the sandbox; each test's asserts are probes.

    Only the forms of :mod:`bench.inputs.assert_forms` are accepted: the sandbox returns the left
    sides' values and the parent compares them with the literal right sides.
    """

    type: Literal["python_tests"]
    tests: list[str] = Field(min_length=1)
    timeout_s: float = Field(default=5.0, gt=0, le=60)

    @field_validator("tests")
    @classmethod
    def _supported_forms(cls, value: list[str]) -> list[str]:
        """Refused at load time: a test whose comparison the grader would have to run next to the code."""
        for i, test in enumerate(value):
            try:
                parse_test(test)
            except FormError as exc:
                raise ValueError(f"test {i}, {exc}") from None
        return value


Check = Annotated[
    TextCheck
    | LengthCheck
    | RegexCheck
    | JsonValidCheck
    | JsonSchemaCheck
    | OneOfCheck
    | PythonTestsCheck
    | WorkloadCheck,
    Field(discriminator="type"),
]


def describe(check: BaseModel) -> str:
    """A short human label: ``contains 'Paris'``, ``python_tests (4 asserts)``."""
    kind = getattr(check, "type", "?")
    if (tool := describe_tool_check(check)) is not None:
        return tool
    where = f" [{check.field}]" if getattr(check, "field", None) else ""
    if isinstance(check, TextCheck | LengthCheck):
        return f"{kind}{where} {check.value!r}"
    if isinstance(check, RegexCheck):
        return f"regex{where} /{check.pattern}/"
    if isinstance(check, OneOfCheck):
        return f"one_of{where} {', '.join(check.values)}"
    if isinstance(check, PythonTestsCheck):
        return f"python_tests ({len(check.tests)} asserts)"
    return f"{kind}{where}"
