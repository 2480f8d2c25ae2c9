"""The Decide page through ``streamlit.testing.v1.AppTest``: empty database, a real run, people's scores.

The page is opened through the router (``app.py`` + ``switch_page``) like every other page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from bench.inputs.config import PromptSet, RunSettings
from bench.run.runner import run_benchmark
from bench.store.store import Store

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
DECIDE = "pages/decide.py"
CHART = "vega_lite_chart"
TIMEOUT = 60
PROMPTS = {
    "name": "decide-test",
    "prompts": [
        {"id": "capital", "prompt": "Capital of France?", "aspects": ["accuracy"]},
        {"id": "color", "prompt": "Name a color.", "aspects": ["instruction_following"]},
    ],
}


def texts(elements: Any) -> str:
    return "\n".join(str(e.value) for e in elements)


def check(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def open_decide(run_ids: list[str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    check(at.run())
    if run_ids:
        at.query_params["run"] = run_ids
    return check(at.switch_page(DECIDE).run())


def a_run(env: Path, tiny_model: str) -> str:
    settings = RunSettings(models=[tiny_model, "missing-model"], rounds=2, warmup=0, max_tokens=8)
    run_id, status = run_benchmark(Store(env / "bench.db"), settings, PromptSet.model_validate(PROMPTS))
    assert status == "partial"  # missing-model failed; the tiny model finished
    return run_id


def test_decide_on_an_empty_database_says_what_to_do(env: Path) -> None:
    at = open_decide()
    assert at.title[0].value == "Decide"
    assert not at.error, texts(at.error)
    assert "No runs in the database yet" in texts(at.info)


def test_decide_ranks_a_run_and_draws_the_front(env: Path, tiny_model: str) -> None:
    run_id = a_run(env, tiny_model)
    at = open_decide([run_id])
    assert not at.error, texts(at.error)
    assert f"Recommended default: {tiny_model}" in texts(at.success)
    caveats = texts(at.warning)
    assert "no quality scores" in caveats and "missing-model failed" in caveats
    source = at.selectbox(key="decide_source_none")
    assert source.disabled and source.value == "No quality scores in these runs"
    table = at.dataframe[0].value
    assert table["Model"].tolist() == [tiny_model, "missing-model"]
    assert table["Rank"].tolist() == ["1", "—"]  # a failed model has no rank: "—", not "None"
    assert len(at.get(CHART)) == 1
    assert "decode tok/s" in texts(at.caption)  # no quality: the front is against decode speed

    # weights and statistic change the ranking's inputs; all-zero weights are refused
    check(at.selectbox(key="decide_stat").set_value("p50").run())
    assert "Latency p50 (s)" in at.dataframe[0].value.columns
    for c in ("quality", "latency", "throughput", "memory", "size"):
        at.slider(key=f"decide_w_{c}").set_value(0.0)
    check(at.run())
    assert "at least one criterion" in texts(at.warning)


def test_decide_uses_peoples_scores(env: Path, tiny_model: str) -> None:
    from rubrics.annotate import save_scores

    run_id = a_run(env, tiny_model)
    store = Store(env / "bench.db")
    save_scores(store, run_id, "capital", tiny_model, "ana", {"accuracy": 4})
    save_scores(store, run_id, "color", tiny_model, "ana", {"instruction_following": 3})
    at = open_decide([run_id])
    assert at.selectbox(key="decide_source").value == "people"
    assert "quality 3.5 by people (n=2)" in texts(at.success)
    assert at.dataframe[0].value["Quality"].iloc[0] == "3.50"  # text: missing-model's cell reads "—"
    assert len(at.get(CHART)) == 1
