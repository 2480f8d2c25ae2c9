"""Defaults that do not waste time, and no test model in front of users.

Seen: Race and Judge preselected the slowest model; Judge showed no request count or time before
"Grade answers"; a one-model race showed a "Fastest" trophy; the random-weight ``tiny-test`` model
was offered on Home, Models and Judge.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from bench.inputs.config import PromptSet, RunSettings
from bench.run.runner import run_benchmark
from bench.stats.speed_history import Speed, estimate, fastest_first, measured_speeds
from bench.store.store import Store

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PROMPTS = {
    "name": "defaults-test",
    "prompts": [
        {"id": "capital", "prompt": "Capital of France?", "aspects": ["accuracy", "concision"]},
        {"id": "color", "prompt": "Name a color.", "aspects": ["instruction_following"]},
    ],
}


def texts(elements: Any) -> str:
    return "\n".join(str(e.value) for e in elements)


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    ok(at.run())
    return ok(at.switch_page(page).run())


def _run(env: Path, models: list[str]) -> str:
    settings = RunSettings(models=models, rounds=2, warmup=0, max_tokens=8)
    run_id, status = run_benchmark(Store(env / "bench.db"), settings, PromptSet.model_validate(PROMPTS))
    assert status == "completed"
    return run_id


# ---- pure ordering and estimates (synthetic speeds with a known answer) ---------------------------
def test_fastest_first_uses_measured_speed_then_size() -> None:
    speeds = {"slow": Speed("slow", 6.0, 0.5, 10, "r"), "fast": Speed("fast", 65.0, 0.1, 10, "r")}
    sizes = {"big": 3 * 10**9, "small": 10**8}
    assert fastest_first(["big", "slow", "small", "fast"], speeds, sizes) == ["fast", "slow", "small", "big"]


def test_estimate_scales_with_requests_and_speed() -> None:
    guess = estimate(10, Speed("m", 50.0, 0.2, 8, "r"), typical_tokens=100, max_tokens=250)
    assert guess.typical_s == pytest.approx(10 * (0.2 + 2.0))
    assert guess.worst_s == pytest.approx(10 * (0.2 + 5.0))
    assert "median of 8 warm requests" in guess.basis
    assert estimate(10, None).typical_s is None


# ---- the pages ------------------------------------------------------------------------------------
def test_the_test_model_is_hidden_from_users(
    env: Path, tiny_model: str, default_model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLM_BENCH_SHOW_TEST_MODELS", "0")
    at = open_page("pages/run.py")
    options = at.multiselect[0].options
    assert tiny_model not in options and default_model in options
    at = open_page("pages/race.py")
    assert tiny_model not in at.multiselect[0].options
    at = open_page("pages/models.py")
    shown = "\n".join(str(df.value) for df in at.dataframe)
    assert tiny_model not in shown and default_model in shown


def test_race_preselects_the_fastest_measured_models_and_one_model_gets_no_trophy(
    env: Path, tiny_model: str, default_model: str
) -> None:
    _run(env, [default_model, tiny_model])
    speeds = measured_speeds(Store(env / "bench.db"))
    expected = sorted([tiny_model, default_model], key=lambda m: -speeds[m].decode_tps)
    at = open_page("pages/race.py")
    assert at.multiselect[0].value[:2] == expected
    assert "Measured here" in texts(at.caption)


def test_judge_preselects_the_fastest_model_that_is_not_graded_and_estimates_the_work(
    env: Path, tiny_model: str, default_model: str
) -> None:
    _run(env, [default_model])  # measures the default model's speed
    graded = _run(env, [tiny_model])  # the run to grade: the tiny model's answers
    at = open_page("pages/judge.py")
    assert at.selectbox(key="judge_run").value == graded or graded in str(at.selectbox(key="judge_run").value)
    box = next(s for s in at.selectbox if str(s.key).startswith("judge_model_"))
    assert box.value == default_model, box.options  # not the graded model, though the tiny one is faster
    shown = texts(at.markdown)
    assert "**3 requests**" in shown, shown  # 2 prompts: 2 + 1 aspects of one model
    assert "about" in shown and "tok/s decode" in shown


def test_a_two_model_race_still_names_its_winners(env: Path, tiny_model: str, default_model: str) -> None:
    import time

    at = open_page("pages/race.py")
    at.multiselect[0].set_value([tiny_model, default_model])
    at.number_input(key="race_max_tokens").set_value(8)
    ok(at.button(key="race_start").click().run())
    deadline = time.monotonic() + 180
    while not any(b.key == "race_save" for b in at.button):
        assert time.monotonic() < deadline, texts(at.markdown)[:2000]
        time.sleep(0.3)
        ok(at.run())
    banner = texts(at.success)
    assert "Fastest first token" in banner and "Fastest decoding" in banner
    assert "ran alone" not in texts(at.info)
