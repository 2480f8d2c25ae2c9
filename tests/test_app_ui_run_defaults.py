"""Pages open on the newest *completed* runs, and a stopped run's model is not "running".

Seen (issue 20): with a cancelled run newest, Results, Decide, Compare and Annotate preselected it:
Decide said "no recommendation", Compare "no detectable change", Annotate blamed the rubric set,
and the cancelled run's model showed status "running". The runs here are real (tiny model); the
cancel is the runner's own Cancel, set when the model has loaded.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from bench.inputs.config import PromptSet, RunSettings
from bench.run.runner import run_benchmark
from bench.store.store import Store
from tests.app_support import APP

PROMPTS = {
    "name": "defaults-runs",
    "prompts": [{"id": "capital", "prompt": "Capital of France?", "aspects": ["accuracy"]}],
}


def _run(env: Path, model: str, cancel_at: str | None = None) -> tuple[str, str]:
    """A real run of ``model``; with ``cancel_at`` the runner's Cancel is set at that progress event."""
    cancel = threading.Event()

    def progress(p: Any) -> None:
        if p.event == cancel_at:
            cancel.set()

    settings = RunSettings(models=[model], rounds=3, warmup=0, max_tokens=4)
    return run_benchmark(
        Store(env / "bench.db"), settings, PromptSet.model_validate(PROMPTS), progress=progress, cancel=cancel
    )


def _page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_pages_open_on_the_newest_completed_runs_not_a_cancelled_one(env: Path, tiny_model: str) -> None:
    older, status = _run(env, tiny_model)
    assert status == "completed"
    newer, status = _run(env, tiny_model)
    assert status == "completed"
    cancelled, status = _run(env, tiny_model, cancel_at="model_loaded")
    assert status == "cancelled"

    at = _page("pages/results.py")
    assert at.multiselect(key="results_runs").value == [newer]
    at = _page("pages/decide.py")
    assert at.multiselect(key="decide_runs").value == [newer]
    at = _page("pages/compare.py")
    assert at.selectbox(key="compare_new").value == newer
    assert at.selectbox(key="compare_base").value == older

    # asked for: the cancelled run is still there to pick, and its model is "cancelled", not "running"
    at = _page("pages/results.py")
    assert any(o.startswith(cancelled) for o in at.multiselect(key="results_runs").options)
    at.multiselect(key="results_runs").set_value([cancelled]).run()
    assert not at.exception, [e.message for e in at.exception]
    assert Store(env / "bench.db").run_models(cancelled)[0]["status"] == "running"  # what the store kept


def test_a_cancelled_model_reads_cancelled_in_the_numbers_table(env: Path, tiny_model: str) -> None:
    run_id, status = _run(env, tiny_model, cancel_at="sample")  # one answer stored, then Cancel
    assert status == "cancelled"
    at = _page("pages/results.py")
    at.multiselect(key="results_runs").set_value([run_id]).run()
    assert not at.exception, [e.message for e in at.exception]
    statuses = [list(df.value["Status"]) for df in at.dataframe if "Status" in df.value.columns]
    assert statuses, "no Numbers table"
    assert all(s == ["cancelled"] for s in statuses), statuses


def test_annotate_and_judge_open_on_the_completed_run(env: Path, tiny_model: str) -> None:
    completed, _ = _run(env, tiny_model)
    cancelled, status = _run(env, tiny_model, cancel_at="sample")  # has an answer, so it is gradable
    assert status == "cancelled"
    at = _page("pages/annotate.py")
    assert at.selectbox(key="annotate_run").value == completed
    assert any(str(o).startswith(cancelled) for o in at.selectbox(key="annotate_run").options)


def test_true_status_words() -> None:
    from ui.runs import model_status, newest_usable

    runs = [
        {"id": "c", "status": "cancelled", "n_samples": 3},
        {"id": "e", "status": "completed", "n_samples": 0},
        {"id": "b", "status": "completed", "n_samples": 2},
        {"id": "a", "status": "partial", "n_samples": 2},
    ]
    assert newest_usable(runs, 2) == ["b", "a"]
    assert newest_usable(runs[:2]) == ["c"]  # nothing usable: the newest, rather than nothing
    assert model_status("running", "cancelled") == "cancelled"
    assert model_status("loading", "interrupted") == "interrupted"
    assert model_status("done", "completed") == "done"
    assert model_status("running", "running") == "running"


def test_pairwise_on_a_one_model_run_says_it_needs_two_models(env: Path, tiny_model: str) -> None:
    """Seen: a one-model run showed "0 of 0 comparisons… Thank you!" in pairwise mode."""
    _run(env, tiny_model)
    at = _page("pages/annotate.py")
    at.text_input(key="annotator_name").set_value("ana").run()
    at.radio(key="annotate_mode").set_value("Pairwise votes").run()
    assert not at.exception, [e.message for e in at.exception]
    shown = "\n".join(str(i.value) for i in at.info)
    assert "Pairwise votes need two models" in shown, shown
    assert "Thank you" not in "\n".join(str(s.value) for s in at.success)
