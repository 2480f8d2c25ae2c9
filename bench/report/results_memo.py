"""Results' data and first-view chart specs, kept on disk between processes (no Streamlit here).

Why: at 10,000 requests reading a run, its aggregates, eight chart specs and the drift fits cost
0.5 s of CPU, and the first tab after a restart waited for it (``benchmarks/results_scale.md``).
What is computed here is kept under :func:`bench.paths.results_cache_dir` by :mod:`bench.disk_memo`,
keyed by the runs' state, the SQLite file's state and the code; the app's page
(:mod:`ui.results_cache`) and the CLI at the end of a run (:func:`keep_first_view`) compute the
same values under the same keys, so whichever came first, the other reads it back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from bench import paths
from bench.disk_memo import DiskMemo, sqlite_state
from bench.report import charts
from bench.report.results_keys import KEEP_FROM_SAMPLES, READ, disk_key, runs_key
from bench.results import Results, load_results, with_series
from bench.stats import aggregates
from bench.store.store import Store

T = TypeVar("T")

#: (results layer, per-prompt statistics, the disk key they are kept under or None)
Read = tuple[Results, pd.DataFrame, Any]

CHARTS: dict[str, Callable[..., Any]] = {
    "distribution": lambda r, p, metric, warmup: charts.latency_distribution(
        r.samples, r.domain, metric=metric, include_warmup=warmup
    ),
    "percentiles": lambda r, p: charts.percentile_bars(r.summary, r.domain),
    "ttft_decode": lambda r, p: charts.ttft_vs_decode(r.samples, r.domain),
    "per_prompt": lambda r, p: charts.tps_per_prompt(p, r.domain),
    "resources": lambda r, p, field: charts.resource_bars(r.table(), r.domain, field),
}

#: the charts Results draws before anyone touches a widget: (name, args) as the page asks for them
FIRST_VIEW: tuple[tuple[str, tuple[Any, ...]], ...] = (
    ("distribution", ("e2e_s", False)),
    ("percentiles", ()),
    ("ttft_decode", ()),
    ("per_prompt", ()),
    ("distribution", ("ttft_s", False)),
    *(("resources", (field,)) for field in charts.RESOURCE_PANELS),
)


def read_kept(store: Store, db: str, run_ids: tuple[str, ...], stamp: tuple[Any, ...]) -> Read:
    """The results layer and per-prompt statistics of ``run_ids``, and the disk key they are kept under
    (the specs and drift fits made from them are kept under it too)."""
    location = store.location
    state = sqlite_state(location) if isinstance(location, Path) else None
    key = disk_key((db, run_ids, stamp), state) if state is not None else None
    results, prompts = _kept(store, READ, key, lambda: _read(store, run_ids))
    return results, prompts, key


def _read(store: Store, run_ids: tuple[str, ...]) -> tuple[Results, pd.DataFrame]:
    results = load_results(store, list(run_ids))
    frame = results.samples
    prompts = with_series(aggregates.prompt_summary(frame), results.several_runs) if not frame.empty else None
    return results, prompts if prompts is not None else pd.DataFrame()


def _kept(store: Store, kind: tuple[Any, ...], disk_key: Any, make: Callable[[], T]) -> T:
    """``make()``, kept across restarts (in :func:`bench.paths.results_cache_dir`, keyed by the
    database's path and state). Not with PostgreSQL (no file there changes with every write) nor
    while the database is being written (``disk_key`` None in both cases): then nothing could be kept
    safely."""
    if disk_key is None:
        return make()
    return DiskMemo(paths.results_cache_dir(store.location)).get((*kind, disk_key), make)


def spec_kept(store: Store, read: Read, name: str, args: tuple[Any, ...]) -> dict[str, Any]:
    """Chart ``name``'s Vega-Lite spec (a key of :data:`CHARTS`) of the runs ``read`` holds."""
    results, prompts, disk_key = read
    # not validated against the Vega-Lite schema again here: every chart builder's spec is validated by
    # tests/test_app_ui_charts.py, and validating 1,000 inline rows cost the page ~0.1 s on a first visit
    return _kept(
        store,
        ("spec", name, args),
        disk_key,
        lambda: CHARTS[name](results, prompts, *args).to_dict(validate=False),
    )


def drift_kept(store: Store, read: Read) -> list[Any]:
    """``bench.stats.drift.drift_of`` of the runs ``read`` holds (a Theil-Sen fit per model)."""
    from bench.stats import drift

    results, _, disk_key = read
    return _kept(
        store,
        ("drift",),
        disk_key,
        lambda: list(drift.drift_of(results.samples)) if not results.samples.empty else [],
    )


def worth_keeping(store: Store, run_ids: list[str]) -> list[str]:
    """Those of ``run_ids`` with at least :data:`KEEP_FROM_SAMPLES` requests stored (smaller ones are
    computed faster than a kept copy is waited for)."""
    counts = {r["id"]: r.get("n_samples") or 0 for r in store.list_runs(500)}
    return [r for r in run_ids if counts.get(r, 0) >= KEEP_FROM_SAMPLES]


def wait_quiet(location: Path, wait_s: float) -> bool:
    """True once the SQLite file has had no write for two seconds; False if ``wait_s`` passed first.

    What is kept is keyed by the file's state, and two writes within one tick of the file clock could
    leave the same state (:func:`bench.disk_memo.sqlite_state`), so nothing is kept while it is written.
    """
    deadline = time.monotonic() + wait_s
    while sqlite_state(location) is None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)
    return True


def keep_first_view(store: Store, run_ids: list[str], wait_s: float = 10.0) -> bool:
    """Compute and keep Results' first view of ``run_ids`` once the database is quiet; True if kept.

    Why: a restarted app opens on the newest run, and at 10,000 requests a tab opened at once waited
    for all of it (2.4 s against 1.9 s with it kept: ``benchmarks/results_scale.md``). The app calls
    this when a run ends in it (:func:`ui.results_cache.keep`), the CLI when ``bench run`` ends. It is
    computed, not copied from a cache filled moments after the run's last write: such a copy was read
    within a tick of the file clock that could hide one more write.
    """
    read = keep_read(store, run_ids, wait_s)
    if read is None:
        return False
    keep_charts(store, read)
    return True


def keep_read(store: Store, run_ids: list[str], wait_s: float = 10.0) -> Read | None:
    """The first step of :func:`keep_first_view`: the runs' results layer, kept; None if nothing can be
    kept (PostgreSQL, a database still being written, no requests to chart)."""
    location = store.location
    if not isinstance(location, Path) or not wait_quiet(location, wait_s):
        return None  # PostgreSQL (nothing is kept), or still being written
    read = read_kept(store, *runs_key(store, run_ids))
    if read[2] is None or read[0].samples.empty:
        return None  # written again meanwhile (then nothing was kept), or nothing to chart
    return read


def keep_charts(store: Store, read: Read) -> None:
    """The rest of :func:`keep_first_view`: the eight chart specs and the drift fits of ``read``, kept."""
    for name, args in FIRST_VIEW:
        spec_kept(store, read, name, args)
    drift_kept(store, read)
