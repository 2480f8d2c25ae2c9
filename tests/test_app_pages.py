"""The Streamlit app through ``streamlit.testing.v1.AppTest``: every page, a run from the Run page to
Results and Report, cancel, several runs side by side, the quick benchmark.

Models and endpoints: ``test_app_models.py``; prompt and rubric sets: ``test_app_prompts.py``;
what they share: ``app_support.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.report import exports as report
from tests.app_support import (
    CHART,
    PAGES,
    app,
    db,
    job_finished,
    open_page,
    start_run,
    texts,
    wait_for,
)


# ---- every page renders ------------------------------------------------------------------------------
def test_every_page_renders_on_an_empty_database(env: Path) -> None:
    at = app()
    assert at.title[0].value == "SLM Bench"
    assert any(b.label == "Run the quick benchmark" for b in at.button)
    labels = {m.label for m in at.metric}
    assert {"SDK", "Models", "Providers", "Runs"} <= labels
    for page in PAGES[1:]:
        open_page(at, page)
        assert not at.error, f"{page}: {texts(at.error)}"
    # Results and Report explain what to do when there is nothing to show
    open_page(at, "pages/results.py")
    assert "No runs in the database yet" in texts(at.info)


# ---- a run from the Run page ---------------------------------------------------------------------------
def test_run_page_stores_a_run_that_results_draws(env: Path, tiny_model: str) -> None:
    at = open_page(app(), "pages/run.py")
    assert tiny_model in at.multiselect[0].options
    start_run(at, [tiny_model], rounds=2, warmup=1)
    wait_for(at, job_finished)
    assert "completed" in texts(at.success), texts(at.markdown)

    runs = db(env).list_runs()
    assert len(runs) == 1 and runs[0]["status"] == "completed"
    run_id = runs[0]["id"]
    samples = db(env).samples([run_id])
    prompts = 5  # the built-in workshop set, the page's default
    assert len(samples) == (2 + 1) * prompts
    assert sum(s["warmup"] for s in samples) == prompts
    assert all(s["transport"] == "in-process" for s in samples)
    assert runs[0]["settings"]["max_tokens"] == 16  # stored as the CLI stores it: the full settings

    at.button(key="run_open").click().run()  # "Open this run in Results"
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "Results"
    assert len(at.get(CHART)) >= 7  # distribution, p50/p95, scatter, per prompt, TTFT, 3 resource panels
    table = at.dataframe[0].value
    assert list(table["Model"]) == [tiny_model]
    assert int(table["Requests (warm)"].iloc[0]) > 0
    assert table["Transport"].iloc[0] == "in-process"
    assert "usage" in table["Token source"].iloc[0]
    assert {"Runs", "Models", "Measured requests", "Failed requests"} <= {m.label for m in at.metric}

    open_page(at, "pages/report.py")  # the same selection, the same text the CLI writes
    markdown = report.render_markdown(db(env), [run_id])
    shown = [m.value for m in at.markdown if "SLM Bench report" in str(m.value)]
    assert [s.strip() for s in shown] == [markdown.strip()]
    assert [b.label for b in at.get("download_button")][:3] == [  # then the HTML report and the bundle
        "Download benchmark_report.md",
        "Download samples.csv",
        "Download report.json",
    ]


def test_cancel_stops_the_run_and_keeps_what_was_measured(env: Path, tiny_model: str) -> None:
    at = open_page(app(), "pages/run.py")
    start_run(at, [tiny_model], rounds=300, warmup=0, max_tokens=64)
    wait_for(at, lambda a: bool(db(env).list_runs()) and db(env).list_runs()[0]["n_samples"] >= 3)
    at.button(key="run_cancel").click().run()
    wait_for(at, job_finished)
    assert "Cancelled" in texts(at.warning)
    run = db(env).list_runs()[0]
    assert run["status"] == "cancelled"
    assert 3 <= run["n_samples"] < 300 * 5


def test_run_without_a_model_says_what_to_do(env: Path, tiny_model: str) -> None:
    at = open_page(app(), "pages/run.py")
    at.multiselect[0].set_value([])
    at.button(key="run_start").click().run()
    assert not at.exception
    assert "no model chosen" in texts(at.error)
    assert "pick at least one model" in texts(at.error)
    assert db(env).list_runs() == []


# ---- results: several runs side by side --------------------------------------------------------------
def test_results_compares_runs_side_by_side(env: Path, tiny_model: str) -> None:
    from bench.inputs.config import RunSettings, resolve_prompt_set
    from bench.run.runner import run_benchmark

    settings = RunSettings(models=[tiny_model], rounds=1, warmup=0, max_tokens=8)
    ids = [run_benchmark(db(env), settings, resolve_prompt_set("workshop"))[0] for _ in range(2)]
    at = app()
    at.query_params["run"] = ids
    open_page(at, "pages/results.py")
    assert sorted(at.multiselect[0].value) == sorted(ids)
    table = at.dataframe[0].value
    assert len(table) == 2 and table["Model"].nunique() == 2  # "model · run" keeps them apart
    assert all(name.startswith(f"{tiny_model} · ") for name in table["Model"])
    assert at.metric[1].value == "2"  # two series
    assert len(at.get(CHART)) >= 7


def test_results_fills_the_answers_only_when_opened(env: Path, tiny_model: str) -> None:
    """Closed, the Answers section sends no answer (80 elements at 4 models, a tenth of a second of every
    new tab); opened (its state is the expander's key, as a click sets it), every model's answers appear."""
    from bench.inputs.config import RunSettings, resolve_prompt_set
    from bench.run.runner import run_benchmark

    settings = RunSettings(models=[tiny_model], rounds=2, warmup=0, max_tokens=8)
    run_id = run_benchmark(db(env), settings, resolve_prompt_set("workshop"))[0]
    at = app()
    at.query_params["run"] = [run_id]
    open_page(at, "pages/results.py")
    assert "Answers" in [e.label for e in at.expander]
    assert len(at.text) == 0  # no answer sent
    assert "results_answers_prompt" not in [s.key for s in at.selectbox]

    at.session_state["results_answers_open"] = True
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    first_prompt = db(env).samples([run_id])[0]["prompt_id"]
    assert at.selectbox(key="results_answers_prompt").value == first_prompt
    assert len(at.text) == 2  # both rounds of the one model, each answer as plain text
    headers = [
        m for m in texts(at.markdown).splitlines() if m.startswith(f"**{tiny_model}** · ") and "tokens (" in m
    ]
    assert len(headers) == 2, texts(at.markdown)  # each answer under its model, round, time and token count


# ---- home: the one-click quick benchmark on the real default model -------------------------------------
@pytest.mark.slow
def test_quick_benchmark_lands_on_results_with_charts(
    env: Path, default_model: str, tiny_model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Home's one click: the default model is made ready, a run is stored, Results opens on it with its
    charts. The run itself uses the tiny model here (the flow is the subject; the browser test runs the
    real SmolLM2 through the same click), which saves a minute of CPU under load."""
    from bench.acquire import importer
    from ui import tasks

    asked: list[str] = []
    monkeypatch.setattr(tasks, "default_model_name", lambda: tiny_model)
    monkeypatch.setattr(importer, "ensure_default_model", lambda progress=None: asked.append(default_model))
    at = app()
    at.button(key="quick_start").click().run()
    assert not at.exception and not at.error, texts(at.error)
    wait_for(at, lambda a: a.title and a.title[0].value == "Results", 240)
    assert asked == [default_model]  # the click made sure the default model was there
    runs = db(env).list_runs()
    assert len(runs) == 1 and runs[0]["status"] == "completed"
    assert runs[0]["settings"]["models"] == [tiny_model]
    assert runs[0]["label"] == "quick benchmark"
    assert at.multiselect[0].value == [runs[0]["id"]]
    assert len(at.get(CHART)) >= 7
