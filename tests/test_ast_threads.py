"""No two threads build Python syntax trees at once (CPython 3.11's per-interpreter AST counter).

Seen once under load: a Run page test failed with "AST constructor recursion depth mismatch
(before=42, after=51)" while the run's thread graded python_tests answers (``ast.literal_eval``) and
Streamlit's magic parsed the page (``ast.parse``). The race itself is too rare to replay on demand,
so these tests pin what removes it: the app's pages are compiled without magic (no tree built by
Streamlit), and every parse of ours waits for one lock.
"""

from __future__ import annotations

import threading
import tomllib
from pathlib import Path

from streamlit.testing.v1 import AppTest

from bench.inputs.assert_forms import AST_LOCK, parse_test
from bench.quality.checks.grade import _literal

REPO = Path(__file__).resolve().parent.parent


def _bare_expression_page() -> None:
    answer = 6 * 7
    answer  # noqa: B018  (with magic on, Streamlit would write 42 here)


def test_the_app_compiles_pages_without_magic() -> None:
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["magicEnabled"] is False
    at = AppTest.from_function(_bare_expression_page).run()
    assert not at.exception
    assert [m.value for m in at.markdown] == []  # nothing was written for the bare expression


def _wait_for(target, *args) -> tuple[threading.Thread, list]:
    out: list = []
    thread = threading.Thread(target=lambda: out.append(target(*args)), daemon=True)
    thread.start()
    return thread, out


def test_grading_and_loading_a_set_wait_for_the_one_parse_lock() -> None:
    with AST_LOCK:
        grading, graded = _wait_for(_literal, "[('value', (1, 2))]")
        loading, loaded = _wait_for(parse_test, "assert f(1) == 2")
        grading.join(0.3)
        loading.join(0.3)
        assert graded == [] and loaded == []  # neither can parse while another holds the lock
    grading.join(30)
    loading.join(30)
    assert graded == [(True, [("value", (1, 2))])]
    assert len(loaded[0]) == 1 and loaded[0][0].probe == "f(1)"
