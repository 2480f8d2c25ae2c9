"""The app's workload parts through ``streamlit.testing.v1.AppTest``: the Run page describes a workload set
in one line, and Results shows the Workloads panel (pass rates, the long-context charts) for a run of them.

The run is real and goes through the real runner to tests/workload_server.py, a real HTTP server on
127.0.0.1 standing in for a model that calls tools (it replies with the sets' reference answers).
"""

from __future__ import annotations

from pathlib import Path

from bench.inputs.config import PromptSet, RunSettings, resolve_prompt_set
from bench.inputs.workloads import WORKLOAD_DESCRIPTIONS
from bench.run.runner import run_benchmark
from tests.app_support import CHART, app, db, open_page, texts
from tests.workload_server import MODEL, Script, WorkloadServer


def test_run_page_describes_each_workload_set(env: Path) -> None:
    at = open_page(app(), "pages/run.py")
    labels = at.selectbox(key="run_prompt_set").options
    for name in WORKLOAD_DESCRIPTIONS:
        assert f"{name} (built-in)" in labels
        at.selectbox(key="run_prompt_set").set_value(f"{name} (built-in)").run()
        assert not at.exception
        assert f"Workload **{name}**: {WORKLOAD_DESCRIPTIONS[name]}." in texts(at.caption)


def test_results_shows_the_workloads_panel(env: Path) -> None:
    picks = {"long-context": ["lc-512-d25", "lc-1k-d50"], "tool-calls": ["weather-01", "none-02"]}
    items = [
        p.model_copy(update={"workload": name})
        for name, ids in picks.items()
        for p in resolve_prompt_set(name).prompts
        if p.id in ids
    ]
    answers = {p.prompt: p.reference or "" for p in items}
    with WorkloadServer(Script(answers)) as server:
        settings = RunSettings(models=[MODEL], rounds=1, warmup=0, endpoint=server.url)
        run_id, _ = run_benchmark(db(env), settings, PromptSet(name="mixed", prompts=items))
    at = app()
    at.query_params["run"] = [run_id]
    open_page(at, "pages/results.py")
    assert not at.exception
    assert "Workloads" in texts(at.subheader)
    rates = next(t.value for t in at.dataframe if "pass rate [95%]" in t.value.columns)
    assert set(rates["workload"]) == set(picks) and all(
        r.startswith("100% [") for r in rates["pass rate [95%]"]
    )
    titles = " ".join(str(c.proto.spec) for c in at.get(CHART))
    assert "against input tokens (n=2 requests)" in titles
