"""Energy and cost as Decide criteria, on stored runs whose samples carry joules (as a machine with
RAPL or NVML stores them) and on runs without any sensor. The truth is known: the joules per token
are drawn around a chosen centre for each model."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from bench.cli.decide import parse_weights
from bench.cli.main import app
from bench.decide import explain, hard_limits, recommend
from bench.decide.recommend import Criteria
from bench.measure.energy import NO_SENSOR
from bench.store.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_runs import PROMPTS, _sample

TOKENS = 33  # output tokens of every synthetic request
ONLY = dict.fromkeys(("quality", "latency", "throughput", "memory", "size"), 0.0)


def store_run(store: Store, models: dict[str, tuple[float, float | None]], seed: int = 0) -> str:
    """One completed run: per model (e2e centre in s, J per token centre or None = no sensor), 20 requests."""
    rng = np.random.default_rng(seed)
    settings = {"models": list(models), "rounds": 1, "warmup": 1, "stream": True, "max_tokens": 16,
                "temperature": 0.0, "seed": 42, "endpoint": None}  # fmt: skip
    run_id = store.create_run(settings, PROMPTS, {"transport": "in-process"})
    for model, (e2e, jpt) in models.items():
        store.upsert_run_model(run_id, model, status="done", size_bytes=10**8, peak_rss_bytes=5 * 10**8,
                               baseline_rss_bytes=10**8)  # fmt: skip
        for i, value in enumerate([9.9, *rng.lognormal(np.log(e2e), 0.05, 20)]):
            sample: dict[str, Any] = _sample(run_id, model, i, float(value))
            if jpt is not None:
                joules = float(rng.normal(jpt, jpt * 0.05)) * TOKENS
                sample["metrics"] |= {"energy_j": joules, "energy_source": "rapl:package-0"}
            store.add_sample(sample)
    store.set_run_status(run_id, "completed")
    return run_id


@pytest.fixture(autouse=True)
def no_prices(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLM_BENCH_PRICE_PER_HOUR", "SLM_BENCH_PRICE_PER_KWH", "SLM_BENCH_WATTS"):
        monkeypatch.delenv(name, raising=False)


def _rows(table: Any) -> dict[str, dict[str, Any]]:
    return {r["model"]: r for r in table.to_dict("records")}


def test_lower_joules_per_token_wins_when_only_energy_is_weighted(db_path: Path) -> None:
    store = Store(db_path)
    # "frugal" is slower but draws 0.02 J per token; "hungry" is faster at 0.05 J per token
    run_id = store_run(store, {"frugal": (0.8, 0.02), "hungry": (0.4, 0.05)})
    table = recommend.decision_table(store, [run_id], Criteria(**ONLY, energy=1.0))
    rows = _rows(table)
    assert rows["frugal"]["energy"] == pytest.approx(0.02, rel=0.05) and rows["frugal"]["energy_n"] == 20
    assert rows["hungry"]["energy"] == pytest.approx(0.05, rel=0.05)
    rec = recommend.recommendation(table)
    assert rec.model == "frugal" and rec.p_best == 1.0
    assert any(
        "least energy among the candidates" in r and "J/token (n=20, rapl:package-0)" in r
        for r in rec.reasons
    )
    cells = {r["model"]: r for r in explain.decision_rows(table)}
    assert cells["frugal"]["energy"].endswith("J/token (n=20)")
    # weighted on latency alone, the faster model wins: energy changed the ranking, nothing else did
    assert recommend.recommendation(recommend.decision_table(store, [run_id], Criteria(**{**ONLY, "latency": 1.0}))).model == "hungry"  # fmt: skip


def test_without_any_sensor_energy_is_not_measured_and_changes_nothing(db_path: Path) -> None:
    store = Store(db_path)
    run_id = store_run(store, {"a": (0.4, None), "b": (0.5, None), "c": (0.45, None)})
    plain = recommend.decision_table(store, [run_id], Criteria())
    weighted = recommend.decision_table(store, [run_id], Criteria(energy=0.5))
    assert list(plain["series"]) == list(weighted["series"])
    assert list(plain["score"]) == pytest.approx(list(weighted["score"]))
    assert list(plain["p_best"]) == pytest.approx(list(weighted["p_best"]))
    assert weighted["energy"].isna().all() and "energy" not in weighted.attrs["ranking"].criteria
    rec = recommend.recommendation(weighted)
    assert f"energy per output token not measured ({NO_SENSOR}): left out of the score" in rec.caveats
    assert {r["energy"] for r in explain.decision_rows(weighted)} == {NO_SENSOR}
    # cost neither weighted nor priced: its column is left out instead of a row of "n/a"
    assert all("cost" not in r for r in explain.decision_rows(weighted))
    assert all("energy" not in r and "cost" not in r for r in explain.decision_rows(plain))
    # only energy weighted and no sensor anywhere: nothing to rank on, said so
    only = recommend.recommendation(recommend.decision_table(store, [run_id], Criteria(**ONLY, energy=1.0)))
    assert only.model is None and any("energy per output token not measured" in c for c in only.caveats)


def test_one_model_without_a_reading_follows_the_missing_value_rule(db_path: Path) -> None:
    store = Store(db_path)
    run_id = store_run(store, {"metered": (0.5, 0.04), "unmetered": (0.5, None)})
    table = recommend.decision_table(store, [run_id], Criteria(**ONLY, energy=1.0))
    rows = _rows(table)
    # a missing value never scores: energy is left out for both, so nothing is left to rank on
    assert rows["unmetered"]["missing"] == [] and math.isnan(rows["unmetered"]["norm_energy"])
    rec = recommend.recommendation(table)
    assert rec.model is None and any("no value for unmetered" in c for c in rec.caveats), rec.caveats


def test_cost_estimate_from_an_hourly_price_ranks_the_faster_model_cheaper(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLM_BENCH_PRICE_PER_HOUR", "3.6")  # 0.001 per second of answering
    store = Store(db_path)
    run_id = store_run(store, {"slow": (1.0, None), "fast": (0.5, None)})
    table = recommend.decision_table(store, [run_id], Criteria(**ONLY, cost=1.0))
    rows = _rows(table)
    # the report's definition: output tokens over the seconds spent answering (cold request included)
    assert rows["fast"]["cost"] < rows["slow"]["cost"] and "3.6/h machine price" in rows["fast"]["cost_basis"]
    rec = recommend.recommendation(table)
    assert rec.model == "fast" and any(
        "cheapest among the candidates" in r and "(estimate)" in r for r in rec.reasons
    )
    assert all(r["cost"].endswith("per 1k output tokens (estimate)") for r in explain.decision_rows(table))


def test_energy_and_cost_limits(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLM_BENCH_PRICE_PER_KWH", "0.36")  # cost = J/token x 1000 / 3.6e6 x 0.36
    store = Store(db_path)
    run_id = store_run(store, {"frugal": (0.8, 0.02), "hungry": (0.4, 0.05), "dark": (0.4, None)})
    limits = hard_limits.parse_limits(["energy=30mJ"])
    assert limits[0].value == pytest.approx(0.03) and "0.03 J per output token" in limits[0].words()
    rows = _rows(recommend.decision_table(store, [run_id], Criteria(), limits=limits))
    assert not rows["frugal"]["out"] and rows["hungry"]["out"]
    assert "is over the limit 0.03 J/token" in rows["hungry"]["out_reasons"][0]
    assert not rows["dark"]["out"] and "no energy sensor" in rows["dark"]["flags"][0]
    cost_rows = _rows(recommend.decision_table(store, [run_id], Criteria(), limits=hard_limits.parse_limits(["cost=3e-6"])))  # fmt: skip
    assert cost_rows["frugal"]["cost"] == pytest.approx(0.02 * 1000 / 3.6e6 * 0.36, rel=0.05)
    assert not cost_rows["frugal"]["out"] and cost_rows["hungry"]["out"]
    assert "no cost estimate" in cost_rows["dark"]["flags"][0]
    with pytest.raises(Exception, match="unknown unit"):
        hard_limits.parse_limit("energy=3kWh")


def test_cli_weights_and_limits_name_energy_and_cost(db_path: Path) -> None:
    assert parse_weights("energy=0.2,cost=0.1")["energy"] == 0.2
    store = Store(db_path)
    run_id = store_run(store, {"frugal": (0.8, 0.02), "hungry": (0.4, 0.05)})
    result = CliRunner().invoke(
        app,
        ["decide", run_id, "--weights", "energy=1", "--limit", "energy=0.5J", "--format", "md", "--no-save",
         "--db", str(db_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Recommended default: **frugal**" in result.output and "energy 100%" in result.output
    assert "energy at most 0.5 J per output token" in result.output


def test_decide_page_energy_slider_and_cells(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SLM_BENCH_DB", str(db_path))
    monkeypatch.setenv("SLM_BENCH_APP_DIR", str(db_path.parent / "app"))
    monkeypatch.delenv("FOUNDRY_LOCAL_ENDPOINT", raising=False)
    run_id = store_run(Store(db_path), {"frugal": (0.8, 0.02), "hungry": (0.4, 0.05)})
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60)
    at.run()
    at.query_params["run"] = [run_id]
    at.switch_page("pages/decide.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.slider(key="decide_w_energy").value == 0.0 and at.slider(key="decide_w_cost").value == 0.0
    assert "hungry" in at.success[0].value  # the default weights favour the faster model
    for c in ONLY:
        at.slider(key=f"decide_w_{c}").set_value(0.0)
    at.slider(key="decide_w_energy").set_value(1.0).run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Recommended default: frugal" in at.success[0].value and "J/token" in at.success[0].value
    table = at.dataframe[0].value
    cells = dict(zip(table["Model"], table["Energy per output token"], strict=True))
    assert cells["frugal"].endswith("J/token (n=20)")
    assert "Cost per 1k output tokens" not in table.columns  # neither weighted nor priced: no column of n/a
