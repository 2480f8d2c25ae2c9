"""No table on any page shows "None": a missing value reads "—" everywhere (issue 20).

Streamlit draws a null cell as "None" whatever its format. Every page is opened on real runs (the
tiny model, a completed run and a cancelled one, both selected) and every dataframe it draws is
checked for a null cell.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from bench.inputs.config import PromptSet, RunSettings
from bench.run.runner import run_benchmark
from bench.store.store import Store
from tests.app_support import APP, PAGES

PROMPTS = {
    "name": "none-test",
    "prompts": [{"id": "capital", "prompt": "Capital of France?", "aspects": ["accuracy"]}],
}


def _runs(env: Path, model: str) -> list[str]:
    store = Store(env / "bench.db")
    ids = []
    for cancel_at in (None, "sample"):
        cancel = threading.Event()

        def progress(p: Any, at: str | None = cancel_at, ev: threading.Event = cancel) -> None:
            if p.event == at:
                ev.set()

        settings = RunSettings(models=[model], rounds=3, warmup=0, max_tokens=4)
        run_id, _ = run_benchmark(
            store, settings, PromptSet.model_validate(PROMPTS), progress=progress, cancel=cancel
        )
        ids.append(run_id)
    return ids


def _nulls(frame: pd.DataFrame) -> list[str]:
    return [str(col) for col in frame.columns if frame[col].isna().any()]


@pytest.mark.parametrize("page", PAGES)
def test_no_table_shows_none(env: Path, tiny_model: str, page: str) -> None:
    run_ids = _runs(env, tiny_model)
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.query_params["run"] = run_ids
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    problems = {
        i: _nulls(df.value) for i, df in enumerate(at.dataframe) if isinstance(df.value, pd.DataFrame)
    }
    problems = {i: cols for i, cols in problems.items() if cols}
    assert not problems, f"{page}: tables with null cells (shown as None): {problems}"
