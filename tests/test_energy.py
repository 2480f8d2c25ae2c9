"""Energy counters read from fixture powercap trees (this machine has no sensor), wrap-around,
the runner's per-request hook, and the labelled cost estimate."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bench.measure import energy


def _domain(root: Path, name: str, label: str, uj: int, max_uj: int) -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "name").write_text(label + "\n")
    (d / "energy_uj").write_text(f"{uj}\n")
    (d / "max_energy_range_uj").write_text(f"{max_uj}\n")
    return d / "energy_uj"


def test_no_sensor_reads_as_na_never_a_number(tmp_path: Path):
    meter = energy.EnergyMeter(root=tmp_path / "missing", nvml=False)
    assert not meter.available
    with meter.measure() as r:
        pass
    assert r.joules is None and r.source == energy.NO_SENSOR == "n/a: no energy sensor"
    assert r.as_metrics() == {"energy_j": None, "energy_source": "n/a: no energy sensor"}


def test_packages_are_summed_and_subdomains_and_psys_ignored(tmp_path: Path):
    pkg0 = _domain(tmp_path, "intel-rapl:0", "package-0", 1_000_000, 262_143_328_850)
    pkg1 = _domain(tmp_path, "intel-rapl:1", "package-1", 5_000_000, 262_143_328_850)
    core = _domain(tmp_path, "intel-rapl:0:0", "core", 10, 262_143_328_850)  # inside package-0
    psys = _domain(tmp_path, "intel-rapl:2", "psys", 10, 262_143_328_850)  # overlaps the packages
    meter = energy.EnergyMeter(root=tmp_path, nvml=False)
    assert meter.source == "rapl:package-0+rapl:package-1"
    with meter.measure() as r:
        pkg0.write_text("3500000\n")  # +2.5 J
        pkg1.write_text("5500000\n")  # +0.5 J
        core.write_text("999999999\n")
        psys.write_text("999999999\n")
    assert r.joules == pytest.approx(3.0)
    assert r.per_counter == {"rapl:package-0": pytest.approx(2.5), "rapl:package-1": pytest.approx(0.5)}


def test_counter_wrap_around(tmp_path: Path):
    max_uj = 262_143_328_850
    pkg = _domain(tmp_path, "intel-rapl:0", "package-0", max_uj - 1_000_000, max_uj)
    meter = energy.EnergyMeter(root=tmp_path, nvml=False)
    with meter.measure() as r:
        pkg.write_text("2000000\n")  # wrapped: 1 J to the top, 2 J after
    assert r.joules == pytest.approx(3.0)
    assert energy.delta_uj(10, 30, 100) == 20
    assert energy.delta_uj(90, 5, 100) == 15
    with pytest.raises(ValueError, match="no wrap range"):
        energy.delta_uj(90, 5, 0)


def test_only_psys_is_used_when_there_is_no_package(tmp_path: Path):
    _domain(tmp_path, "intel-rapl:0", "psys", 0, 100)
    assert energy.EnergyMeter(root=tmp_path, nvml=False).source == "rapl:psys"


def test_unreadable_counter_is_no_sensor(tmp_path: Path):
    d = tmp_path / "intel-rapl:0"
    d.mkdir()
    (d / "energy_uj").write_text("permission denied stands in here\n")  # unreadable value
    assert not energy.EnergyMeter(root=tmp_path, nvml=False).available


def test_this_machine_meter_is_detected_once():
    first = energy.default_meter()
    assert energy.default_meter() is first
    with energy.measure() as r:
        pass
    assert (r.joules is None) == (not first.available)


def test_joules_per_request_and_token_exclude_warmup_and_failures():
    def s(j, tokens, ok=True, warmup=False):
        return {"ok": ok, "warmup": warmup, "metrics": {"energy_j": j, "output_tokens": tokens,
                                                        "energy_source": "rapl:package-0"}}  # fmt: skip

    got = energy.joules_per_token([s(2.0, 10), s(4.0, 30), s(100.0, 1, warmup=True), s(9.0, 1, ok=False)])
    assert got == {"per_request_j": 3.0, "per_token_j": 0.15, "n": 2, "source": "rapl:package-0"}
    none = energy.joules_per_token([s(None, 10)])
    assert none["per_token_j"] is None and none["source"] == energy.NO_SENSOR and none["n"] == 0


def test_cost_estimates_are_labelled_and_need_a_price():
    by_hour = energy.cost_per_1k_tokens(output_tokens_per_s=50, price_per_hour=3.6)
    assert by_hour.per_1k_tokens == pytest.approx(0.02)  # 20 s of a 0.001/s machine
    assert by_hour.label == "estimate" and "3.6/h" in by_hour.basis
    by_watts = energy.cost_per_1k_tokens(output_tokens_per_s=100, watts=360, price_per_kwh=0.5)
    assert by_watts.per_1k_tokens == pytest.approx(360 * 10 / 3.6e6 * 0.5)
    assert "assumed 360 W" in by_watts.basis
    measured = energy.cost_per_1k_tokens(100, watts=360, price_per_kwh=0.5, joules_per_token=0.36)
    assert measured.per_1k_tokens == pytest.approx(360 / 3.6e6 * 0.5) and "measured" in measured.basis
    assert energy.cost_per_1k_tokens(50).per_1k_tokens is None
    assert energy.cost_per_1k_tokens(None, price_per_hour=1).basis.startswith("n/a")


def test_meter_is_safe_from_threads(tmp_path: Path):
    pkg = _domain(tmp_path, "intel-rapl:0", "package-0", 0, 10**9)
    meter = energy.EnergyMeter(root=tmp_path, nvml=False)
    results = []

    def one():
        with meter.measure() as r:
            pass
        results.append(r.joules)

    threads = [threading.Thread(target=one) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert results == [0.0] * 4 and pkg.exists()


def test_every_stored_request_says_its_energy_or_that_there_is_no_sensor(tmp_path: Path):
    from bench.inputs.config import PromptItem, PromptSet, RunSettings
    from bench.run.runner import run_benchmark
    from bench.store.store import Store
    from benchmarks.stub_openai import StubServer

    store = Store(tmp_path / "b.db")
    prompts = PromptSet(prompts=[PromptItem(id="a", prompt="Hi.")])
    with StubServer(tokens=4) as url:
        run_id, status = run_benchmark(
            store, RunSettings(models=["stub"], rounds=2, warmup=0, endpoint=url), prompts
        )
    assert status == "completed"
    meter = energy.default_meter()
    for sample in store.samples([run_id]):
        assert sample["metrics"]["energy_source"] == meter.source
        assert (sample["metrics"]["energy_j"] is None) == (not meter.available)
