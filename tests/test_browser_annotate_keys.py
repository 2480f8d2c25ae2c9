"""Annotation at keyboard speed, in headless Chromium (Debian's): 1-5 keys, Enter saves, Tab skips "?".

Seen (issue 20): 5 clicks per answer; number keys did nothing; Ctrl+Enter on a focused score un-picked
it instead of saving; Tab stopped on every "?" icon; a picked score was a faint outline. The run is
a real SQLite run (synthetic answers, ``tests/synthetic_runs.py``); the app is ``streamlit run``; the
scores are read back from the store.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from bench.store.store import Store
from rubrics.annotate import annotations_frame
from tests.synthetic_runs import latencies, store_run
from tests.test_browser import CHROMIUM_ARGS, _chromium
from tests.test_browser import app_url as app_url  # the fixture: streamlit run on a free port

pytestmark = [pytest.mark.browser, pytest.mark.slow]
GROUP = '[data-testid="stButtonGroup"]'
ACTIVE = 'button[role="radio"][aria-checked="true"]'


@pytest.fixture
def one_run(tmp_path: Path) -> str:
    return store_run(Store(tmp_path / "bench.db"), {"model-a": latencies(np.random.default_rng(1), 0.3, n=4)})


def test_keys_pick_scores_enter_saves_and_moves_on(one_run: str, app_url: str, tmp_path: Path) -> None:
    groups = 0
    _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(f"{app_url}/annotate")
            name = page.get_by_placeholder("e.g. ana")
            name.wait_for(timeout=90_000)
            name.fill("ana")
            name.press("Enter")
            page.locator(GROUP).first.wait_for(timeout=60_000)
            # the keys are bound by a script in a component's iframe, which loads after the form is
            # drawn (a key pressed before it ran is lost), and every score row is there once the
            # page's script run has ended: wait for both, however slow the machine
            page.wait_for_function("() => document.__slmAnnotateKeys === true", timeout=60_000)
            page.wait_for_function(
                "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
            )
            assert "Prompt 1 of" in page.inner_text("body")
            groups = page.locator(GROUP).count()
            assert groups >= 2

            # 1-5 on a focused score row: picks that score and moves focus to the next aspect's row
            page.locator(GROUP).nth(0).locator('button[role="radio"]').first.focus()
            page.keyboard.press("4")
            page.wait_for_function(
                f"() => document.querySelectorAll('{ACTIVE}').length === 1", timeout=10_000
            )
            assert page.locator(GROUP).nth(0).locator(ACTIVE).inner_text().strip() == "4"
            # focus moved on to the next aspect's row
            page.wait_for_function(
                f"() => [...document.querySelectorAll('{GROUP}')].indexOf("
                f"document.activeElement.closest('{GROUP}')) === 1",
                timeout=5_000,
            )
            page.keyboard.press("2")
            page.wait_for_function(
                f"() => document.querySelectorAll('{ACTIVE}').length === 2", timeout=10_000
            )
            # the same key again never un-picks
            page.locator(GROUP).nth(0).locator(ACTIVE).focus()
            page.keyboard.press("4")
            time.sleep(0.3)
            assert page.locator(GROUP).nth(0).locator(ACTIVE).inner_text().strip() == "4"

            # a picked score is unmistakable: a filled button
            fill = page.locator(ACTIVE).first.evaluate("el => getComputedStyle(el).backgroundColor")
            assert fill == "rgb(29, 78, 216)", fill

            # Tab never stops on a help icon
            page.locator(GROUP).nth(0).locator('button[role="radio"]').first.focus()
            for _ in range(12):
                page.keyboard.press("Tab")
                on_icon = page.evaluate(
                    '() => !!document.activeElement.closest(\'[data-testid="stTooltipIcon"],'
                    ' [data-testid="stTooltipHoverTarget"], button[aria-label^="Help for"]\')'
                )
                assert not on_icon, "Tab stopped on a help icon"

            # the remaining aspects by key (3 each), then Enter on a focused score saves (not un-picks)
            # and moves to the next unannotated answer
            for row in range(2, groups):
                page.locator(GROUP).nth(row).locator('button[role="radio"]').first.focus()
                page.keyboard.press("3")
            page.wait_for_function(
                f"() => document.querySelectorAll('{ACTIVE}').length === {groups}", timeout=10_000
            )
            page.locator(GROUP).nth(1).locator(ACTIVE).focus()
            page.keyboard.press("Enter")
            page.get_by_text("Prompt 2 of").wait_for(timeout=30_000)
            assert page.locator('[data-testid="stException"]').count() == 0
        finally:
            browser.close()
    frame = annotations_frame(Store(tmp_path / "bench.db"), [one_run])
    first = frame[frame["prompt_id"] == "p0"].set_index("aspect")["score"].to_list()
    assert sorted(first) == sorted([4, 2] + [3] * (groups - 2)), frame
