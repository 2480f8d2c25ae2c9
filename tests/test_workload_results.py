"""Workload numbers in Results, the reports and the charts, from real runs through the real runner.

Two runs against tests/workload_server.py (a real HTTP server on 127.0.0.1 standing in for a model that
calls tools; it replies with scripted answers, so the pass rates below are known): one of the four
workload sets, one of the plain ``extraction`` prompts that json-output sends with response_format.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from bench.inputs.config import PromptSet, RunSettings, resolve_prompt_set
from bench.quality.checks import store as check_store
from bench.report import exports, workload_charts
from bench.results import load_results
from bench.run.runner import run_benchmark
from bench.stats import workload_stats as ws
from bench.store.store import Store
from tests.workload_server import MODEL, Script, WorkloadServer

PICK = {
    "long-context": ["lc-512-d25", "lc-1k-d50", "lc-2k-d50"],
    "tool-calls": ["weather-01", "none-02", "two-01", "timer-01"],
    "multi-turn": ["trip-t1", "trip-t2", "trip-t3", "trip-t4"],
    "json-output": ["person-01", "meeting-01"],
}


def _items(name: str) -> list:
    return [p for p in resolve_prompt_set(name).prompts if p.id in PICK.get(name, PICK["json-output"])]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, list[str]]:
    items = [p.model_copy(update={"workload": name}) for name in PICK for p in _items(name)]
    workloads = PromptSet(name="workloads", prompts=items)
    plain = PromptSet(name="extraction", prompts=_items("extraction"))
    answers = {p.prompt: p.reference or "" for p in [*items, *plain.prompts]}
    timer = next(p for p in items if p.id == "timer-01")
    answers[timer.prompt] = "Sure, the timer is set."  # prose instead of the call: fails, not unparsed
    store = Store(tmp_path_factory.mktemp("wl") / "bench.db")
    with WorkloadServer(Script(answers, n_ctx=1400)) as server:  # the 2k document is refused
        settings = RunSettings(models=[MODEL], rounds=2, warmup=0, endpoint=server.url, retries=0)
        ids = [run_benchmark(store, settings, prompt_set)[0] for prompt_set in (workloads, plain)]
    return store, ids


def test_results_carry_the_workload_and_turn_of_every_sample(runs: tuple[Store, list[str]]) -> None:
    store, ids = runs
    samples = load_results(store, ids).samples
    by_prompt = samples.drop_duplicates("prompt_id").set_index("prompt_id")
    assert by_prompt.loc["lc-512-d25", "workload"] == "long-context"
    assert by_prompt.loc["person-01", "workload"] in ("json-output", "")  # the plain run has none
    assert set(samples.loc[samples["prompt_set"] == "extraction", "workload"]) == {""}
    turns = samples[samples["workload"] == "multi-turn"].set_index("prompt_id")["turn"]
    assert [turns[f"trip-t{n}"].iloc[0] for n in range(1, 5)] == [1, 2, 3, 4]


def test_pass_rates_per_workload_with_refusals_and_unparsed(runs: tuple[Store, list[str]]) -> None:
    store, ids = runs
    rates = ws.pass_rates(load_results(store, ids).samples, check_store.frame(store, ids))
    rows = {r["workload"]: r for r in rates.to_dict("records")}
    tools = rows["tool-calls"]
    assert (tools["n"], tools["pass_rate"]) == (8, 0.75)  # 3 of 4 prompts right, 2 rounds each
    assert tools["low"] < 0.75 < tools["high"] and (tools["unparsed"], tools["unparsed_n"]) == (0, 8)
    long = rows["long-context"]
    assert (long["n"], long["refused"], long["pass_rate"]) == (4, 2, 1.0)  # the 2k prompt never sent
    assert rows["multi-turn"]["pass_rate"] == 1.0 and rows["json-output"]["pass_rate"] == 1.0


def test_long_context_turns_and_constrained_cost_tables(runs: tuple[Store, list[str]]) -> None:
    store, ids = runs
    samples = load_results(store, ids).samples
    long = ws.long_context_table(samples).iloc[0]
    points = ws.long_context_points(samples)
    assert long["longest_input_tokens"] == points["prompt_tokens"].max() < 1400
    assert long["refused"] == 2 and long["n_4k"] == 0 and long["ttft_p95_4k_s"] is None
    assert (points["prefill_tps"] > 0).all()
    turns = ws.turn_table(samples)
    assert list(turns["turn"]) == [1, 2, 3, 4] and (turns["n"] == 2).all()
    assert list(turns["cached_prompt_tokens"]) == sorted(turns["cached_prompt_tokens"])
    cost = ws.constrained_cost(samples).iloc[0]
    assert cost["prompts"] == 2 and cost["slowdown"] > 0  # both sets ran: the same two prompts


def test_reports_and_chart_show_the_workloads(runs: tuple[Store, list[str]]) -> None:
    store, ids = runs
    text = exports.render_markdown(store, ids)
    assert "## Workloads" in text and "### Long context" in text and "### Multi-turn: per turn" in text
    tool_rows = [line for line in text.splitlines() if "| tool-calls |" in line]
    assert len(tool_rows) == 1 and tool_rows[0].startswith(f"| {MODEL}") and "| 75% [" in tool_rows[0]
    assert "### Constrained JSON decoding" in text
    (cost_row,) = [line for line in text.splitlines() if line.startswith(f"| {MODEL} | 2 |")]
    cells = [c.strip() for c in cost_row.strip("|").split("|")]
    assert (
        len(cells) == 9 and cells[5].replace(".", "").isdigit() and cells[7].endswith("%")
    )  # decode, side by side
    assert f"- json-output, {MODEL}" in text and "response_format json_schema sent" in text  # said per model
    report = exports.report_dict(store, ids)
    assert {r["workload"] for r in report["workloads"]["pass_rates"]} == set(PICK)
    rows = list(csv.DictReader(io.StringIO(exports.samples_csv(store, ids))))
    assert {r["workload"] for r in rows} == {*PICK, ""}
    chart = workload_charts.input_tokens_chart(ws.long_context_points(load_results(store, ids).samples))
    spec = chart.to_dict()
    assert len(spec["layer"]) == 2  # every request as a point, a line through the medians
    assert "n=4 requests" in str(spec["title"])


def test_a_plain_run_has_no_workload_section(tmp_path: Path) -> None:
    store = Store(tmp_path / "bench.db")
    prompts = PromptSet(name="plain", prompts=_items("extraction"))
    answers = {p.prompt: p.reference or "" for p in prompts.prompts}
    with WorkloadServer(Script(answers)) as server:
        settings = RunSettings(models=[MODEL], rounds=1, warmup=0, endpoint=server.url)
        run_id, _ = run_benchmark(store, settings, prompts)
    assert "## Workloads" not in exports.render_markdown(store, [run_id])
    assert exports.report_dict(store, [run_id])["workloads"] == {}


def test_turns_come_from_the_stored_set_when_only_the_set_names_the_workload() -> None:
    stored = resolve_prompt_set("multi-turn").model_dump(
        by_alias=True
    )  # as a run stores it: prompts say None
    samples = pd.DataFrame({"run_id": ["r"] * 3, "prompt_id": ["trip-t1", "trip-t4", "shopping-t8"]})
    out = ws.annotate(samples, [{"id": "r", "prompts": stored}])
    assert list(out["workload"]) == ["multi-turn"] * 3 and list(out["turn"]) == [1, 4, 8]
