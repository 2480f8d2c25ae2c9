"""Decide's "Race these two": the recommended model against the runner-up, on Race's presenter view.

The runs are real SQLite runs with synthetic timings of a known truth (``model-fast`` is faster), so
the recommendation and the runner-up are known; the button's link is what the browser test of the
presenter view opens (tests/test_browser_race_presenter.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from bench.store.store import Store
from tests.app_support import APP
from tests.synthetic_runs import latencies, store_run


def test_race_these_two_links_the_recommended_model_and_the_runner_up(env: Path) -> None:
    rng = np.random.default_rng(3)
    store_run(Store(env / "bench.db"), {"model-fast": latencies(rng, 0.2), "model-slow": latencies(rng, 0.8)})
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/decide.py").run()
    assert not at.exception, [e.message for e in at.exception]
    button = at.button(key="decide_race")
    assert button.label == "Race these two: model-fast vs model-slow"
    button.click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.query_params.get("presenter") == "1"  # Race opened in presenter view
    assert "go" not in at.query_params  # the race started once: a reload does not start another
    assert at.query_params.get("models") == ["model-fast", "model-slow"]
    # neither model is imported here (synthetic runs): the race cannot start, and the page says why
    warning = " ".join(w.value for w in at.warning)
    assert "model-fast, model-slow" in warning and "did not start" in warning, warning
