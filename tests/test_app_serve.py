"""`make app`'s server (``python -m ui.serve``) prepares Results before any tab asks.

A real server on 127.0.0.1 with a real SQLite file holding one synthetic run; no browser opens a
page. The preparation says what it cached on the server's console: that line naming the run can
only come from the thread started at server start, since no page ever runs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from bench.store.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_runs import latencies, quiet, store_run
from test_browser import serve_app

WAIT_S = 180  # the server imports pandas and Altair and reads the run on a shared 2-core machine


def _log_until(log: Path, needle: str) -> str:
    deadline = time.monotonic() + WAIT_S
    text = ""
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if needle in text:
            return text
        time.sleep(0.5)
    raise AssertionError(f"the server never said {needle!r} in {WAIT_S} s:\n{text[-3000:]}")


def test_the_server_caches_results_newest_run_before_any_page_runs(tmp_path: Path) -> None:
    store = Store(tmp_path / "bench.db")
    old = store_run(store, {"a": latencies(np.random.default_rng(1), 0.4, 50)})
    newest = store_run(store, {"a": latencies(np.random.default_rng(2), 0.5, 50)})
    for _url in serve_app(tmp_path, show_test_models=False):
        text = _log_until(tmp_path / "streamlit.log", "Results prepared: run ")
        assert f"Results prepared: run {newest} cached in" in text  # the run Results opens on
        assert old not in text
        assert "Traceback" not in text and "missing ScriptRunContext" not in text
        # the start-up's element outside any page (ui.serve._first_element_check) warns about nothing
        assert "to view this Streamlit app on a browser" not in text


def test_a_large_run_nothing_kept_is_computed_by_a_process_of_its_own(tmp_path: Path) -> None:
    """Nothing kept for the newest run (1,000 requests, as after installing another version): the server
    hands it to a process of its own before Streamlit starts, which keeps it (bench.report.results_keeper)."""
    from bench import paths

    db = tmp_path / "bench.db"
    newest = store_run(Store(db), {"a": latencies(np.random.default_rng(3), 0.4, 1_000)}, bulk=True)
    quiet(db)  # last written an hour ago, as a database is when the app restarts
    for _url in serve_app(tmp_path, show_test_models=False):
        text = _log_until(tmp_path / "streamlit.log", f"Results of run {newest} kept by a process of its own")
        assert "Traceback" not in text
    assert list(paths.results_cache_dir(db).glob("*.pkl"))
