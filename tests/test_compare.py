"""Run against run: verdicts on synthetic samples with a known truth, the CI gate through the real CLI."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.compare import changes
from bench.errors import BenchError
from bench.store.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_inprocess import cli
from synthetic_runs import latencies, store_run


def test_a_planted_ten_percent_slowdown_is_worse() -> None:
    rng = np.random.default_rng(2026)
    base, new = latencies(rng, 0.44), latencies(rng, 0.44 * 1.10)
    row = changes.metric_change("m", "e2e_p50", base, new)
    assert row is not None and row.verdict == "worse"
    assert 0 < row.low < row.pct < row.high and row.n_base == row.n_new == 20
    tps = changes.metric_change("m", "decode_tps", 1 / base, 1 / new)  # the same slowdown, as a rate
    assert tps is not None and tps.verdict == "worse" and tps.high < 0


def test_planted_slowdown_is_found_in_most_draws() -> None:
    """Power: 10% slower, 20 samples a side, 8% spread: found in at least 80 of 100 seeded draws."""
    found = 0
    for seed in range(100):
        rng = np.random.default_rng(seed)
        row = changes.metric_change("m", "e2e_p50", latencies(rng, 0.44), latencies(rng, 0.484), seed=seed)
        found += row is not None and row.verdict == "worse"
    assert found >= 80


@pytest.mark.parametrize("metric", ["e2e_p50", "ttft", "decode_tps", "e2e_p95"])
def test_one_distribution_gives_no_detectable_change_95_of_100(metric: str) -> None:
    same = 0
    for seed in range(100):
        rng = np.random.default_rng(1000 + seed)
        row = changes.metric_change("m", metric, latencies(rng, 0.44), latencies(rng, 0.44), seed=seed)
        same += row is not None and row.verdict == "no detectable change"
    assert same >= 95


def test_load_time_is_one_value_each_and_never_trips_the_gate() -> None:
    row = changes.metric_change("m", "load_s", [2.0], [4.0])
    assert row is not None and row.pct == pytest.approx(100.0) and row.verdict == changes.NO_INTERVAL
    assert not changes.worse_beyond(row, 10)


def test_gate_rules() -> None:
    assert changes.parse_fail_on(["decode_tps:5", "e2e_p95:10%", "quality:people:3"]) == {
        "decode_tps": 5.0, "e2e_p95": 10.0, "quality:people": 3.0,
    }  # fmt: skip
    for bad, says in (
        ("speed:5", "unknown metric"),
        ("e2e_p95", "METRIC:PERCENT"),
        ("e2e_p95:lots", "not a percent"),
    ):
        with pytest.raises(BenchError, match=says):
            changes.parse_fail_on([bad])
    rng = np.random.default_rng(4)
    slower = changes.metric_change(
        "m", "e2e_p95", latencies(rng, 0.4, 40, 0.03), latencies(rng, 0.6, 40, 0.03)
    )
    assert slower is not None and slower.low > 30  # 50% slower, tight
    assert changes.worse_beyond(slower, 10) and not changes.worse_beyond(slower, 80)


# ---- stored runs, through the CLI -------------------------------------------------------------
# in-process (cli_inprocess): the gate's exit codes and words are the subject, not a new interpreter;
# a real `python -m bench compare` process runs in tests/test_compare_real.py
bench = cli


@pytest.fixture
def two_runs(db_path: Path) -> tuple[str, str]:
    rng = np.random.default_rng(9)
    store = Store(db_path)
    base = store_run(
        store, {"steady": latencies(rng, 0.4), "slowed": latencies(rng, 0.4), "gone": latencies(rng, 0.4)}
    )
    new = store_run(
        store, {"steady": latencies(rng, 0.4), "slowed": latencies(rng, 0.6), "added": latencies(rng, 0.4)}
    )
    return base, new


def test_compare_stored_runs(db_path: Path, two_runs: tuple[str, str]) -> None:
    base, new = two_runs
    result = changes.compare_runs(Store(db_path), base, new)
    assert result.only_base == ["gone"] and result.only_new == ["added"]
    rows = {(r.model, r.metric): r for r in result.rows}
    assert rows["slowed", "e2e_p50"].verdict == "worse" and rows["slowed", "decode_tps"].verdict == "worse"
    assert rows["steady", "e2e_p50"].verdict == "no detectable change"
    assert rows["steady", "e2e_p50"].n_base == 20  # warm-up / cold sample left out
    assert rows["steady", "memory"].base == pytest.approx(
        400.0, abs=0.1
    )  # MB: the model's peak above its baseline
    assert rows["steady", "memory"].verdict == changes.NO_INTERVAL  # one value each, never "worse"
    assert rows["steady", "load_s"].verdict == changes.NO_INTERVAL


def test_cli_gate_exit_codes_and_formats(db_path: Path, two_runs: tuple[str, str]) -> None:
    base, new = two_runs
    ok = bench("compare", base, new, "--db", str(db_path))
    assert ok.returncode == 0, ok.stderr
    assert "slowed" in ok.stdout and "worse" in ok.stdout and "Only in the base run" in ok.stdout
    gate = bench(
        "compare", base, new, "--fail-on", "e2e_p95:10", "--fail-on", "decode_tps:5", "--db", str(db_path)
    )
    assert gate.returncode == 1, gate.stdout + gate.stderr
    assert "gate failed" in gate.stderr and "slowed: e2e_p95" in gate.stderr and "steady" not in gate.stderr
    lenient = bench("compare", base, new, "--fail-on", "e2e_p95:90", "--format", "json", "--db", str(db_path))
    assert lenient.returncode == 1, lenient.stderr  # only the model gone from the new run fails it
    data = json.loads(lenient.stdout)
    assert data["gate_failures"] == ["gone: e2e_p95 cannot be checked: the model is not in the new run"]
    assert data["only_in_new"] == ["added"] and "Holm" in data["gate"]
    md = bench("compare", base, new, "--format", "md", "--db", str(db_path))
    assert (
        md.returncode == 0
        and "| model | metric | base | new | change | 95% interval | n | verdict |" in md.stdout
    )


def test_cli_bad_input_names_it(db_path: Path, two_runs: tuple[str, str]) -> None:
    base, _ = two_runs
    for args, needle in (
        (["compare", base, "nope"], "nope: no such run"),
        (["compare", base, base, "--fail-on", "speed:3"], "unknown metric 'speed'"),
        (["compare", base, base, "--format", "pdf"], "unknown format 'pdf'"),
    ):
        result = bench(*args, "--db", str(db_path))
        assert result.returncode == 2 and needle in result.stderr and "Traceback" not in result.stderr


def test_quality_per_source_is_compared_item_by_item(db_path: Path) -> None:
    from rubrics.annotate import save_scores

    rng = np.random.default_rng(3)
    store = Store(db_path)
    base = store_run(store, {"m": latencies(rng, 0.4)})
    new = store_run(store, {"m": latencies(rng, 0.4)})
    for run_id, scores in ((base, [5, 4, 5, 4]), (new, [2, 1, 2, 2])):
        for i, score in enumerate(scores):
            save_scores(store, run_id, f"p{i}", "m", "ana", {"accuracy": score, "clarity": score})
    result = changes.compare_runs(store, base, new)
    row = next(r for r in result.rows if r.metric == "quality:people")
    assert row.n_base == row.n_new == 8 and row.base == pytest.approx(4.5) and row.new == pytest.approx(1.75)
    assert row.verdict == "worse" and row.label == "Quality by people"
    gate = changes.gate(result, changes.parse_fail_on(["quality:people:20"]))
    assert gate and gate[0].startswith("m: quality:people")
