"""The quick benchmark's switch to Results, in a browser that hears the server late (headless Debian Chromium).

Seen (issue 18): on a loaded fresh clone, Results was drawn in full after the quick benchmark, then
its main area went blank two seconds later, with no script running and nothing in the server's log.
The cause, read in Streamlit's code: while the browser has not yet heard that Home's run has begun,
its half-second timer for Home's job panel still asks for fragment runs stamped with Home's page. One
that reaches the server while Results is being drawn waits its turn and runs after it; the browser
sees a run of another page, clears the screen, and the fragment (gone with Home) draws nothing.

A starved machine is what opens that window: a browser that hears the server late, a Results page
that takes seconds to draw. Here it is opened on purpose and every time (:mod:`tests.slow_events`):
each message from the server is handed to the page :data:`LATE_S` late (the browser's own requests
leave on time), and Results takes :data:`RESULTS_S` longer to draw, so several of Home's timer
requests reach the server while Results is being drawn.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import slow_events
from tests.test_browser import CHROMIUM_ARGS, MAIN_STATE, SETTLED, Wire, _chromium, _settle, serve_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LATE_S = 1.5  # three of the job panel's 0.5 s timer ticks
RESULTS_S = 2.0  # a Results page drawn on a loaded machine

#: Wraps the page's WebSocket so each message it receives reaches Streamlit's handler ``LATE_S`` late, in order
HEARS_LATE = """
(() => {
  const delay = DELAY_MS;
  const Native = window.WebSocket;
  const late = (listener, socket) =>
    listener && ((event) => setTimeout(() => listener.call(socket, event), delay));
  class LateWebSocket extends Native {
    addEventListener(type, listener, options) {
      return super.addEventListener(type, type === 'message' ? late(listener, this) : listener, options);
    }
  }
  window.WebSocket = LateWebSocket;
})();
""".replace("DELAY_MS", str(round(LATE_S * 1000)))


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    """The app, its Results page drawn :data:`RESULTS_S` slower."""
    yield from serve_app(tmp_path, show_test_models=False, slow_pages={"results": RESULTS_S})


def test_results_stays_drawn_after_the_quick_benchmark_in_a_late_browser(
    app_url: str, default_model: str, tmp_path: Path
) -> None:
    _chromium()
    log = (tmp_path / "streamlit.log").read_text()
    assert slow_events.PAGE_MARK.format("results", RESULTS_S) in log  # Results is drawn slower
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1600})
            page.add_init_script(HEARS_LATE)
            wire = Wire(page)
            page.goto(app_url)
            assert page.evaluate("() => window.WebSocket.name") == "LateWebSocket"  # the lateness is on
            start = page.get_by_role("button", name="Run the quick benchmark")
            start.wait_for(timeout=90_000)
            start.click()
            page.wait_for_url(re.compile(r"/results\?run=\d{8}-"), timeout=240_000)
            _settle(page, wire)
            # Results at rest. Then as long again as the lateness, twice over: a run that was waiting
            # behind Results has come and gone by then
            time.sleep(4 * LATE_S)
            page.wait_for_function(
                "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
            )
            held = page.evaluate(MAIN_STATE)
            assert page.evaluate(SETTLED), f"Results went blank; the page held: {held}\n{wire.tail()}"
            assert "/results?run=" in held["url"], held
        finally:
            browser.close()
