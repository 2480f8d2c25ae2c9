"""Decide on stored runs with a known truth: ties stay ties, clear wins are named, limits remove with reasons."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.decide import decision_log, hard_limits, recommend
from bench.store.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_inprocess import cli
from synthetic_runs import store_run

REPO = Path(__file__).resolve().parent.parent
NOISE = np.random.default_rng(12345).normal(0, 0.03, 20)  # one spread shared by every model


def shaped(centre: float, seed: int) -> np.ndarray:
    """``centre`` plus a permutation of one noise vector: every statistic sits exactly ``centre`` apart."""
    return centre + np.random.default_rng(seed).permutation(NOISE)


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    """A real ``python -m bench`` process (once: the decide command as a user runs it); the other
    calls go through ``cli``, the same main in this process (issue 18)."""
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=REPO, capture_output=True, text=True, timeout=120
    )


def test_437_vs_440_ms_is_a_tie_with_an_estimate_of_the_data_needed(db_path: Path) -> None:
    store = Store(db_path)
    run_id = store_run(store, {"a": shaped(0.437, 1), "b": shaped(0.440, 2)})
    table, rec, record = decision_log.take(store, [run_id])
    assert rec.model is None and set(rec.tied) == {"a", "b"}
    assert "No clear winner: a, b are tied within the noise" in rec.verdict or "b, a" in rec.verdict
    assert 0.2 < rec.p_best < 0.8
    assert "no quality scores: ranked on speed, memory and size only" in rec.caveats
    rows = {r["series"]: r for r in table.to_dict("records")}
    assert rows["a"]["rank_low"] == 1 and rows["b"]["rank_low"] == 1  # both can be first
    assert abs(rows["a"]["score"] - rows["b"]["score"]) < 0.02  # relative scores: the gap stays small
    md = "\n".join(recommend.recommendation_markdown(rec, recommend.Criteria(), table))
    assert "tied within the noise" in md and "| rank | model | score | P(best) | rank 95% |" in md
    assert record["model"] is None and record["tied"] and record["ranking"][0]["p_best"] is not None


def test_a_clear_difference_is_named_with_its_probability(db_path: Path) -> None:
    store = Store(db_path)
    run_id = store_run(store, {"slow": shaped(0.440, 1), "fast": shaped(0.300, 2)})
    _, rec, _ = decision_log.take(store, [run_id])
    assert rec.model == "fast" and rec.p_best > 0.95 and (rec.rank_low, rec.rank_high) == (1, 1)
    assert rec.reasons[0].startswith("best in 100% of 2,000 resamples")
    assert "fast is best in" in rec.verdict


def test_limits_remove_with_reasons_and_flag_the_close_ones(db_path: Path) -> None:
    store = Store(db_path)
    run_id = store_run(store, {"slow": shaped(0.60, 1), "edge": shaped(0.44, 2), "fast": shaped(0.30, 3)})
    edge_p95 = float(np.percentile(shaped(0.44, 2), 95))
    limits = [f"p95={edge_p95:.3f}s", "size=2GB"]
    table, rec, record = decision_log.take(store, [run_id], recommend.Criteria(), limits)
    rows = {r["series"]: r for r in table.to_dict("records")}
    assert rows["slow"]["out"] and "is over the limit" in rows["slow"]["out_reasons"][0]
    assert not rows["edge"]["out"] and "straddles the limit" in rows["edge"]["flags"][0]
    assert pd.isna(rows["slow"]["rank"]) and np.isnan(rows["slow"]["score"])  # out: never ranked
    assert rec.model == "fast" and any(x.startswith("slow: p95 latency") for x in rec.excluded)
    assert any(x.startswith("edge: p95 latency") for x in rec.flagged)
    assert [lim["text"] for lim in record["limits"]] == [
        *limits,
        "errors=5%",
    ]  # the default error limit, stated
    md = "\n".join(
        recommend.recommendation_markdown(
            rec, recommend.Criteria(), table, [x["words"] for x in record["limits"]]
        )
    )
    assert "Hard limits: p95 latency at most" in md and "Out (a limit broken with 95% confidence)" in md


def test_every_candidate_out_says_so(db_path: Path) -> None:
    store = Store(db_path)
    run_id = store_run(store, {"a": shaped(0.6, 1), "b": shaped(0.7, 2)})
    _, rec, _ = decision_log.take(store, [run_id], limit_texts=["p50=0.3s"])
    assert rec.model is None and "every candidate breaks a hard limit" in rec.caveats[0]
    assert len(rec.excluded) == 2


def test_bad_limit_is_a_clean_error() -> None:
    with pytest.raises(Exception) as err:
        hard_limits.parse_limits(["p95=soon"])
    assert "--limit p95=soon" in str(err.value)


def test_cli_decide_saves_its_limits_and_the_report_prints_them(db_path: Path, tmp_path: Path) -> None:
    store = Store(db_path)
    run_id = store_run(store, {"slow": shaped(0.60, 1), "fast": shaped(0.30, 2)})
    models = tmp_path / "models.json"
    models.write_text(
        json.dumps({"slow": {"capabilities": ["chat"]}, "fast": {"capabilities": ["chat", "code"]}})
    )
    result = bench("decide", run_id, "--limit", "p95=0.5s", "--limit", "tag=code", "--weights", "latency=1",
                   "--models-file", str(models), "--format", "json", "--db", str(db_path))  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (
        data["model"] == "fast" and data["criteria"]["latency"] == 1.0 and data["criteria"]["quality"] == 0.0
    )
    assert "saved decision" in result.stderr
    slow = next(r for r in data["ranking"] if r["model"] == "slow")
    assert slow["out"] and any("lacks the capability code" in x for x in slow["out_reasons"])
    table = cli("decide", run_id, "--no-save", "--db", str(db_path))
    assert table.returncode == 0 and "P(best)" in table.stdout and "rank 95%" in table.stdout
    report = cli("report", run_id, "--format", "md", "--db", str(db_path))
    assert report.returncode == 0, report.stderr
    assert "Weights and limits: the decision saved" in report.stdout
    assert (
        "Hard limits: p95 latency at most 500 ms; capabilities include code; error rate at most 5%."
        in report.stdout
    )
    js = json.loads(cli("report", run_id, "--format", "json", "--db", str(db_path)).stdout)
    assert [x["text"] for x in js["recommendation"]["limits"]] == ["p95=0.5s", "tag=code", "errors=5%"]
    assert decision_log.latest(store, [run_id]) is not None


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--limit", "p95=soon"], "--limit p95=soon"),
        (["--weights", "speed=1"], "unknown criterion 'speed'"),
        (["--weights", "latency=0"], "at least one weight"),
        (["--level", "0.3"], "level"),
        (["--format", "pdf"], "unknown format"),
    ],
)
def test_cli_decide_bad_input_names_it(db_path: Path, args: list[str], needle: str) -> None:
    run_id = store_run(Store(db_path), {"a": shaped(0.4, 1)})
    result = cli("decide", run_id, *args, "--db", str(db_path))
    assert result.returncode == 2 and needle in result.stderr and "Traceback" not in result.stderr
