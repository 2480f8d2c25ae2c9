"""Decide per workload: ``pass:WORKLOAD=NN%`` as a hard limit and ``pass:WORKLOAD`` as a weighted criterion.

Real SQLite stores written as the runner writes them: 10 tool-call prompts x 3 rounds (30 checked
answers per model) plus 5 plain prompts x 4 rounds, with the check verdicts planted, so the truth is
known: 12 of 30 passes is under 80% with 95% confidence (Wilson high ~58%), 24 of 30 straddles 80%
(Wilson ~63%-90%), a model that never ran the tool-call prompts or had every one refused cannot be
checked and says which.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from bench.cli.decide import parse_weights
from bench.cli.main import app
from bench.decide import hard_limits, ranking, recommend
from bench.decide.candidates import from_results
from bench.decide.recommend import Criteria, decision_table
from bench.errors import BenchError
from bench.quality.checks.store import CheckResult, save
from bench.results import load_results
from bench.stats import bootstrap
from bench.store.store import Store

TOOL_PROMPTS, TOOL_ROUNDS, PLAIN_PROMPTS, PLAIN_ROUNDS = 10, 3, 5, 4
PROMPTS = {
    "name": "mixed",
    "prompts": [
        *[
            {"id": f"t{i}", "prompt": f"Call a tool {i}", "workload": "tool-calls"}
            for i in range(TOOL_PROMPTS)
        ],
        *[{"id": f"p{i}", "prompt": f"Plain prompt {i}"} for i in range(PLAIN_PROMPTS)],
    ],
}


@dataclass
class Plan:
    """One model: its e2e centre (seconds) and what it did on the tool-call prompts."""

    centre: float = 0.4
    passes: int | None = None  # of the 30 tool-call answers; None: no tool-call answer
    tools: str = "ran"  # "ran", "skipped" (never sent) or "refused" (every one refused)


def _sample(
    run_id: str, model: str, prompt: str, rnd: int, e2e: float, outcome: str = "ok"
) -> dict[str, Any]:
    base = {
        "run_id": run_id, "model": model, "prompt_id": prompt, "round": rnd, "warmup": rnd < 0,
        "cold": rnd < 0, "outcome": outcome, "ok": outcome == "ok", "stream": True, "transport": "http",
        "started_at": "2026-01-01T00:00:00Z", "answer": "", "reasoning": "", "server_timings": None,
        "error": None, "metrics": {},
    }  # fmt: skip
    if outcome != "ok":
        return {**base, "error": "the model takes no tools"}
    metrics = {"e2e_s": e2e, "ttft_s": e2e / 10, "output_tokens": 33, "output_token_source": "usage",
               "decode_tps": 32 / (e2e * 0.9), "rss_peak_bytes": 4 * 10**8, "finish_reason": "stop"}  # fmt: skip
    return {**base, "answer": f"answer {prompt}", "metrics": metrics}


def store_run(store: Store, plans: dict[str, Plan], seed: int = 0) -> str:
    """A completed run of ``plans``; check verdicts planted on the tool-call answers (round-robin)."""
    rng = np.random.default_rng(seed)
    settings = {"models": list(plans), "rounds": TOOL_ROUNDS, "warmup": 1, "stream": True, "max_tokens": 64,
                "temperature": 0.0, "seed": 42, "endpoint": "http://127.0.0.1:1/v1"}  # fmt: skip
    run_id = store.create_run(settings, PROMPTS, {"transport": "http"})
    for model, plan in plans.items():
        store.upsert_run_model(run_id, model, status="done", load_seconds=1.0, size_bytes=10**8,
                               peak_rss_bytes=5 * 10**8, baseline_rss_bytes=10**8, transport="http")  # fmt: skip
        store.add_sample(_sample(run_id, model, "p0", -1, 9.9))
        for r in range(PLAIN_ROUNDS):
            for j in range(PLAIN_PROMPTS):
                store.add_sample(
                    _sample(run_id, model, f"p{j}", r, float(rng.lognormal(np.log(plan.centre), 0.08)))
                )
        if plan.tools == "skipped":
            continue
        slots = [(j, r) for r in range(TOOL_ROUNDS) for j in range(TOOL_PROMPTS)]
        checks = []
        for k, (j, r) in enumerate(slots):
            e2e = float(rng.lognormal(np.log(plan.centre), 0.08))
            outcome = "refused" if plan.tools == "refused" else "ok"
            store.add_sample(_sample(run_id, model, f"t{j}", r, e2e, outcome))
            if outcome == "ok" and plan.passes is not None:
                checks.append(
                    CheckResult(run_id, model, f"t{j}", r, 0, "tool_call", k < plan.passes, "planted")
                )
        save(store, checks)
    store.set_run_status(run_id, "completed")
    return run_id


def _rows(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    return {r["model"]: r for r in table.to_dict("records")}


@pytest.fixture
def limits_run(tmp_path: Path) -> tuple[Store, str]:
    store = Store(tmp_path / "bench.db")
    run_id = store_run(
        store,
        {
            "weak": Plan(passes=12),
            "close": Plan(passes=24),
            "strong": Plan(passes=30),
            "never": Plan(tools="skipped"),
            "refuser": Plan(tools="refused"),
        },
    )
    return store, run_id


# ---- the limit -------------------------------------------------------------------------------------
def test_pass_limit_parses_and_says_what_it_checks() -> None:
    limit = hard_limits.parse_limit("pass:tool-calls=80%")
    assert (limit.kind, limit.source, limit.value) == ("pass", "tool-calls", pytest.approx(0.8))
    assert limit.words() == "pass rate on tool-calls at least 80%"
    assert hard_limits.parse_limit("pass:json-output=0.9").value == pytest.approx(0.9)
    both = hard_limits.parse_limits(["pass:tool-calls=80%", "pass:json-output=90%"])
    assert [lim.source for lim in both] == ["tool-calls", "json-output"]  # two workloads, not "given twice"
    with pytest.raises(BenchError, match="given twice"):
        hard_limits.parse_limits(["pass:tool-calls=80%", "pass:tool-calls=70%"])


def test_unknown_workload_and_impossible_rates_are_refused() -> None:
    with pytest.raises(BenchError) as caught:
        hard_limits.parse_limit("pass:tools=80%")
    text = caught.value.message
    assert "unknown workload 'tools'" in text
    for name in ("long-context", "json-output", "tool-calls", "multi-turn"):
        assert name in text
    with pytest.raises(BenchError, match="between 0% and 100%"):
        hard_limits.parse_limit("pass:tool-calls=150%")
    with pytest.raises(BenchError, match="name the workload"):
        hard_limits.parse_limit("pass=80%")


def test_12_of_30_is_out_24_of_30_flagged_and_unchecked_models_say_why(limits_run: tuple[Store, str]) -> None:
    store, run_id = limits_run
    limits = hard_limits.parse_limits(["pass:tool-calls=80%"])
    rows = _rows(decision_table(store, [run_id], Criteria(), limits=limits))
    weak = rows["weak"]
    assert weak["out"] and len(weak["out_reasons"]) == 1
    assert "tool-calls pass rate 40% (12 of 30" in weak["out_reasons"][0]
    assert "is under the minimum 80%" in weak["out_reasons"][0]
    close = rows["close"]
    assert not close["out"] and any(
        "24 of 30" in f and "straddles the minimum 80%" in f for f in close["flags"]
    )
    assert not rows["strong"]["out"] and not any("tool-calls" in f for f in rows["strong"]["flags"])
    never = rows["never"]
    assert not never["out"] and any("did not run the tool-calls prompts" in f for f in never["flags"])
    refuser = rows["refuser"]
    assert not refuser["out"]
    assert any(
        "tool-calls not supported" in f and "30 of 30" in f and "refused" in f for f in refuser["flags"]
    )
    assert (
        "pass rate on tool-calls at least 80%"
        in decision_table(store, [run_id], limits=limits).attrs["limits"]
    )


def test_the_limit_uses_the_wilson_interval_of_the_checked_answers(limits_run: tuple[Store, str]) -> None:
    store, run_id = limits_run
    cands = {c.name: c for c in from_results(load_results(store, [run_id]), store)}
    weak = cands["weak"].workloads["tool-calls"]
    assert (
        weak.passed.size == 30
        and weak.passed.sum() == 12
        and set(weak.prompts) == {f"t{i}" for i in range(10)}
    )
    assert cands["refuser"].workloads["tool-calls"].refused == 30
    assert cands["refuser"].workloads["tool-calls"].passed.size == 0
    assert "tool-calls" not in cands["never"].workloads
    iv = bootstrap.proportion(24, 30)  # the interval the verdict quotes
    assert iv.low < 0.8 < iv.high


# ---- the weight ------------------------------------------------------------------------------------
@pytest.fixture
def tradeoff_run(tmp_path: Path) -> tuple[Store, str]:
    """A is twice as fast; B passes 28 of 30 tool calls where A passes 6."""
    store = Store(tmp_path / "bench.db")
    return store, store_run(
        store, {"A": Plan(centre=0.3, passes=6), "B": Plan(centre=0.6, passes=28)}, seed=3
    )


def test_a_weight_on_tool_calls_flips_the_recommendation(tradeoff_run: tuple[Store, str]) -> None:
    """Quality weighted 0: the checks source is a quality source too (all checked prompts of every
    workload mixed), so a team that weighs speed sees A, and one that weighs tool calls sees B."""
    store, run_id = tradeoff_run
    plain = decision_table(store, [run_id], Criteria(quality=0))
    assert recommend.recommendation(plain).model == "A"
    weighted = Criteria(quality=0, workloads={"tool-calls": 2.0})
    assert weighted.weights()["pass:tool-calls"] == 2.0
    table = decision_table(store, [run_id], weighted)
    assert "pass:tool-calls" in table.attrs["available"]
    rows = _rows(table)
    assert rows["B"]["pass:tool-calls"] == pytest.approx(28 / 30) and rows["B"]["pass:tool-calls_n"] == 30
    assert rows["A"]["norm_pass:tool-calls"] == pytest.approx(6 / 28)
    rec = recommend.recommendation(table)
    assert rec.model == "B" and rec.p_best is not None and rec.p_best >= 0.8
    assert any("passed every check on 93% of its tool-calls answers (n=30)" in r for r in rec.reasons)
    assert any("slower" in c for c in rec.caveats)  # what B gives up, in numbers
    lines = recommend.recommendation_markdown(rec, weighted, table, table.attrs["limits"])
    text = "\n".join(lines)
    assert "pass:tool-calls" in text and "93% (n=30)" in text  # the criterion and its column in the report


def test_pass_rates_are_resampled_by_prompt_so_noise_does_not_name_a_winner(tmp_path: Path) -> None:
    store = Store(tmp_path / "bench.db")
    run_id = store_run(store, {"A": Plan(centre=0.4, passes=15), "B": Plan(centre=0.4, passes=16)}, seed=5)
    cands = from_results(load_results(store, [run_id]), store)
    close = ranking.rank(cands, {"pass:tool-calls": 1.0}, n_boot=600)
    assert close.criteria == ["pass:tool-calls"] and close.winner is None  # 15 vs 16 of 30: within the noise
    store2 = Store(tmp_path / "b2.db")
    run2 = store_run(store2, {"A": Plan(centre=0.4, passes=6), "B": Plan(centre=0.4, passes=28)}, seed=5)
    far = ranking.rank(
        from_results(load_results(store2, [run2]), store2), {"pass:tool-calls": 1.0}, n_boot=600
    )
    assert far.winner == "B" and far.rows[0].p_best > 0.95 and far.rows[0].rank_high == 1


def test_a_model_without_the_workload_drops_the_criterion_for_everyone_with_a_note(
    limits_run: tuple[Store, str],
) -> None:
    store, run_id = limits_run
    table = decision_table(store, [run_id], Criteria(workloads={"tool-calls": 1.0}))
    assert "pass:tool-calls" not in table.attrs["available"]
    assert set(table.attrs["dropped"]["pass:tool-calls"]) == {"never", "refuser"}
    rec = recommend.recommendation(table)
    assert any(
        c.startswith("tool-calls pass rate left out of the score for every model: no value for")
        and "never" in c
        for c in rec.caveats
    )


def test_criteria_refuse_unknown_workloads_and_negative_weights() -> None:
    with pytest.raises(ValidationError, match="unknown workload 'tools'"):
        Criteria(workloads={"tools": 1.0})
    with pytest.raises(ValidationError):
        Criteria(workloads={"tool-calls": -1.0})
    only = Criteria(quality=0, latency=0, throughput=0, memory=0, size=0, workloads={"json-output": 1})
    assert {c: w for c, w in only.weights().items() if w > 0} == {
        "pass:json-output": 1.0
    }  # a weight on its own
    with pytest.raises(ValidationError, match="at least one weight"):
        Criteria(quality=0, latency=0, throughput=0, memory=0, size=0, workloads={"json-output": 0})
    assert Criteria.model_validate(Criteria(workloads={"tool-calls": 2}).model_dump()).workloads == {
        "tool-calls": 2
    }


# ---- the CLI -------------------------------------------------------------------------------------
def test_cli_takes_workload_weights_and_limits(tradeoff_run: tuple[Store, str]) -> None:
    store, run_id = tradeoff_run
    assert parse_weights("latency=1,pass:tool-calls=2")["workloads"] == {"tool-calls": 2.0}
    db = str(store.path)
    args = ["decide", run_id, "--weights", "latency=1,pass:tool-calls=3", "--limit", "pass:tool-calls=50%",
            "--format", "json", "--no-save", "--db", db]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["criteria"]["workloads"] == {"tool-calls": 3.0} and record["model"] == "B"
    assert "pass rate on tool-calls at least 50%" in [lim["words"] for lim in record["limits"]]
    out = {r["model"]: r for r in record["ranking"]}
    assert out["A"]["out"] and "6 of 30" in out["A"]["out_reasons"][0]
    bad = CliRunner().invoke(app, ["decide", run_id, "--weights", "pass:tools=1", "--no-save", "--db", db])
    assert bad.exit_code != 0 and "unknown workload 'tools'" in bad.output and "tool-calls" in bad.output
    bad_limit = CliRunner().invoke(
        app, ["decide", run_id, "--limit", "pass:tools=80%", "--no-save", "--db", db]
    )
    assert bad_limit.exit_code != 0 and "unknown workload 'tools'" in bad_limit.output


# ---- the page --------------------------------------------------------------------------------------
def test_decide_page_offers_a_weight_and_a_limit_per_workload_present(
    tradeoff_run: tuple[Store, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    store, run_id = tradeoff_run
    db = str(store.path)
    monkeypatch.setenv("SLM_BENCH_DB", db)
    monkeypatch.setenv("SLM_BENCH_APP_DIR", str(Path(db).parent / "app"))
    monkeypatch.delenv("FOUNDRY_LOCAL_ENDPOINT", raising=False)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60)
    at.run()
    at.query_params["run"] = [run_id]
    at.switch_page("pages/decide.py").run()
    assert not at.exception, [e.message for e in at.exception]
    at.slider(key="decide_w_quality").set_value(0.0).run()  # speed only: A, the faster
    assert at.slider(key="decide_w_pass_tool-calls").value == 0.0
    assert "decide_w_pass_json-output" not in {s.key for s in at.slider}  # only the workloads present
    assert "A" in at.success[0].value
    at.slider(key="decide_w_pass_tool-calls").set_value(1.0).run()
    assert "B" in at.success[0].value and "pass:tool-calls" in at.success[0].value
    at.number_input(key="decide_limit_pass_tool-calls").set_value(50).run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("A" in e.value and "6 of 30" in e.value for e in at.error)
