"""Every chart holds with 8 runs and long model names, measured in headless Chromium (Debian's).

Seen (issue 20): with 5 runs selected, "Time to first token vs decode speed" and "Decode tokens/s per
prompt" collapsed: the axis title was cut to "Decode tok/s (me", ticks "200" and "0" overlapped; the
votes ranking chart was 72 px tall with two names printed over each other. The runs here are real
SQLite runs with synthetic timings (``tests/synthetic_runs.py``), the app is ``streamlit run``, and
the checks read the SVG Vega drew: no text cut with "…", no two tick labels of one axis overlapping,
no chart under 150 px tall.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench.store.store import Store
from tests.synthetic_runs import latencies, store_run
from tests.test_browser import CHROMIUM_ARGS, ROOT, _chromium
from tests.test_browser import app_url as app_url  # the fixture: streamlit run on a free port

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARTIFACTS = ROOT / "test-artifacts" / "charts"
LONG = "qwen2.5-coder-1.5b-instruct-generic-cpu-int4-rtn-block-32"
MIN_HEIGHT = 150

#: per chart: its height, texts cut with an ellipsis, and pairs of overlapping tick labels of one axis
PROBE = """
() => Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"] svg')).map((svg, i) => {
  const box = svg.getBoundingClientRect();
  const cut = Array.from(svg.querySelectorAll('text')).map(t => t.textContent).filter(t => t.includes('…'));
  const overlaps = [];
  svg.querySelectorAll('g.role-axis').forEach(axis => {
    const labels = Array.from(axis.querySelectorAll('g.role-axis-label text'))
      .filter(t => t.textContent.trim() && getComputedStyle(t).opacity !== '0' && t.getAttribute('opacity') !== '0')
      .map(t => [t.textContent, t.getBoundingClientRect()]);
    for (let a = 0; a < labels.length; a++) for (let b = a + 1; b < labels.length; b++) {
      const [ta, ra] = labels[a], [tb, rb] = labels[b];
      const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (w > 1 && h > 1) overlaps.push(ta + ' / ' + tb);
    }
  });
  // the plot area: the root group's background (legends and axis titles lie outside it)
  const frame = svg.querySelector('g.root > g > path.background') || svg;  // the view, not its legends
  const plot = frame.getBoundingClientRect();
  // text drawn past the chart's own edge is cut by it, ellipsis or not
  const holder = (svg.closest('[data-testid="stVegaLiteChart"]') || svg).getBoundingClientRect();
  const outside = Array.from(svg.querySelectorAll('text')).filter(t => {
    const r = t.getBoundingClientRect();
    return t.textContent.trim() && (r.right > holder.right + 4 || r.left < holder.left - 4
      || r.bottom > holder.bottom + 4);  // 4 px: a glyph's side bearing, not a cut
  }).map(t => t.textContent);
  return {index: i, height: box.height, plot: plot.height, width: box.width, cut: cut.concat(outside), overlaps};
})
"""


@pytest.fixture
def eight_runs(tmp_path: Path) -> list[str]:
    """8 completed runs, one long-named model each, in the database ``app_url`` serves."""
    store = Store(tmp_path / "bench.db")
    rng = np.random.default_rng(20)
    return [store_run(store, {f"{LONG}-{i}": latencies(rng, 0.2 + 0.1 * i, n=24)}) for i in range(8)]


@pytest.fixture
def load_run(tmp_path: Path) -> str:
    """A real load run (levels 1-8) against the stub OpenAI server, so the Load chart has its rings."""
    from bench.inputs.config import PromptItem, PromptSet
    from bench.load.levels import parse_slos
    from bench.load.run import LoadSpec, run_load
    from benchmarks.stub_openai import StubServer

    spec = LoadSpec(endpoint="x", models=[f"{LONG}-a", f"{LONG}-b"], levels=[1, 2, 4, 8], requests=16,
                    warmup=0, slos=parse_slos("e2e_p95=10s"))  # fmt: skip
    prompts = PromptSet(prompts=[PromptItem(id="a", prompt="Say hi.")])
    with StubServer(tokens=4) as url:
        return run_load(Store(tmp_path / "bench.db"), spec.model_copy(update={"endpoint": url}), prompts)[
            "run_id"
        ]


def problems_of(page: Any, name: str) -> list[str]:
    problems = []
    for chart in page.evaluate(PROBE):
        where = f"{name} chart {chart['index'] + 1}"
        if min(chart["height"], chart["plot"]) < MIN_HEIGHT:
            problems.append(
                f"{where}: {chart['height']:.0f} px tall, plot {chart['plot']:.0f} px (want >= {MIN_HEIGHT})"
            )
        if chart["cut"]:
            problems.append(f"{where}: text cut: {chart['cut']}")
        if chart["overlaps"]:
            problems.append(f"{where}: tick labels overlap: {chart['overlaps'][:4]}")
    return problems


def _settle(page: Any, charts: int) -> None:
    page.locator('[data-testid="stSidebarNav"]').wait_for(timeout=60_000)
    page.wait_for_function(
        f"() => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] svg').length >= {charts}",
        timeout=120_000,
    )
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000
    )
    time.sleep(3)  # charts finish drawing after the script run ends


def test_every_results_chart_holds_with_eight_runs_and_long_names(
    eight_runs: list[str], load_run: str, app_url: str
) -> None:
    _chromium()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    query = "&".join(f"run={r}" for r in eight_runs)
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            for path, charts in (("results", 7), ("decide", 1), ("load", 1)):
                page.goto(f"{app_url}/{path}?{query}")
                _settle(page, charts)
                assert page.locator('[data-testid="stException"]').count() == 0, path
                height = page.evaluate(
                    '() => Math.max(...[...document.querySelectorAll(\'[data-testid="stMain"],'
                    ' [data-testid="stAppViewContainer"]\')].map(e => e.scrollHeight), 900)'
                )
                page.set_viewport_size({"width": 1440, "height": min(int(height) + 40, 16_000)})
                time.sleep(2)  # charts redraw at the new size
                page.screenshot(path=str(ARTIFACTS / f"{path}.png"), full_page=True)
                charts = page.evaluate(PROBE)
                assert charts, f"{path}: no chart drawn"
                problems += problems_of(page, path)
                page.set_viewport_size({"width": 1440, "height": 900})
        finally:
            browser.close()
    assert not problems, "\n".join(problems)
