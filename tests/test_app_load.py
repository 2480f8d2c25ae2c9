"""The Load page through Streamlit's AppTest: empty store, a real load run on SQLite, and the app
reading a PostgreSQL team store (SLM_BENCH_DB=postgresql://...)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bench.inputs.config import PromptItem, PromptSet
from bench.load.levels import parse_slos
from bench.load.run import LoadSpec, run_load
from bench.store.store import Store
from benchmarks.stub_openai import StubServer
from tests.pg_server import PgServer

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PROMPTS = PromptSet(prompts=[PromptItem(id="a", prompt="Say hi.")])


@pytest.fixture(scope="module")
def pg() -> Iterator[PgServer]:
    server = PgServer()
    server.start()
    yield server
    server.close()


def _page(monkeypatch: pytest.MonkeyPatch, db: str, tmp_path: Path) -> AppTest:
    monkeypatch.setenv("SLM_BENCH_DB", db)
    monkeypatch.setenv("SLM_BENCH_APP_DIR", str(tmp_path / "app"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/load.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _load_run(db: str) -> str:
    spec = LoadSpec(endpoint="x", models=["stub"], levels=[1, 2], requests=8, warmup=0,
                    slos=parse_slos("e2e_p95=10s"))  # fmt: skip
    with StubServer(tokens=4) as url:
        return run_load(Store(db), spec.model_copy(update={"endpoint": url}), PROMPTS)["run_id"]


def test_empty_store_says_how_to_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    at = _page(monkeypatch, str(tmp_path / "b.db"), tmp_path)
    assert "python -m bench load" in at.code[0].value


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_curve_and_capacity_of_a_stored_load_run(kind: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                 request: pytest.FixtureRequest):  # fmt: skip
    db = str(tmp_path / "b.db") if kind == "sqlite" else request.getfixturevalue("pg").new_db()
    run_id = _load_run(db)
    at = _page(monkeypatch, db, tmp_path)
    assert at.selectbox(key="load_run").value == run_id
    assert [m.value for m in at.metric] == ["c=2"]  # both levels met e2e p95 <= 10 s
    assert len(at.get("vega_lite_chart")) == 1
    table = at.dataframe[0].value
    assert list(table["level"]) == ["c=1", "c=2"] and list(table["n (ok)"]) == [8, 8]
    at.selectbox(key="load_latency").set_value("ttft").run()
    assert not at.exception


def test_results_show_machine_energy_and_cost_of_a_load_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    db = str(tmp_path / "b.db")
    run_id = _load_run(db)
    monkeypatch.setenv("SLM_BENCH_PRICE_PER_HOUR", "1.0")
    monkeypatch.setenv("SLM_BENCH_DB", db)
    monkeypatch.setenv("SLM_BENCH_APP_DIR", str(tmp_path / "app"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/results.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert any(e.label == "Machine, energy and cost" for e in at.expander)
    # closed, the panel sends nothing (ui.lazy: two data grids every new tab would draw hidden)
    assert not any("J per output token" in d.value.columns for d in at.dataframe)
    at.session_state["results_energy_open"] = True  # what a click on the expander sets
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    frames = [d.value for d in at.dataframe]
    machine = next(f for f in frames if "machine_id" in f.columns)
    assert list(machine["run"]) == [run_id] and machine["machine_id"][0]
    energy = next(f for f in frames if "J per output token" in f.columns)
    assert (
        list(energy["energy source"]) == ["n/a: no energy sensor"]
        or energy["J per output token"].notna().all()
    )
    assert "1/h machine price" in energy["cost basis"][0]
