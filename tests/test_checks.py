"""Task checks on hand-made answers with known verdicts, and their pass rates from a real SQLite store."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import TypeAdapter

from bench.inputs.check_spec import Check
from bench.inputs.config import PromptSet
from bench.quality import score_sources
from bench.quality.checks.evaluate import evaluate
from bench.quality.checks.run_checks import evaluate_run_checks
from bench.quality.checks.source import ChecksProvider, wilson
from bench.store.store import Store, utc_now

CHECK = TypeAdapter(Check)


def verdict(answer: str, spec: dict, allow_code: bool = False) -> bool | None:
    return evaluate(answer, CHECK.validate_python(spec), allow_code=allow_code).passed


@pytest.mark.parametrize(
    ("answer", "spec", "expected"),
    [
        ("Paris\n", {"type": "equals", "value": "Paris"}, True),
        ("Paris\n", {"type": "equals", "value": "Paris", "strip": False}, False),
        ("paris", {"type": "equals", "value": "Paris"}, False),
        ("paris", {"type": "equals", "value": "Paris", "ignore_case": True}, True),
        ("The capital is Paris.", {"type": "contains", "value": "Paris"}, True),
        ("The capital is Lyon.", {"type": "contains", "value": "Paris"}, False),
        ("All good.", {"type": "not_contains", "value": "sorry", "ignore_case": True}, True),
        ("Sorry, I cannot.", {"type": "not_contains", "value": "sorry", "ignore_case": True}, False),
        ("  Yes, it is.", {"type": "starts_with", "value": "Yes"}, True),
        ("No.", {"type": "starts_with", "value": "Yes"}, False),
        ("one two three", {"type": "max_words", "value": 3}, True),
        ("one two three four", {"type": "max_words", "value": 3}, False),
        ("abcde", {"type": "max_chars", "value": 5}, True),
        ("abcdef", {"type": "max_chars", "value": 5}, False),
        ("It ended in 1945.", {"type": "regex", "pattern": r"\b1945\b"}, True),
        ("It ended in 19455.", {"type": "regex", "pattern": r"\b1945\b"}, False),
        ("WAR", {"type": "regex", "pattern": "^war$", "ignore_case": True}, True),
        ('{"a": 1}', {"type": "json_valid"}, True),
        ('```json\n{"a": 1}\n```', {"type": "json_valid"}, True),
        ("{'a': 1}", {"type": "json_valid"}, False),
        ('Sure! {"a": 1}', {"type": "json_valid"}, False),
        ("positive", {"type": "one_of", "values": ["positive", "negative"]}, True),
        ("Positive", {"type": "one_of", "values": ["positive", "negative"]}, False),
        ("Positive", {"type": "one_of", "values": ["positive", "negative"], "ignore_case": True}, True),
        ("positive.", {"type": "one_of", "values": ["positive", "negative"]}, False),
    ],
)
def test_text_checks(answer: str, spec: dict, expected: bool) -> None:
    assert verdict(answer, spec) is expected


SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


def test_json_schema_and_fields() -> None:
    good = '{"name": "Ada", "age": 36}'
    assert verdict(good, {"type": "json_schema", "schema": SCHEMA}) is True
    bad = evaluate(
        '{"name": "Ada", "age": "36"}', CHECK.validate_python({"type": "json_schema", "schema": SCHEMA})
    )
    assert bad.passed is False and bad.detail.startswith("age:")
    assert verdict('{"name": "Ada"}', {"type": "json_schema", "schema": SCHEMA}) is False
    assert verdict("not json", {"type": "json_schema", "schema": SCHEMA}) is False
    assert verdict(good, {"type": "equals", "field": "name", "value": "Ada"}) is True
    assert verdict(good, {"type": "equals", "field": "age", "value": "36"}) is True
    assert verdict(good, {"type": "equals", "field": "name", "value": "Bob"}) is False
    nested = '{"items": [{"sku": "A-1"}, {"sku": "B-2"}]}'
    assert verdict(nested, {"type": "contains", "field": "items.1.sku", "value": "B"}) is True
    missing = evaluate(
        nested, CHECK.validate_python({"type": "equals", "field": "items.5.sku", "value": "x"})
    )
    assert missing.passed is False and "not found" in missing.detail


def test_python_tests_need_permission() -> None:
    spec = {"type": "python_tests", "tests": ["assert double(2) == 4"]}
    answer = "```python\ndef double(x):\n    return 2 * x\n```"
    refused = evaluate(answer, CHECK.validate_python(spec))
    assert refused.passed is None and "--allow-code" in refused.detail
    assert verdict(answer, spec, allow_code=True) is True
    assert verdict(answer.replace("2 * x", "x + 1"), spec, allow_code=True) is False


def test_wilson_matches_known_values() -> None:
    low, high = wilson(0.5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    low, high = wilson(0.0, 25)
    assert low == pytest.approx(0.0, abs=1e-12) and round(high, 4) == 0.1332
    assert np.isnan(wilson(0.5, 0)[0])


def test_wilson_covers_the_truth_about_95_percent() -> None:
    """Synthetic data with a known pass rate (seeded): the interval holds it in about 95% of trials."""
    rng = np.random.default_rng(7)
    for truth, n in ((0.3, 25), (0.9, 25), (0.5, 60)):
        hits = 0
        for _ in range(2000):
            low, high = wilson(rng.binomial(n, truth) / n, n)
            hits += low <= truth <= high
        assert 0.92 <= hits / 2000 <= 0.985, (truth, n, hits)


PROMPTS = PromptSet.model_validate(
    {
        "name": "mini",
        "prompts": [
            {"id": "label", "prompt": "Label it", "checks": [{"type": "one_of", "values": ["yes", "no"]}, {"type": "equals", "value": "yes"}]},
            {"id": "json", "prompt": "JSON", "checks": [{"type": "json_valid"}, {"type": "equals", "field": "x", "value": "1"}]},
            {"id": "code", "prompt": "Code", "checks": [{"type": "python_tests", "tests": ["assert f() == 1"]}]},
            {"id": "free", "prompt": "No checks here"},
        ],
    }
)  # fmt: skip
ANSWERS = {
    "good": {"label": "yes", "json": '{"x": 1}', "code": "def f():\n    return 1\n", "free": "hi"},
    "weak": {"label": "maybe", "json": '{"x": 2}', "code": "def f():\n    return 2\n", "free": "hi"},
}


def _run(store: Store, prompts: PromptSet = PROMPTS) -> str:
    run_id = store.create_run({"models": list(ANSWERS)}, prompts.model_dump(), {})
    for model, answers in ANSWERS.items():
        for rnd in (-1, 0, 1):
            for prompt_id, answer in answers.items():
                store.add_sample(
                    {
                        "run_id": run_id, "model": model, "prompt_id": prompt_id, "round": rnd,
                        "warmup": rnd < 0, "cold": False, "ok": True, "stream": True,
                        "transport": "in-process", "started_at": utc_now(), "metrics": {}, "answer": answer,
                    }
                )  # fmt: skip
    return run_id


def test_run_checks_store_and_pass_rates(tmp_path) -> None:
    store = Store(tmp_path / "bench.db")
    run_id = _run(store)
    first = evaluate_run_checks(store, run_id)
    # 2 models x 2 measured rounds x 5 checks; warm-up rounds and the prompt without checks are skipped
    assert first.evaluated == 20 and first.kept == 0
    assert sum(first.not_run.values()) == 4  # python_tests: the set does not allow code
    again = evaluate_run_checks(store, run_id)
    assert again.evaluated == 4 and again.kept == 16  # idempotent; only the not-run checks are retried

    with_code = evaluate_run_checks(store, run_id, allow_code=True)
    assert with_code.evaluated == 4 and not with_code.not_run

    provider = ChecksProvider()
    summary = provider.summary(store, [run_id]).set_index("model")
    assert summary.loc["good", "mean"] == 1.0 and summary.loc["good", "n"] == 3
    assert summary.loc["weak", "mean"] == 0.0 and summary.loc["weak", "missing"] == 0
    low, high = wilson(1.0, 3)
    assert (summary.loc["good", "low"], summary.loc["good", "high"]) == pytest.approx((low, high))

    table = provider.table(store, [run_id]).set_index(["model", "aspect"])
    assert table.loc[("weak", "json_valid"), "mean"] == 1.0  # valid JSON, wrong value
    assert table.loc[("weak", "equals"), "mean"] == 0.0 and table.loc[("weak", "equals"), "n"] == 2
    per_prompt = provider.per_prompt(store, [run_id]).set_index(["model", "prompt_id"])
    assert per_prompt.loc[("weak", "code"), "failed_check"].startswith("python_tests: test 0 failed")

    assert [s.name for s in score_sources.score_sources(store, [run_id]) if s.name == "checks"] == ["checks"]
    registry = score_sources.quality_summary(store, [run_id], "checks")
    assert list(registry.columns) == score_sources.SUMMARY_COLUMNS
    items = provider.items(store, [run_id])
    assert set(items["score"]) == {0.0, 1.0} and len(items) == 6


def test_not_run_checks_make_an_answer_missing_not_failed(tmp_path) -> None:
    store = Store(tmp_path / "bench.db")
    run_id = _run(store)
    evaluate_run_checks(store, run_id)  # code not allowed: the code prompt has no verdict
    summary = ChecksProvider().summary(store, [run_id]).set_index("model")
    assert summary.loc["good", "missing"] == 1 and summary.loc["good", "n"] == 2


def test_a_prompt_set_cannot_allow_code_by_itself(tmp_path) -> None:
    """`allow_code_execution` in a file is data, not the person's consent: the code is not run."""
    store = Store(tmp_path / "bench.db")
    allowed = PROMPTS.model_copy(update={"allow_code_execution": True})
    run_id = _run(store, allowed)
    summary = evaluate_run_checks(store, run_id)
    assert sum(summary.not_run.values()) == 4 and summary.passed + summary.failed == 16
    assert all("--allow-code" in reason for reason in summary.not_run)


def test_the_quality_chart_draws_pass_rates_on_a_0_to_1_axis(tmp_path) -> None:
    from bench.report.quality_charts import quality_points, scorer_label

    store = Store(tmp_path / "bench.db")
    run_id = _run(store)
    evaluate_run_checks(store, run_id, allow_code=True)
    spec = quality_points(ChecksProvider().table(store, [run_id])).to_dict()
    x = spec["layer"][1]["encoding"]["x"]
    assert x["title"] == "Pass rate with 95% interval" and x["scale"]["domain"] == [0, 1]
    assert scorer_label("checks") == "task checks"


def test_the_run_hook_never_raises(tmp_path, capsys) -> None:
    from bench.quality.checks.run_checks import evaluate_after_run

    assert evaluate_after_run(Store(tmp_path / "bench.db"), "no-such-run") is None
    assert "checks of run no-such-run were not evaluated" in capsys.readouterr().err
