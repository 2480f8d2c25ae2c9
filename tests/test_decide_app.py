"""The Decide page with uncertainty and limits (AppTest on stored runs with a known truth)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
from streamlit.testing.v1 import AppTest

from bench.decide import decision_log
from bench.store.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_runs import store_run

APP = str(Path(__file__).resolve().parent.parent / "app.py")
NOISE = np.random.default_rng(12345).normal(0, 0.03, 20)


def shaped(centre: float, seed: int) -> np.ndarray:
    return centre + np.random.default_rng(seed).permutation(NOISE)


def texts(elements: Any) -> str:
    return "\n".join(str(e.value) for e in elements)


def open_decide(run_id: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.query_params["run"] = [run_id]
    at.switch_page("pages/decide.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_a_tie_is_said_and_limits_remove_with_reasons(env: Path) -> None:
    store = Store(env / "bench.db")
    run_id = store_run(store, {"a": shaped(0.437, 1), "b": shaped(0.440, 2), "slow": shaped(0.9, 3)})
    at = open_decide(run_id)
    warnings = texts(at.warning)
    assert "No clear winner" in warnings and "tied within the noise" in warnings
    assert "more measured requests per model" in warnings or "practically equal" in warnings
    assert not at.success  # nobody is named
    table = at.dataframe[0].value
    assert {"P(best)", "Rank 95%", "Limits"} <= set(table.columns)
    slow = table[table["Model"] == "slow"].iloc[0]
    assert slow["P(best)"] == "0%"

    at.text_area(key="decide_limits").set_value("p95=0.6s").run()
    assert "slow: p95 latency" in texts(at.error) and "is over the limit 600 ms" in texts(at.error)
    table = at.dataframe[0].value
    assert table[table["Model"] == "slow"].iloc[0]["Limits"].startswith("out:")

    at.button(key="decide_save").click().run()
    saved = decision_log.latest(store, [run_id])
    assert saved is not None and saved.limits == ["p95=0.6s"]

    at.text_area(key="decide_limits").set_value("p95=soon").run()
    assert "--limit p95=soon" in texts(at.error) or "p95=soon" in texts(at.error)


def test_a_clear_winner_is_named_with_its_probability(env: Path) -> None:
    run_id = store_run(Store(env / "bench.db"), {"fast": shaped(0.3, 1), "slow": shaped(0.44, 2)})
    at = open_decide(run_id)
    assert "Recommended default: fast" in texts(at.success)
    assert "best in 100% of 2,000 resamples" in texts(at.success)
