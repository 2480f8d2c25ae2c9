"""Tables say "—" for a missing value and round numbers to what their precision supports.

Seen (issue 20): "None" in Judge (Score, Spread) and Load ("J / output token"); unrounded numbers
("2.9841", "341.1497"). The Load page here reads a real load run against the stub OpenAI server
(no energy sensor there, so J / output token is missing for a reason, not faked).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from bench.inputs.config import PromptItem, PromptSet
from bench.load.levels import parse_slos
from bench.load.run import LoadSpec, run_load
from bench.store.store import Store
from benchmarks.stub_openai import StubServer
from tests.app_support import APP
from ui.tables import DASH, dashed, decimals, rounded


def _formats(element: object) -> dict[str, str]:
    """The printf format Streamlit was given per column (the numbers a user reads)."""
    config = json.loads(element.proto.columns or "{}")  # type: ignore[attr-defined]
    return {name: (c.get("type_config") or {}).get("format", "") for name, c in config.items()}


@pytest.mark.parametrize(
    ("values", "places"),
    [([2.9841, 3.12], 2), ([341.1497, 298.2], 0), ([12.34, 15.1], 1), ([0.01234, 0.02], 4), ([3, 4], 0)],
)
def test_three_significant_digits_of_the_typical_value(values: list[float], places: int) -> None:
    assert decimals(values) == places


def test_missing_cells_read_a_dash_and_floats_get_a_format() -> None:
    frame = pd.DataFrame({"score": [4.0, None], "tps": [341.1497, 298.0], "name": ["a", None]})
    shown, config = dashed(frame, rounded(frame))
    assert list(shown["score"]) == ["4", DASH]
    assert list(shown["name"]) == ["a", DASH]
    assert config["tps"]["type_config"]["format"] == "%.0f"
    assert "None" not in shown.to_string()


def test_load_table_says_dash_for_energy_without_a_sensor_and_rounds(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = LoadSpec(endpoint="x", models=["stub"], levels=[1, 2], requests=8, warmup=0,
                    slos=parse_slos("e2e_p95=10s"))  # fmt: skip
    with StubServer(tokens=4) as url:
        run_load(Store(env / "bench.db"), spec.model_copy(update={"endpoint": url}), PromptSet(
            prompts=[PromptItem(id="a", prompt="Say hi.")]))  # fmt: skip
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/load.py").run()
    assert not at.exception, [e.message for e in at.exception]
    table = at.dataframe[0]
    frame = table.value
    assert set(frame["J / output token"]) == {DASH}, frame["J / output token"]
    assert "None" not in frame.astype(str).to_string()
    formats = _formats(table)
    assert formats.get("requests/s", "").startswith("%."), formats
