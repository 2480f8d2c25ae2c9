"""Results, Compare and ``bench runs`` by machine: two stored runs whose meta carry two different
machine fingerprints (as two boxes writing to one team store would leave them)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from bench.cli.main import app
from bench.measure import machine
from bench.results import load_results
from bench.store.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_runs import PROMPTS, _sample, latencies

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def fingerprint(host: str, gpu: str | None) -> dict[str, Any]:
    """This machine's real fingerprint, renamed and re-equipped as another box of the team."""
    fp = {**machine.fingerprint(), "hostname": host, "gpus": [gpu] if gpu else []}
    fp["machine_id"] = f"id-{host}"
    fp["label"] = machine.label(fp)
    return fp


LAPTOP = fingerprint("dev-laptop", None)
EDGE = fingerprint("edge-box", "NVIDIA Jetson Orin")


def store_run(store: Store, fp: dict[str, Any], centre: float, seed: int) -> str:
    settings = {"models": ["m"], "rounds": 1, "warmup": 1, "stream": True, "max_tokens": 16,
                "temperature": 0.0, "seed": 42, "endpoint": None}  # fmt: skip
    run_id = store.create_run(settings, PROMPTS, {"transport": "in-process", "machine": fp})
    store.upsert_run_model(run_id, "m", status="done", size_bytes=10**8)
    for i, value in enumerate([9.9, *latencies(np.random.default_rng(seed), centre)]):
        store.add_sample(_sample(run_id, "m", i, float(value)))
    store.set_run_status(run_id, "completed")
    return run_id


@pytest.fixture
def two_machines(env: Path) -> tuple[Store, str, str]:
    store = Store(env / "bench.db")
    laptop = store_run(store, LAPTOP, 0.8, 1)
    edge = store_run(store, EDGE, 0.4, 2)
    return store, laptop, edge


def open_page(page: str, run_ids: list[str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if run_ids:
        at.query_params["run"] = run_ids
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def numbers(at: AppTest) -> Any:
    return next(d.value for d in at.dataframe if "Machine" in d.value.columns)


def test_rows_carry_the_machine_of_their_run(two_machines: tuple[Store, str, str]) -> None:
    store, laptop, edge = two_machines
    results = load_results(store, [laptop, edge])
    assert [(m.run_id, m.machine_id, m.machine) for m in results.models] == [
        (laptop, "id-dev-laptop", LAPTOP["label"]), (edge, "id-edge-box", EDGE["label"])
    ]  # fmt: skip
    assert list(results.table()["machine_id"]) == ["id-dev-laptop", "id-edge-box"]


def test_results_page_filters_and_names_machines(two_machines: tuple[Store, str, str]) -> None:
    _, laptop, edge = two_machines
    at = open_page("pages/results.py", [laptop, edge])
    picker = at.multiselect(key="results_machine")
    assert picker.value == ["id-dev-laptop", "id-edge-box"]
    table = numbers(at)
    assert (
        list(table["Machine"]) == [LAPTOP["label"], EDGE["label"]] and "NVIDIA Jetson Orin" in EDGE["label"]
    )
    picker.set_value(["id-edge-box"]).run()
    assert not at.exception, [e.message for e in at.exception]
    table = numbers(at)
    assert list(table["Machine"]) == [EDGE["label"]] and list(table["Run"]) == [edge]
    at.multiselect(key="results_machine").set_value([]).run()
    assert "Pick at least one machine." in "\n".join(str(i.value) for i in at.info)


def test_results_page_without_a_second_machine_has_no_filter(two_machines: tuple[Store, str, str]) -> None:
    _, laptop, _ = two_machines
    at = open_page("pages/results.py", [laptop])
    assert not [m for m in at.multiselect if m.label == "Machine"]
    assert list(numbers(at)["Machine"]) == [LAPTOP["label"]]


def test_compare_pickers_show_machines_and_the_table_says_they_differ(
    two_machines: tuple[Store, str, str],
) -> None:
    store, laptop, edge = two_machines
    at = open_page("pages/compare.py")
    base, new = at.selectbox(key="compare_base"), at.selectbox(key="compare_new")
    assert (base.value, new.value) == (laptop, edge)
    assert any(LAPTOP["label"] in o for o in base.options) and any(EDGE["label"] in o for o in new.options)
    assert "Different machines: base ran on **" + LAPTOP["label"] in "\n".join(
        str(w.value) for w in at.warning
    )
    table = at.dataframe[0].value
    assert set(table["machines"]) == {"differ: dev-laptop → edge-box"}
    # two runs of one machine: no warning, no column
    same = store_run(store, EDGE, 0.4, 3)
    at = open_page("pages/compare.py")
    at.selectbox(key="compare_base").set_value(edge)
    at.selectbox(key="compare_new").set_value(same).run()
    assert not at.exception and not [w for w in at.warning if "Different machines" in str(w.value)]
    assert "machines" not in at.dataframe[0].value.columns


def test_runs_command_shows_and_filters_by_machine(two_machines: tuple[Store, str, str], env: Path) -> None:
    _, laptop, edge = two_machines
    runner = CliRunner()
    listed = runner.invoke(app, ["runs", "--db", str(env / "bench.db")], env={"COLUMNS": "400"})
    assert listed.exit_code == 0, listed.output
    assert "machine" in listed.output and "dev-laptop" in listed.output and "edge-box" in listed.output
    only = runner.invoke(
        app, ["runs", "--db", str(env / "bench.db"), "--machine", "JETSON"], env={"COLUMNS": "400"}
    )
    assert only.exit_code == 0, only.output
    assert edge in only.output and laptop not in only.output
    none = runner.invoke(app, ["runs", "--db", str(env / "bench.db"), "--machine", "no-such-box"])
    assert (
        laptop not in none.output and "no stored run ran on a machine matching 'no-such-box'" in none.output
    )


def test_compare_reports_name_both_machines(two_machines: tuple[Store, str, str]) -> None:
    """`bench compare` (table, Markdown, JSON) says where each run ran, and when the machines differ."""
    from bench.compare import changes as cmp

    store, laptop, edge = two_machines
    comparison = cmp.compare_runs(store, laptop, edge)
    assert comparison.machines_differ
    text = cmp.markdown(comparison)
    assert f"base on {LAPTOP['label']}, new on {EDGE['label']}" in text
    data = cmp.json.loads(cmp.to_json(comparison))
    assert (data["base_machine"], data["new_machine"]) == (LAPTOP["label"], EDGE["label"])
    same = store_run(store, EDGE, 0.4, 3)
    assert (
        cmp.markdown(cmp.compare_runs(store, edge, same)).splitlines()[2] == f"Both runs on {EDGE['label']}."
    )
