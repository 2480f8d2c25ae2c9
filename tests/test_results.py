"""The results layer: typed rows per (run, model) on a real SQLite file, one memory definition,
quality per source that never pools two runs, decimal units and the one missing-value test."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.errors import BenchError
from bench.results import MEMORY_ADDED, MEMORY_PEAK, MEMORY_REMOTE, load_results, memory_of, series_name
from bench.store.store import Store
from bench.units import fmt_bytes, fmt_rate, fmt_seconds, is_missing, to_mb

PROMPTS = {"name": "t", "prompts": [{"id": f"p{i}", "prompt": f"Q{i}", "aspects": ["acc"]} for i in range(3)]}
SETTINGS = {"models": ["m1", "m2"], "rounds": 2, "warmup": 0}


def _sample(run_id: str, model: str, prompt_id: str, rnd: int, e2e: float, cold: bool = False) -> dict:
    return {
        "run_id": run_id, "model": model, "prompt_id": prompt_id, "round": rnd, "warmup": False,
        "cold": cold, "ok": True, "error": None, "stream": True, "transport": "in-process",
        "started_at": "2026-01-01T00:00:00Z", "answer": f"{model} {prompt_id}", "reasoning": "",
        "server_timings": None,
        "metrics": {"e2e_s": e2e, "ttft_s": e2e / 10, "decode_tps": 50.0, "output_tokens": 20,
                    "output_token_source": "usage"},
    }  # fmt: skip


def _run(store: Store, e2e: dict[str, list[float]]) -> str:
    """One run: each model answers p0..p2 in two rounds (the very first request is cold)."""
    run_id = store.create_run(SETTINGS, PROMPTS, {"transport": "in-process"})
    for model, values in e2e.items():
        it = iter(values)
        for rnd in range(2):
            for i in range(3):
                store.add_sample(_sample(run_id, model, f"p{i}", rnd, next(it), cold=(rnd, i) == (0, 0)))
    return run_id


@pytest.fixture
def two_runs(db_path: Path) -> tuple[Store, str, str]:
    store = Store(db_path)
    first = _run(store, {"m1": [9.0, 1.0, 2.0, 3.0, 4.0, 5.0], "m2": [9.0, 2.0, 2.0, 2.0, 2.0, 2.0]})
    second = _run(store, {"m1": [9.0, 10.0, 10.0, 10.0, 10.0, 10.0]})
    # m1 in the first run: in-process with a baseline; m2: a local server's peak only
    store.upsert_run_model(first, "m1", status="done", transport="in-process", size_bytes=250_000_000,
                           peak_rss_bytes=900_000_000, baseline_rss_bytes=600_000_000,
                           rss_source="this process (model in-process)", load_seconds=1.5)  # fmt: skip
    store.upsert_run_model(first, "m2", status="done", transport="http", size_bytes=1_500_000_000,
                           peak_rss_bytes=2_000_000_000, rss_source="server pid 42")  # fmt: skip
    store.upsert_run_model(second, "m1", status="done", transport="http",
                           rss_source="unavailable (remote server)")  # fmt: skip
    store.upsert_run_model(second, "broken", status="failed", error="not a model")
    return store, first, second


def test_rows_join_statistics_memory_and_series(two_runs: tuple[Store, str, str]) -> None:
    store, first, second = two_runs
    results = load_results(store, [first, second])
    assert results.several_runs and results.run_ids == (first, second)
    assert [(m.run_id, m.model) for m in results.models] == [
        (first, "m1"), (first, "m2"), (second, "m1"), (second, "broken")
    ]  # fmt: skip
    m1 = results.get(first, "m1")
    assert m1 is not None
    assert m1.series == series_name("m1", first, True) == f"m1 · {first[-11:]}"
    # six requests, the cold one apart: 5 warm, mean of 1..5 = 3, cold e2e 9
    assert m1.n == 5 and m1.stat("e2e_s_mean") == pytest.approx(3.0) and m1.cold_e2e_s == 9.0
    assert m1.stat("e2e_s_n") == 5 and "p95" in m1.stat("e2e_s_low_n")
    assert m1.token_source == "usage×5" and m1.transport == "in-process" and m1.candidate
    assert (m1.memory_bytes, m1.memory_basis, m1.memory_comparable) == (300_000_000, MEMORY_ADDED, True)
    m2 = results.get(first, "m2")
    assert m2 is not None and (m2.memory_bytes, m2.memory_basis) == (2_000_000_000, MEMORY_PEAK)
    remote = results.get(second, "m1")
    assert remote is not None and remote.memory_bytes is None and not remote.memory_comparable
    assert remote.memory_basis == MEMORY_REMOTE and remote.stat("e2e_s_mean") == pytest.approx(10.0)
    broken = results.get(second, "broken")
    assert broken is not None and broken.n == 0 and not broken.candidate and broken.stat("e2e_s_mean") is None
    # the samples and the summary carry the same series names as the rows; the domain keeps model order
    assert set(results.samples["series"]) == {m.series for m in results.models if m.n}
    assert results.domain == [m.series for m in results.models]
    table = results.table()
    assert list(table["series"]) == results.domain and "e2e_s_p95" in table and "memory_basis" in table


def test_one_run_uses_bare_model_names(two_runs: tuple[Store, str, str]) -> None:
    store, first, _ = two_runs
    results = load_results(store, [first])
    assert [m.series for m in results.models] == ["m1", "m2"] and not results.several_runs


def test_quality_belongs_to_its_run(two_runs: tuple[Store, str, str]) -> None:
    """People scored m1 in the first run only: the second run's m1 gets no quality, not the first's."""
    from rubrics.annotate import save_scores

    store, first, second = two_runs
    for i, score in enumerate([4, 2, 3]):
        save_scores(store, first, f"p{i}", "m1", "ana", {"acc": score})
    results = load_results(store, [first, second])
    assert results.source_names == ["people"]
    scored = results.get(first, "m1")
    assert scored is not None
    q = scored.quality["people"]
    assert (q.mean, q.n, q.missing) == (pytest.approx(3.0), 3, 0) and q.low <= 3.0 <= q.high
    unscored = results.get(second, "m1")
    assert unscored is not None and unscored.quality == {}
    table = results.quality_tables["people"]
    assert set(table["run_id"]) == {first} and list(table["aspect"]) == ["acc"]


def test_unknown_run_names_the_id_and_recent_runs(two_runs: tuple[Store, str, str]) -> None:
    store, first, _ = two_runs
    with pytest.raises(BenchError, match="no-such-run") as info:
        load_results(store, [first, "no-such-run"])
    assert first in str(info.value)


def test_memory_flagged_not_comparable_keeps_its_number_and_note() -> None:
    """``memory_comparable = 0`` (run_models, schema v2) is honoured; older rows without it are comparable."""
    row = {
        "peak_rss_bytes": 5e8,
        "baseline_rss_bytes": 2e8,
        "memory_comparable": 0,
        "memory_note": "shared process",
    }
    memory = memory_of(row)
    assert (memory.bytes, memory.comparable, memory.note) == (3e8, False, "shared process")
    assert memory_of({"peak_rss_bytes": 5e8, "baseline_rss_bytes": np.nan}).basis == MEMORY_PEAK
    assert memory_of({"peak_rss_bytes": 5e8, "baseline_rss_bytes": 9e8}).bytes == 0.0  # never negative
    nothing = memory_of({})
    assert nothing.bytes is None and not nothing.comparable


def test_units_are_decimal_and_missing_is_one_test() -> None:
    assert fmt_bytes(100 * 10**6) == "100 MB" and fmt_bytes(1_600_000_000) == "1.6 GB"
    assert fmt_bytes(12_500_000) == "12.5 MB" and fmt_bytes(420_000) == "0.42 MB"
    assert to_mb(2**20) == pytest.approx(1.048576)
    assert fmt_seconds(0.85) == "850 ms" and fmt_seconds(1.234) == "1.23 s" and fmt_seconds(3.0) == "3 s"
    assert fmt_rate(55.24) == "55.2 tok/s" and fmt_rate(None) == fmt_bytes(math.nan) == "n/a"
    for missing in (None, math.nan, np.float32("nan"), pd.NA, pd.NaT):
        assert is_missing(missing), missing
    for present in (0, 0.0, "", [], np.int64(3), "n/a", [math.nan]):
        assert not is_missing(present), present


def test_outcomes_are_numbers_on_results_and_in_the_report(tmp_path) -> None:
    """Issue 16: failure and truncation rates never reached Results or a report; now with Wilson intervals."""
    import sys
    from pathlib import Path

    from bench.report.exports import render_markdown
    from bench.results import load_results
    from bench.store.store import Store

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from outcome_runs import Plan, store_run

    store = Store(tmp_path / "bench.db")
    run_id = store_run(store, {"flaky": Plan(failed=20, truncated=8), "fine": Plan()})
    results = load_results(store, [run_id])
    flaky, fine = results.get(run_id, "flaky"), results.get(run_id, "fine")
    assert flaky.stat("error_rate") == 0.2 and flaky.stat("requests") == 100
    assert flaky.stat("truncation_rate") == 0.1 and flaky.stat("ok_measured") == 80
    assert 0.12 < flaky.stat("error_rate_low") < 0.2 < flaky.stat("error_rate_high") < 0.3
    assert fine.stat("error_rate") == 0 and fine.stat("error_rate_low") == 0
    assert flaky.rate_words("error_rate").startswith("20.0% (") and flaky.rate_words("error_rate").endswith(
        "n=100)"
    )
    text = render_markdown(store, [run_id])
    assert flaky.rate_words("error_rate") in text and flaky.rate_words("truncation_rate") in text
