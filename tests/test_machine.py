"""The machine fingerprint: recorded with every run, a stable id, readable from old runs too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.measure import machine, provenance
from bench.store.store import Store


def test_fingerprint_names_the_machine_and_its_id_is_stable_across_processes():
    fp = machine.fingerprint()
    for key in ("cpu_model", "cpu_cores_logical", "ram_gib", "gpus", "os", "arch", "packages"):
        assert key in fp
    assert fp["ram_gib"] >= 1 and fp["cpu_cores_logical"] >= 1
    assert "httpx" in fp["packages"]
    code = "from bench.measure import machine; print(machine.fingerprint()['machine_id'])"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert other.stdout.strip() == fp["machine_id"] and len(fp["machine_id"]) == 12
    assert fp["hostname"] in fp["label"] and "GiB" in fp["label"]


def test_id_ignores_package_versions_but_not_hardware():
    a = machine.fingerprint({"numpy": "1"})
    b = machine.fingerprint({"numpy": "2"})
    assert a["machine_id"] == b["machine_id"]
    changed = dict(a, ram_gib=a["ram_gib"] + 64)
    assert machine._hash({k: changed[k] for k in machine._HARDWARE_KEYS}) != a["hardware_id"]


def test_every_run_records_its_machine_and_results_rows_get_columns(tmp_path: Path):
    store = Store(tmp_path / "b.db")
    run_id = store.create_run({"models": ["m"]}, {"prompts": []}, provenance.run_meta())
    store.upsert_run_model(run_id, "m", execution_provider="CPUExecutionProvider")
    run = store.get_run(run_id)
    fp = machine.of_run(run, store.run_models(run_id))
    assert fp["machine_id"] == machine.fingerprint()["machine_id"]
    assert fp["execution_providers"] == ["CPUExecutionProvider"]
    cols = machine.machine_columns(fp)
    assert cols["machine_id"] == fp["machine_id"] and cols["execution_provider"] == "CPUExecutionProvider"


def test_a_run_from_before_fingerprints_is_rebuilt_from_its_hardware_block():
    old = {"meta": {"hardware": {"processor": "Apple M3", "cpu_count_logical": 8,
                                 "memory_total_bytes": 16 * 2**30, "gpu": [], "os": "Darwin 24"}}}  # fmt: skip
    fp = machine.of_run(old, [])
    assert fp["machine_id"].startswith("unknown-") and fp["cpu_model"] == "Apple M3"
    assert fp["ram_gib"] == 16 and fp["execution_providers"] == ["n/a (not reported by the backend)"]


def test_comparability_names_runs_by_their_machine_fingerprint():
    from bench.stats.comparability import machine_words

    meta = {"hardware": {"processor": "x"}, "machine": machine.fingerprint()}
    assert machine_words(meta) == meta["machine"]["label"]
    other = dict(meta, machine=dict(meta["machine"], label="edge-box · ARM · 4 cores · 8 GiB · no GPU"))
    assert machine_words(other) != machine_words(meta)  # two machines never read as one
