"""The Compare page through ``streamlit.testing.v1.AppTest``: too few runs, then two stored runs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
from streamlit.testing.v1 import AppTest

from bench.store.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_compare import latencies, store_run

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGE = "pages/compare.py"


def texts(elements: Any) -> str:
    return "\n".join(str(e.value) for e in elements)


def open_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_compare_needs_two_runs(env: Path) -> None:
    at = open_page()
    assert at.title[0].value == "Compare"
    assert "needs two stored runs" in texts(at.info)


def test_compare_two_runs_shows_verdicts_table_and_chart(env: Path) -> None:
    rng = np.random.default_rng(9)
    store = Store(env / "bench.db")
    base = store_run(
        store, {"steady": latencies(rng, 0.4), "slowed": latencies(rng, 0.4), "gone": latencies(rng, 0.4)}
    )
    new = store_run(store, {"steady": latencies(rng, 0.4), "slowed": latencies(rng, 0.6)})
    at = open_page()
    assert at.selectbox(key="compare_base").value == base and at.selectbox(key="compare_new").value == new
    assert "slowed End-to-end p50" in texts(at.error)  # worse with 95% confidence, named in words
    assert "Only in the base run" in texts(at.info) and "gone" in texts(at.info)
    table = at.dataframe[0].value
    assert set(table["model"]) == {"steady", "slowed"}
    steady = table[(table["model"] == "steady") & (table["metric"] == "End-to-end p50")].iloc[0]
    assert (
        steady["verdict"] == "no detectable change"
        and steady["n"] == "4 prompts × 5 rounds, paired by prompt"
    )
    assert len(at.get("vega_lite_chart")) == 1
    # swapping the runs turns the slowdown into a speed-up
    at.selectbox(key="compare_base").set_value(new)
    at.selectbox(key="compare_new").set_value(base)
    at.run()
    assert "slowed End-to-end p50" in texts(at.success) and not at.exception
    at.selectbox(key="compare_new").set_value(new).run()
    assert "Pick two different runs" in texts(at.warning)


def test_runs_measured_differently_get_a_verdict_only_when_accepted(env: Path) -> None:
    """Issue 16: a 24-token-cap run against a 96-token-cap run was called 'worse' with no word about it."""
    from outcome_runs import Plan
    from outcome_runs import store_run as store_outcomes

    store = Store(env / "bench.db")
    base = store_outcomes(store, {"m": Plan(centre=0.2)}, max_tokens=24, seed=1)
    new = store_outcomes(store, {"m": Plan(centre=0.4)}, max_tokens=96, seed=2)
    at = open_page()
    assert at.selectbox(key="compare_base").value == base and at.selectbox(key="compare_new").value == new
    assert "max tokens differs" in texts(at.warning) and not at.error
    table = at.dataframe[0].value
    assert set(table["verdict"]) <= {"no verdict: the runs differ", "one value each: no interval"}
    at.checkbox(key="compare_accept").check().run()
    assert "m End-to-end p50" in texts(at.error)  # accepted: the verdict is given
