"""bench.report.results_keeper: which run the app's start hands to a process of its own, and that process.

Real SQLite files and real processes; file times are set with ``os.utime`` where a database must have
been quiet for a while (instead of sleeping).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench import paths
from bench.report import results_keeper, results_memo
from bench.store.store import Store
from tests.synthetic_runs import latencies, quiet, store_run


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("SLM_BENCH_DB", str(tmp_path / "bench.db"))
    return Store(tmp_path / "bench.db")


def test_the_newest_large_unkept_run_of_a_quiet_database_is_the_one_to_keep(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(5)
    quiet(store.location)
    assert results_keeper.to_keep(store) is None  # no run at all
    small = store_run(store, {"a": latencies(rng, 0.4, 20)})
    quiet(store.location)
    assert results_keeper.to_keep(store) is None  # 21 requests: the page computes it in no time
    monkeypatch.setattr(results_keeper, "KEEP_FROM_SAMPLES", 10)
    assert results_keeper.to_keep(store) == small
    newer = store_run(store, {"a": latencies(rng, 0.5, 20)})
    assert results_keeper.to_keep(store) is None  # written a moment ago: nothing can be kept yet
    quiet(store.location)
    assert results_keeper.to_keep(store) == newer  # the run Results opens on, not the older one
    assert results_memo.keep_first_view(store, [newer])
    assert results_keeper.to_keep(store) is None  # kept already


def test_the_keeper_process_keeps_what_the_page_reads(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real ``python -m bench.report.results_keeper`` process writes the values under the keys the
    app's page reads: read back here, nothing is computed in this process."""
    run = store_run(store, {"a": latencies(np.random.default_rng(6), 0.4, 40)})
    quiet(store.location)
    monkeypatch.setattr(results_keeper, "KEEP_FROM_SAMPLES", 10)
    keeper = results_keeper.start(store)
    assert keeper is not None
    assert keeper.wait(timeout=180) == 0
    assert results_keeper.to_keep(store) is None
    assert list(paths.results_cache_dir(store.location).glob("*.pkl"))

    def refuse(*_args: object) -> None:
        raise AssertionError("computed again: the keeper's values were not found")

    monkeypatch.setattr(results_memo, "load_results", refuse)
    monkeypatch.setattr(results_memo, "CHARTS", {name: refuse for name in results_memo.CHARTS})
    read = results_memo.keep_read(store, [run], wait_s=0.0)
    assert read is not None and not read[0].samples.empty
    results_memo.keep_charts(store, read)


def test_no_keeper_and_no_file_when_the_apps_database_is_not_there_yet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first `make app` has no database yet: the start looks, starts nothing and creates nothing."""
    db = tmp_path / "fresh" / "bench.db"
    monkeypatch.setenv("SLM_BENCH_DB", str(db))
    assert results_keeper.start() is None
    assert not db.exists() and not db.parent.exists()
