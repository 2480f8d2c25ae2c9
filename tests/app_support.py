"""What the AppTest page tests share: the app under test, its own database per test, polling.

Each test gets its own SQLite file (``SLM_BENCH_DB``) and its own folder for endpoints and user
prompt/rubric sets (``SLM_BENCH_APP_DIR``); models stay in the test home ``.slm-bench-test`` (built once).
Runs happen on a background thread of the app, so tests poll with ``at.run()`` like a browser does.
The ``env`` fixture that gives each test its own database and app folder is in ``conftest.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from bench.store.store import Store
from ui import routing

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
#: every page of the app, in navigation order (Home first)
PAGES = [path for _, path, _, _ in routing.PAGES]
CHART = "vega_lite_chart"  # the node type AppTest gives st.altair_chart
TIMEOUT = 60


def app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def open_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(elements: Any) -> str:
    return "\n".join(str(e.value) for e in elements)


def wait_for(at: AppTest, done: Callable[[AppTest], bool], seconds: float = 240) -> AppTest:
    """Rerun the page (as the browser's auto-refresh would) until ``done`` or time is up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        if done(at):
            return at
    raise AssertionError(f"timed out; page shows: {texts(at.markdown)[:2000]}")


def job_finished(at: AppTest) -> bool:
    from ui.jobs import registry

    return registry().active() is None and not at.get("progress")


def db(env: Path) -> Store:
    return Store(env / "bench.db")


def start_run(at: AppTest, models: list[str], rounds: int = 2, warmup: int = 1, max_tokens: int = 16) -> None:
    at.multiselect[0].set_value(models)
    at.number_input(key="run_rounds").set_value(rounds)
    at.number_input(key="run_warmup").set_value(warmup)
    at.number_input(key="run_max_tokens").set_value(max_tokens)
    at.button(key="run_start").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "did not start" not in texts(at.error), texts(at.error)
    assert at.get("subheader")[-1].value == "Progress"
