"""Every failure counts in Compare's gate: a dead or missing model, a pass rate falling to 0, errors rising.

Seen defects (issue 16): each of these passed ``bench compare --fail-on``. Real SQLite stores; the dead
model is a real HTTP server on 127.0.0.1 answering 5xx to every request, run through the real runner.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench.compare import changes
from bench.store.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_inprocess import cli
from outcome_runs import Plan, store_run

# `bench compare` in-process (cli_inprocess): the gate's verdicts are the subject, not a new
# interpreter (a real compare process runs in tests/test_compare_real.py)
bench = cli


def test_a_model_that_answers_5xx_to_everything_fails_the_latency_gate(db_path: Path) -> None:
    from bench.inputs.config import RunSettings
    from bench.inputs.prompt_set import prompt_set_from_data
    from bench.run.runner import run_benchmark
    from tests.fault_server import MODEL, FaultServer

    prompts = prompt_set_from_data(["First prompt.", "Second prompt."], "test")
    store = Store(db_path)
    with FaultServer() as server:
        settings = {"models": [MODEL], "rounds": 3, "warmup": 1, "endpoint": server.url, "retries": 0}
        base, _ = run_benchmark(store, RunSettings(**settings), prompts)
        server.config.default = "503"
        new, status = run_benchmark(store, RunSettings(**settings), prompts)
    assert status != "completed" and store.outcome_counts(new)[MODEL]["ok"] == 0
    result = bench("compare", base, new, "--fail-on", "e2e_p95:10", "--db", str(db_path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{MODEL}: e2e_p95" in result.stderr and "no successful request in the new run" in result.stderr


def test_a_model_gone_from_the_new_run_fails_every_gate_naming_its_metrics(db_path: Path) -> None:
    store = Store(db_path)
    base = store_run(store, {"kept": Plan(), "gone": Plan()}, seed=1)
    new = store_run(store, {"kept": Plan()}, seed=2)
    comparison = changes.compare_runs(store, base, new)
    failures = changes.gate(comparison, changes.parse_fail_on(["e2e_p95:10", "decode_tps:5"]))
    assert any("gone: e2e_p95" in f and "not in the new run" in f for f in failures), failures
    assert any("gone: decode_tps" in f for f in failures) and not any(f.startswith("kept") for f in failures)


def test_a_pass_rate_from_100_to_0_percent_fails_the_checks_gate(db_path: Path) -> None:
    store = Store(db_path)
    base = store_run(store, {"m": Plan(checks_pass=1.0)}, seed=1)
    new = store_run(store, {"m": Plan(checks_pass=0.0)}, seed=2)
    comparison = changes.compare_runs(store, base, new)
    row = next(r for r in comparison.rows if r.metric == "quality:checks")
    assert row.base == pytest.approx(1.0) and row.new == pytest.approx(0.0) and row.unit == "pp"
    assert row.pct == pytest.approx(-100.0) and row.verdict == "worse"
    failures = changes.gate(comparison, changes.parse_fail_on(["quality:checks:5"]))
    assert failures and failures[0].startswith("m: quality:checks")


def test_an_error_rate_from_0_to_20_percent_fails_the_errors_gate(db_path: Path) -> None:
    store = Store(db_path)
    base = store_run(store, {"m": Plan()}, seed=1)
    new = store_run(store, {"m": Plan(failed=20)}, seed=2)
    comparison = changes.compare_runs(store, base, new)
    row = next(r for r in comparison.rows if r.metric == "errors")
    assert row.base == 0.0 and row.new == pytest.approx(0.2) and row.pct == pytest.approx(20.0)
    assert row.n_base == row.n_new == 100 and row.verdict == "worse"
    result = bench("compare", base, new, "--fail-on", "errors:2", "--db", str(db_path))
    assert result.returncode == 1 and "m: errors" in result.stderr, result.stdout + result.stderr


def test_truncation_is_a_compared_rate(db_path: Path) -> None:
    store = Store(db_path)
    base = store_run(store, {"m": Plan()}, seed=1)
    new = store_run(store, {"m": Plan(truncated=50)}, seed=2)
    row = next(r for r in changes.compare_runs(store, base, new).rows if r.metric == "truncated")
    assert row.new == pytest.approx(0.5) and row.verdict == "worse" and row.low > 30


def test_runs_with_different_settings_get_no_verdict_unless_accepted(db_path: Path) -> None:
    """Issue 16: a 24-token-cap run against a 96-token-cap run was 'worse with 95% confidence'."""
    store = Store(db_path)
    base = store_run(store, {"m": Plan(centre=0.2)}, max_tokens=24, seed=1)
    new = store_run(store, {"m": Plan(centre=0.4)}, max_tokens=96, seed=2)
    plain = bench("compare", base, new, "--format", "md", "--fail-on", "e2e_p50:10", "--db", str(db_path))
    assert plain.returncode == 1 and "max tokens differs: 24 in base" in plain.stdout
    assert "no verdict: the runs differ" in plain.stdout and "worse |" not in plain.stdout
    assert "not comparable" in plain.stderr and "--accept-differences" in plain.stderr
    accepted = bench("compare", base, new, "--format", "md", "--fail-on", "e2e_p50:10", "--accept-differences",
                     "--db", str(db_path))  # fmt: skip
    assert (
        accepted.returncode == 1
        and "compared anyway because the differences were accepted" in accepted.stdout
    )
    assert "m: e2e_p50" in accepted.stderr and "| worse |" in accepted.stdout
