"""The python_tests forms the grader accepts, the ones it refuses at load time, and the parent's comparison.

The comparison runs in SLM Bench, on plain data read back with ``ast.literal_eval``, never on an
object the model's code made: these tests feed it the collector's raw text directly (what a
sandbox run would send), including text a hostile worker could write.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.inputs.assert_forms import FormError, parse_test
from bench.inputs.config import load_prompt_set
from bench.quality.checks.grade import MARK, grade


@pytest.mark.parametrize(
    ("test", "kind", "value"),
    [
        ("assert f(2) == 4", "equals", 4),
        ("assert f('a') == {'a': [1, (2, 3)]}", "equals", {"a": [1, (2, 3)]}),
        ("assert f(1) is True", "is", True),
        ("assert f(1) is None", "is", None),
        ("assert abs(f(37) - 98.6) < 1e-9", "close", 98.6),
        ("assert f(-1) == -1", "equals", -1),
    ],
)
def test_accepted_forms(test: str, kind: str, value: object) -> None:
    (step,) = parse_test(test)
    assert step.probe and step.expect is not None
    assert (step.expect.kind, step.expect.value) == (kind, value)


def test_setup_statements_run_before_the_probe() -> None:
    steps = parse_test("a = {'x': 1}\nmerge(a, {'x': 2})\nassert a == {'x': 1}")
    assert [s.setup is not None for s in steps] == [True, True, False]
    assert steps[-1].probe == "a"


@pytest.mark.parametrize(
    "test",
    [
        "assert f(1)",  # the truth test would run on the model's object
        "assert f(1) in (1, 2)",
        "assert f(1) == g(1)",  # the right side is code, not a literal
        "assert 1 < f(1) < 3",
        "assert f(1) != 2",
        "for i in range(3):\n    assert f(i) == i",  # nested
        "x = f(1)",  # no assert at all
        "assert f(1 ==",  # not Python
    ],
)
def test_unsupported_forms_are_refused(test: str) -> None:
    with pytest.raises(FormError):
        parse_test(test)


def test_a_prompt_set_with_an_unsupported_form_is_refused_when_loaded(tmp_path: Path) -> None:
    data = {"name": "x", "prompts": [{"id": "a", "prompt": "p", "checks": [
        {"type": "python_tests", "tests": ["assert f(1) == 1", "x = 1\nassert f(x) in (1, 2)"]}]}]}  # fmt: skip
    path = tmp_path / "set.json"
    path.write_text(json.dumps(data))
    with pytest.raises(BenchError) as caught:
        load_prompt_set(path)
    text = str(caught.value)
    assert str(path) in text and "prompts.0.checks.0" in text
    assert "test 1, line 2" in text and "Traceback" not in text
    lines = tmp_path / "set.jsonl"
    lines.write_text(json.dumps(data["prompts"][0]) + "\n")
    with pytest.raises(BenchError, match=r"set\.jsonl:1: .*test 1, line 2"):
        load_prompt_set(lines)


def _out(*per_test: tuple[str, object, str]) -> str:
    return MARK + repr(list(per_test))


def test_the_parent_compares_plain_values() -> None:
    tests = [
        parse_test("assert f(1) == 1"),
        parse_test("assert f(2) is True"),
        parse_test("assert abs(f(3) - 0.3) < 1e-9"),
    ]
    good = _out(
        ("exit", 0, "[('value', 1)]"),
        ("exit", 0, "[('value', True)]"),
        ("exit", 0, "[('value', 0.30000000000000004)]"),
    )
    assert grade(good, tests).passed is True  # type: ignore[union-attr]
    bool_for_int = _out(
        ("exit", 0, "[('value', True)]"), ("exit", 0, "[('value', True)]"), ("exit", 0, "[('value', 0.3)]")
    )
    assert grade(bool_for_int, tests).passed is False  # type: ignore[union-attr]
    one_for_true = _out(
        ("exit", 0, "[('value', 1)]"), ("exit", 0, "[('value', 1)]"), ("exit", 0, "[('value', 0.3)]")
    )
    verdict = grade(one_for_true, tests)
    assert verdict is not None and verdict.passed is False and "test 1 failed" in verdict.detail


@pytest.mark.parametrize(
    "worker_text",
    [
        "[('value', 1), ('value', 1)]extra",  # not one literal
        "__import__('os').system('true')",  # code is not data
        "('tests', [[('value', 1)]])",  # the old forged shape
        "[('value', float('nan'))]",
        "",  # os._exit(0) before writing
        "[" * 100_000,  # deeply nested
    ],
)
def test_anything_a_worker_writes_that_is_not_its_values_is_a_failure(worker_text: str) -> None:
    verdict = grade(_out(("exit", 0, worker_text)), [parse_test("assert f(1) == 1")])
    assert verdict is not None and verdict.passed is False


def test_a_missing_or_short_report_is_never_a_pass() -> None:
    tests = [parse_test("assert f(1) == 1"), parse_test("assert f(2) == 2")]
    assert grade("no report at all", tests) is None  # the caller turns this into a failure with the exit code
    short = grade(_out(("exit", 0, "[('value', 1)]")), tests)
    assert short is not None and short.passed is False
    killed = grade(_out(("signal", "SIGXCPU", ""), ("exit", 0, "[('value', 2)]")), tests)
    assert killed is not None and killed.passed is False and "CPU time limit" in killed.detail
