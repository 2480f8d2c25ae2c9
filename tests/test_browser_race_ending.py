"""The Race names its winner even when the server drops the messages of the page's last full run.

Seen (issue 18): on a loaded machine the Race's lanes said "done", but the winner banner and the Save
button never came (once in CI, once in about 35 loaded runs here). Streamlit (1.67) ignores the events
of a script runner that is no longer the session's current one; a timer tick handled after the final
full run had ended on its thread, but before the server had sent all of that run's messages, got a
new runner, and the rest of the run was never sent. ``tests.slow_events --ticks-wait`` makes that
order happen every time: a tick that arrives while a full run executes is held until its runner has
ended. ``ui.stale_reruns`` drops a tick that reaches a runner whose end the session has not handled
yet, so the run's messages are all sent and the winner comes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import slow_events
from tests.test_browser import CHROMIUM_ARGS, MAIN_STATE, Wire, _chromium, serve_app
from tests.test_browser_page_switch import HEARS_LATE

pytestmark = [pytest.mark.browser, pytest.mark.slow]
RACE_S = 1.0  # each run of the Race page takes this much longer: ticks arrive while it is drawn


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    """The app, the tiny test model offered, a timer's tick held while a full run executes."""
    yield from serve_app(tmp_path, show_test_models=True, slow_pages={"race": RACE_S}, ticks_wait=True)


def test_the_race_names_its_winner_when_its_last_full_run_is_dropped(
    app_url: str, tiny_model: str, default_model: str, tmp_path: Path
) -> None:
    _chromium()
    assert slow_events.TICKS_MARK in (tmp_path / "streamlit.log").read_text()
    from playwright.sync_api import sync_playwright

    url = f"{app_url}/race?presenter=1&models={tiny_model}&models={default_model}&go=1"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.add_init_script(HEARS_LATE)  # its timer ticks on for a while after each full run starts
            wire = Wire(page)
            page.goto(url)
            try:
                page.locator(".slm-banner").wait_for(timeout=120_000)
                page.get_by_role("button", name="Save as a run").wait_for(timeout=30_000)
            except Exception as exc:
                held = page.evaluate(MAIN_STATE)
                raise AssertionError(f"no winner; the page held: {held}\nreceived: {wire.tail()}") from exc
        finally:
            browser.close()
