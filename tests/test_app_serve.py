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
from synthetic_runs import latencies, store_run
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
