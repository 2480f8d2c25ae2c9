"""The HTML report: one self-contained file, under 5 MB for 10,000 requests, charts rendered offline."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.inputs.config import RunSettings, load_prompt_set
from bench.report import html
from bench.run.runner import run_benchmark
from bench.store.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_runs import latencies, store_run

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def real_run(tiny_model: str, db_path: Path, prompt_file: Path) -> str:
    settings = RunSettings(models=[tiny_model], rounds=2, warmup=1, max_tokens=8)
    run_id, status = run_benchmark(Store(db_path), settings, load_prompt_set(prompt_file))
    assert status == "completed"
    return run_id


def assert_self_contained(page: str) -> None:
    """Nothing in the page can reach the network: no script, no stylesheet link, no remote src/href/url()."""
    assert "<script" not in page and "<link" not in page and "<iframe" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page)
    assert "@import" not in page


def test_cli_writes_a_self_contained_html_report(
    real_run: str, db_path: Path, tmp_path: Path, tiny_model: str
):
    out = tmp_path / "report.html"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "report", real_run, "--format", "html", "--out", str(out), "--db", str(db_path)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert_self_contained(page)
    for heading in ("Models", "Recommendation", "Charts", "Answers", "How to read these numbers"):
        assert f">{heading}</h2>" in page
    assert "Settings:" in page and "Machine:" in page and tiny_model in page
    assert page.count("<figure>") == len(html.chart_specs_for(Store(db_path), [real_run]))
    assert page.count("<svg") >= 4 and "<table>" in page


def test_ten_thousand_requests_stay_under_5_mb(db_path: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    store = Store(db_path)
    run_id = store_run(
        store, {f"model-{i}": latencies(rng, 0.3 + 0.1 * i, 2500, 0.2) for i in range(4)}, bulk=True
    )
    assert len(store.samples([run_id])) == 10_004
    page = html.render_html(store, [run_id])
    size = len(page.encode("utf-8"))
    assert size < 5_000_000, f"{size / 1e6:.1f} MB"
    assert "About 1,000 of 10,000 requests are drawn as points" in page  # thinned charts say so
    assert_self_contained(page)
    (tmp_path / "big.html").write_text(page, encoding="utf-8")
    rendered = open_offline(tmp_path / "big.html")
    assert rendered["figures"] == page.count("<figure>") and rendered["empty_svgs"] == 0


def open_offline(path: Path) -> dict[str, int]:
    """Open ``path`` in headless Chromium with every non-file request blocked; count what rendered."""
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is not installed: run `make browser-deps` (make test does it)")
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(offline=True)

        def guard(route) -> None:  # type: ignore[no-untyped-def]
            if route.request.url.startswith("file://"):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        page.goto(path.resolve().as_uri(), wait_until="load")
        counts = page.evaluate(
            """() => {
                const figs = [...document.querySelectorAll('figure')];
                const svgs = figs.map(f => f.querySelector('svg'));
                const marks = s => s ? s.querySelectorAll('path, circle, rect, line, text').length : 0;
                const box = s => s ? s.getBoundingClientRect() : {width: 0, height: 0};
                return {
                    figures: figs.filter(f => f.querySelector('svg')).length,
                    empty_svgs: svgs.filter(s => !s || marks(s) < 5 || box(s).width < 50 || box(s).height < 50).length,
                };
            }"""
        )
        browser.close()
    assert blocked == [], f"the report tried to fetch {blocked}"
    return counts


def test_real_run_charts_render_offline_in_chromium(real_run: str, db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(html.render_html(Store(db_path), [real_run]), encoding="utf-8")
    rendered = open_offline(path)
    assert rendered["figures"] >= 4 and rendered["empty_svgs"] == 0


def test_markdown_with_chart_files(real_run: str, db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "benchmark_report.md"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "report", real_run, "--format", "md", "--charts", "--out", str(out),
         "--db", str(db_path)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]+\]\(([^)]+)\)", text)
    assert len(links) >= 4 and "## Charts" in text
    for link in links:
        image = out.parent / link
        assert image.is_file() and image.read_text(encoding="utf-8").startswith("<svg")
    wiki = tmp_path / "wiki" / "report.md"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "report", real_run, "--format", "md", "--charts", "--charts-format", "png",
         "--out", str(wiki), "--db", str(db_path)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    pngs = [wiki.parent / link for link in re.findall(r"!\[[^\]]+\]\(([^)]+)\)", wiki.read_text())]
    assert pngs and all(p.suffix == ".png" and p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_charts_flag_needs_an_out_file(real_run: str, db_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "report", real_run, "--charts", "--db", str(db_path)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2 and "--charts" in result.stderr and "--out" in result.stderr


def test_report_page_offers_the_html_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SLM_BENCH_DB", str(tmp_path / "bench.db"))
    monkeypatch.setenv("SLM_BENCH_APP_DIR", str(tmp_path / "app"))
    run_id = store_run(Store(tmp_path / "bench.db"), {"a": latencies(np.random.default_rng(1), 0.4)})
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.run()
    at.query_params["run"] = [run_id]
    at.switch_page("pages/report.py").run()
    at.button(key="report_html_build").click().run()
    assert not at.exception, [e.message for e in at.exception]
    page = at.session_state[f"report_html_{run_id}"]
    assert page.startswith("<!doctype html>") and "<svg" in page
    assert_self_contained(page)
    assert "Self-contained" in "\n".join(str(c.value) for c in at.caption)


def test_the_html_report_needs_neither_altair_nor_a_vega_renderer(db_path: Path) -> None:
    """The report draws its own SVG (bench.report.svg_charts): Altair's import and vl-convert cost a second of it."""
    store = Store(db_path)
    run_id = store_run(store, {"a": latencies(np.random.default_rng(6), 0.4, 200)}, bulk=True)
    code = (
        "import sys; from bench.report.html import render_html; from bench.store.store import Store; "
        f"page = render_html(Store({str(store.path)!r}), [{run_id!r}]); "
        "print(page.count('<svg'), 'altair' in sys.modules, 'vl_convert' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["7", "False", "False"]


def test_long_names_fit_inside_every_chart_in_chromium(tmp_path: Path) -> None:
    """Eight long model names over two runs: every word lies inside its chart, no tick labels overlap."""
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is not installed: run `make browser-deps` (make test does it)")
    from playwright.sync_api import sync_playwright

    rng = np.random.default_rng(8)
    store = Store(tmp_path / "bench.db")
    names = [f"qwen2.5-coder-{i}.5b-instruct-generic-cpu-int4-rtn-block-32-acc-level-4" for i in range(8)]
    runs = [
        store_run(store, {n: latencies(rng, 0.3 + 0.05 * i) for i, n in enumerate(names)}) for _ in range(2)
    ]
    page_html = html.render_html(store, runs)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_content(page_html)
        problems = page.evaluate(
            """() => {
                const out = [];
                document.querySelectorAll('figure svg').forEach((svg, i) => {
                    const s = svg.getBoundingClientRect();  // on screen: a turned title is measured turned
                    const boxes = [...svg.querySelectorAll('text')].map(t => [t, t.getBoundingClientRect()]);
                    for (const [t, b] of boxes) {
                        if (b.left < s.left - 0.5 || b.top < s.top - 0.5 || b.right > s.right + 0.5 || b.bottom > s.bottom + 0.5)
                            out.push(`chart ${i}: "${t.textContent}" leaves the chart`);
                    }
                    const ticks = boxes.filter(([t]) => /^[−0-9.,]+$/.test(t.textContent));
                    for (let a = 0; a < ticks.length; a++) for (let c = a + 1; c < ticks.length; c++) {
                        const p = ticks[a][1], q = ticks[c][1];
                        if (p.left < q.right && q.left < p.right && p.top < q.bottom && q.top < p.bottom)
                            out.push(`chart ${i}: ticks ${ticks[a][0].textContent} and ${ticks[c][0].textContent} overlap`);
                    }
                });
                return out;
            }"""
        )
        browser.close()
    assert problems == []
