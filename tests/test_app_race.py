"""The Race page through AppTest: race the tiny model, watch tiles and answer, save it as a run.

The page is opened through the router like every other page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from bench.store.store import Store

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/race.py"
TIMEOUT = 60


def texts(elements: Any) -> str:
    return "\n".join(str(e.value) for e in elements)


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def open_race() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    ok(at.run())
    ok(at.switch_page(PAGE).run())
    assert at.title[0].value == "Race"
    return at


def wait_for(at: AppTest, done: Callable[[AppTest], bool], seconds: float = 120) -> AppTest:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.3)
        ok(at.run())
        if done(at):
            return at
    raise AssertionError(f"timed out; page shows: {texts(at.markdown)[:2000]} {texts(at.error)}")


def has_button(key: str) -> Callable[[AppTest], bool]:
    return lambda at: any(b.key == key for b in at.button)


@pytest.mark.parametrize("mode", ["sequential", "together"])
def test_race_page_races_the_tiny_model_and_saves_a_run(env: Path, tiny_model: str, mode: str) -> None:
    at = open_race()
    assert not at.error, texts(at.error)
    assert tiny_model in at.multiselect[0].options
    at.multiselect[0].set_value([tiny_model])
    ok(at.radio(key="race_mode").set_value(mode).run())
    assert ("not a fair speed comparison" in texts(at.warning)) == (mode == "together")
    at.number_input(key="race_max_tokens").set_value(16)
    ok(at.button(key="race_start").click().run())
    assert "did not start" not in texts(at.error), texts(at.error)

    wait_for(at, has_button("race_save"))
    metrics = {m.label: m.value for m in at.metric}
    assert {"TTFT", "Tokens/s", "Tokens", "Elapsed"} <= set(metrics)
    assert metrics["Tokens"] == "16"
    assert metrics["TTFT"] != "—" and metrics["Tokens/s"] != "—"
    assert any(t.value.strip() for t in at.text), "the answer is shown"
    banner = texts(at.info)  # one model is no race: its numbers, never a "Fastest" trophy
    assert "ran alone" in banner and "first token" in banner and "`usage`" in banner
    assert "Fastest" not in texts(at.success)

    ok(at.button(key="race_save").click().run())
    assert "Saved as run" in texts(at.success)
    runs = Store(env / "bench.db").list_runs()
    assert len(runs) == 1 and runs[0]["label"].startswith("race") and runs[0]["status"] == "completed"
    assert ("not a fair speed comparison" in runs[0]["label"]) == (mode == "together")
    (sample,) = Store(env / "bench.db").samples([runs[0]["id"]])
    assert sample["model"] == tiny_model and sample["ok"] and sample["answer"].strip()
    ok(at.button(key="race_open").click().run())
    assert at.title[0].value != "Race"  # now on Results, showing the saved run


def test_race_page_shows_a_bad_start_as_an_error(env: Path, tiny_model: str) -> None:
    at = open_race()
    at.multiselect[0].set_value([])
    ok(at.button(key="race_start").click().run())
    assert "no model chosen" in texts(at.error)
    assert not has_button("race_save")(at)


def test_prompt_from_the_workshop_set_fills_the_prompt(env: Path) -> None:
    at = open_race()
    pick = at.selectbox(key="race_prompt_pick")
    choice = next(o for o in pick.options if o.startswith("capital"))
    ok(pick.set_value(choice).run())
    assert at.text_area(key="race_prompt").value.startswith("What is the capital of France?")
