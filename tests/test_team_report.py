"""The report's energy, cost and load sections, on real stored runs (a load run against the stub
server, and a run whose samples carry joules as a machine with RAPL would store them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.inputs.config import PromptItem, PromptSet, RunSettings
from bench.load.levels import parse_slos
from bench.load.run import LoadSpec, run_load
from bench.measure.request_metrics import RequestMetrics
from bench.report import exports as report
from bench.store.store import Store
from benchmarks.stub_openai import StubServer

PROMPTS = PromptSet(prompts=[PromptItem(id="a", prompt="Say hi.")])


def test_load_run_report_shows_capacity_and_no_sensor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SLM_BENCH_PRICE_PER_HOUR", "3.6")
    store = Store(tmp_path / "b.db")
    spec = LoadSpec(
        endpoint="x", models=["stub"], levels=[1, 2], requests=6, warmup=0, slos=parse_slos("e2e_p95=10s")
    )
    with StubServer(tokens=4) as url:
        run_id = run_load(store, spec.model_copy(update={"endpoint": url}), PROMPTS)["run_id"]
    text = report.render_markdown(store, [run_id])
    assert "## Load" in text and f"| {run_id}/stub | c=2 |" in text
    assert "## Energy and cost" in text and "n/a: no energy sensor" in text
    data = json.loads(report.report_json(store, [run_id]))
    row = data["energy_and_cost"][f"{run_id}/stub"]
    assert row["cost_label"] == "estimate" and "3.6/h machine price" in row["cost_basis"]
    level_tps = data["load"][f"{run_id}/stub"]["levels"][1]["output_tokens_per_s"]
    assert row["tokens_per_s"] == pytest.approx(level_tps, rel=1e-3)  # priced at the capacity level
    assert row["cost_per_1k_tokens"] == pytest.approx(3.6 / 3600 * 1000 / level_tps, rel=1e-3)


def test_measured_joules_give_per_token_energy_and_a_kwh_cost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("SLM_BENCH_PRICE_PER_HOUR", raising=False)
    monkeypatch.setenv("SLM_BENCH_PRICE_PER_KWH", "0.36")
    store = Store(tmp_path / "b.db")
    run_id = store.create_run(
        RunSettings(models=["m"]).model_dump(), PROMPTS.model_dump(), {"transport": "http"}
    )
    for rnd, joules in enumerate([2.0, 4.0]):  # what a machine with RAPL stores per request
        metrics = RequestMetrics(
            e2e_s=1.0, ttft_s=0.1, output_tokens=10, output_token_source="usage"
        ).to_dict()
        metrics |= {"energy_j": joules, "energy_source": "rapl:package-0"}
        store.add_sample({"run_id": run_id, "model": "m", "prompt_id": "a", "round": rnd, "warmup": False,
                          "cold": False, "ok": True, "error": None, "stream": True, "transport": "http",
                          "started_at": "t", "metrics": metrics, "answer": "x", "reasoning": "",
                          "server_timings": None})  # fmt: skip
    data = json.loads(report.report_json(store, [run_id]))["energy_and_cost"][f"{run_id}/m"]
    assert data["per_request_j"] == 3.0 and data["per_token_j"] == 0.3 and data["n"] == 2
    assert data["source"] == "rapl:package-0" and data["tokens_per_s"] == 10.0
    assert data["cost_per_1k_tokens"] == pytest.approx(0.3 * 1000 / 3.6e6 * 0.36)
    assert "measured 0.3 J/token" in data["cost_basis"]
    assert "## Load" not in report.render_markdown(store, [run_id])


def test_no_sensor_and_no_price_is_one_sentence_not_a_table_of_na(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np
    from synthetic_runs import store_run

    for name in ("SLM_BENCH_PRICE_PER_HOUR", "SLM_BENCH_PRICE_PER_KWH", "SLM_BENCH_WATTS"):
        monkeypatch.delenv(name, raising=False)
    store = Store(tmp_path / "b.db")
    run_id = store_run(store, {"a": np.full(5, 0.4), "b": np.full(5, 0.5)})
    text = report.render_markdown(store, [run_id])
    section = text.split("## Energy and cost", 1)[1].split("\n## ", 1)[0]
    assert "Not measured for any model (n/a: no energy sensor) and no price set" in section
    assert "| run/model |" not in section  # no table of n/a rows
    assert "| energy |" not in text and "| cost |" not in text  # nor idle columns in the decision table
