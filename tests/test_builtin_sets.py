"""The built-in task sets: every reference answer passes all its checks; obviously wrong answers fail.

The references were written by hand for SLM Bench; these tests are what makes them *verified*.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bench.inputs.check_spec import JsonSchemaCheck, OneOfCheck
from bench.inputs.config import PromptItem, resolve_prompt_set
from bench.quality.checks.evaluate import evaluate

SETS = ("extraction", "classification", "python-functions")


def _passes(answer: str, item: PromptItem) -> bool:
    verdicts = [evaluate(answer, check, allow_code=True).passed for check in item.checks]
    assert None not in verdicts  # the sandbox ran
    return all(verdicts)


@pytest.mark.parametrize("name", SETS)
def test_sets_are_complete(name: str) -> None:
    prompt_set = resolve_prompt_set(name)
    assert prompt_set.name == name
    assert len(prompt_set.prompts) >= 25
    for item in prompt_set.prompts:
        assert item.checks and item.reference, item.id
    assert not prompt_set.allow_code_execution  # a file is not consent (bench.quality.checks.consent)


@pytest.mark.parametrize("name", SETS)
def test_every_reference_passes_every_check(name: str) -> None:
    failures = []
    for item in resolve_prompt_set(name).prompts:
        for check in item.checks:
            verdict = evaluate(item.reference or "", check, allow_code=True)
            if verdict.passed is not True:
                failures.append(f"{item.id}: {check.type}: {verdict.detail}")
    assert failures == []


def test_classification_rejects_every_other_label_and_chatter() -> None:
    for item in resolve_prompt_set("classification").prompts:
        labels = next(c for c in item.checks if isinstance(c, OneOfCheck)).values
        assert item.reference in labels
        for other in labels:
            if other != item.reference:
                assert not _passes(other, item), (item.id, other)
        assert not _passes(f"I think it is {item.reference}.", item), item.id
        assert _passes(item.reference.upper() + "\n", item), item.id  # case and whitespace are forgiven


def _mutate(value: Any) -> Any:
    """Same shape and types, wrong values: what a model that misread the text would produce."""
    if isinstance(value, dict):
        return {k: _mutate(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mutate(v) for v in value]
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1000
    return "WRONG"


def test_extraction_rejects_wrong_values_prose_and_empty_objects() -> None:
    for item in resolve_prompt_set("extraction").prompts:
        reference = json.loads(item.reference or "")
        schema = next(c for c in item.checks if isinstance(c, JsonSchemaCheck))
        assert len(item.checks) >= 3, item.id  # the schema plus value checks
        wrong = json.dumps(_mutate(reference))
        assert evaluate(wrong, schema).passed is True, item.id  # right shape ...
        assert not _passes(wrong, item), item.id  # ... wrong values: caught by the value checks
        assert not _passes("Sure! Here is the JSON: " + item.reference, item), item.id
        assert not _passes("{}", item), item.id
        assert _passes("```json\n" + json.dumps(reference, indent=2) + "\n```", item), item.id


def test_python_functions_reject_stubs_and_non_answers() -> None:
    for item in resolve_prompt_set("python-functions").prompts:
        name = re.search(r"def (\w+)\(", item.reference or "")
        assert name, item.id
        stub = f"```python\ndef {name[1]}(*args, **kwargs):\n    return None\n```"
        assert not _passes(stub, item), item.id
        assert not _passes("I cannot write code.", item), item.id
        assert not _passes(f"```python\ndef {name[1]}(*args):\n    raise NotImplementedError\n```", item), (
            item.id
        )
