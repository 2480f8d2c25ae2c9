"""The Results page's data and chart specs, computed once per state of the selected runs.

Why: at 10,000 requests reading and aggregating the runs took most of a second, and each chart's spec
another ~0.3 s, on every page run (every widget click reruns the page). Both are cached here, keyed by
each run's last update and request count, so a running or resumed run is read again; the cached
objects are never mutated by the page. Measured in ``benchmarks/results_scale.md``.

For an SQLite database they are also kept on disk (:mod:`bench.disk_memo`, keyed by the database
file's state as well), so a restarted server reads them back instead of computing them again while
the first tab waits.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from bench import paths
from bench.disk_memo import DiskMemo, sqlite_state
from bench.report import charts
from bench.results import Results, load_results, with_series
from bench.stats import aggregates
from ui.resources import store

T = TypeVar("T")
log = logging.getLogger(__name__)


#: (results layer, per-prompt statistics, the disk key they are kept under or None)
Read = tuple[Results, pd.DataFrame, Any]


@st.cache_resource(ttl=600, max_entries=4, show_spinner="Reading the runs…")
def _read_cached(db: str, run_ids: tuple[str, ...], stamp: tuple[Any, ...]) -> Read:
    """:func:`_read_kept`, once per state of the runs (``stamp``: see the module)."""
    return _read_kept(db, run_ids, stamp)


def _read_kept(db: str, run_ids: tuple[str, ...], stamp: tuple[Any, ...]) -> Read:
    """The results layer and per-prompt statistics of ``run_ids``, and the disk key they are kept under
    (the specs and drift fits made from them are kept under it too)."""
    location = store().location
    state = sqlite_state(location) if isinstance(location, Path) else None
    disk_key = (db, run_ids, stamp, state) if state is not None else None
    results, prompts = _kept(("read",), disk_key, lambda: _read(run_ids))
    return results, prompts, disk_key


def _read(run_ids: tuple[str, ...]) -> tuple[Results, pd.DataFrame]:
    results = load_results(store(), list(run_ids))
    frame = results.samples
    prompts = with_series(aggregates.prompt_summary(frame), results.several_runs) if not frame.empty else None
    return results, prompts if prompts is not None else pd.DataFrame()


def _kept(kind: tuple[Any, ...], disk_key: Any, make: Callable[[], T]) -> T:
    """``make()``, kept across restarts (:mod:`bench.disk_memo`, in :func:`bench.paths.results_cache_dir`,
    keyed by the database's path and state). Not with
    PostgreSQL (no file there changes with every write) nor while the database is being written
    (``disk_key`` None in both cases): then nothing could be kept safely."""
    if disk_key is None:
        return make()
    return DiskMemo(paths.results_cache_dir(store().location)).get((*kind, disk_key), make)


def _key(run_ids: list[str]) -> tuple[str, tuple[str, ...], tuple[Any, ...]]:
    """(database, run ids, stamp): the cache key of the runs in their current state."""
    runs = {r["id"]: r for r in store().list_runs(500)}
    stamp = tuple(
        (rid, runs.get(rid, {}).get("updated_at"), runs.get(rid, {}).get("n_samples")) for rid in run_ids
    )
    return str(store().path), tuple(run_ids), stamp


def read(run_ids: list[str]) -> tuple[Results, pd.DataFrame]:
    """The runs' results and per-prompt statistics; remembers them for :func:`spec` in this session."""
    st.session_state[_KEY] = _key(run_ids)  # per session: users differ
    results, prompts, _ = _read_cached(*st.session_state[_KEY])
    return results, prompts


_KEY = "_results_key"  # (database, run ids, stamp) of the runs this session's Results shows
_CHARTS = {
    "distribution": lambda r, p, metric, warmup: charts.latency_distribution(
        r.samples, r.domain, metric=metric, include_warmup=warmup
    ),
    "percentiles": lambda r, p: charts.percentile_bars(r.summary, r.domain),
    "ttft_decode": lambda r, p: charts.ttft_vs_decode(r.samples, r.domain),
    "per_prompt": lambda r, p: charts.tps_per_prompt(p, r.domain),
    "resources": lambda r, p, field: charts.resource_bars(r.table(), r.domain, field),
}


@st.cache_resource(ttl=600, max_entries=64, show_spinner=False)
def _spec_cached(key: tuple[Any, ...], name: str, args: tuple[Any, ...]) -> dict[str, Any]:
    """A chart's Vega-Lite spec, built once per state of the runs (one took ~0.3 s at 10,000 requests)."""
    return _spec_kept(_read_cached(*key), name, args)


def _spec_kept(read: Read, name: str, args: tuple[Any, ...]) -> dict[str, Any]:
    results, prompts, disk_key = read
    # not validated against the Vega-Lite schema again here: every chart builder's spec is validated by
    # tests/test_app_ui_charts.py, and validating 1,000 inline rows cost the page ~0.1 s on a first visit
    return _kept(
        ("spec", name, args), disk_key, lambda: _CHARTS[name](results, prompts, *args).to_dict(validate=False)
    )


def spec(name: str, *args: Any) -> dict[str, Any]:
    """The Vega-Lite spec of chart ``name`` (a key of ``_CHARTS``) of the runs :func:`read` last read."""
    return _spec_cached(st.session_state[_KEY], name, args)


@st.cache_resource(ttl=600, max_entries=16, show_spinner=False)
def _drift_cached(key: tuple[Any, ...]) -> list[Any]:
    return _drift_kept(_read_cached(*key))


def _drift_kept(read: Read) -> list[Any]:
    from bench.stats import drift

    results, _, disk_key = read
    return _kept(
        ("drift",),
        disk_key,
        lambda: list(drift.drift_of(results.samples)) if not results.samples.empty else [],
    )


#: the charts Results draws before anyone touches a widget: (name, args) as the page asks for them
FIRST_VIEW: tuple[tuple[str, tuple[Any, ...]], ...] = (
    ("distribution", ("e2e_s", False)),
    ("percentiles", ()),
    ("ttft_decode", ()),
    ("per_prompt", ()),
    ("distribution", ("ttft_s", False)),
    *(("resources", (field,)) for field in charts.RESOURCE_PANELS),
)


def warm(run_ids: list[str]) -> None:
    """Read, aggregate and chart ``run_ids`` ahead of the click on Results (called when a run ends).

    Why: the click right after a run is what a person does, and at 10,000 requests the first one
    computed the aggregates, the drift fits and eight specs while they waited (2.3 s against 1.7 s
    with all of it cached: ``benchmarks/results_scale.md``). The page then finds everything under the
    same keys it asks for.
    """
    _warmed(_key(run_ids))


@st.cache_resource(ttl=600, max_entries=16, show_spinner=False)
def _warmed(key: tuple[Any, ...]) -> bool:
    """:func:`warm`'s work, itself cached so that the caches it fills count as nested: Streamlit draws
    no spinner for a nested cached call, and the job's thread that calls it has no page to draw on."""
    results, _, _ = _read_cached(*key)
    if results.samples.empty:
        return False
    for name, args in FIRST_VIEW:
        _spec_cached(key, name, args)
    _drift_cached(key)
    return True


def keep(run_ids: list[str], wait_s: float = 60.0) -> threading.Thread:
    """Keep Results' first view of ``run_ids`` on disk once the database has been quiet (a thread).

    Why: when a run ends its database was written moments ago, so what :func:`warm` computes cannot be
    kept (:func:`bench.disk_memo.sqlite_state`), and the first restart after a run computed it all
    again while a bookmark of Results waited (2.2-2.4 s against 1.9 s at 10,000 requests). This waits
    until no write has come for two seconds, then computes and keeps it, on a thread of its own. It is
    computed again, not copied from the page's cache: that copy was read moments after the run's last
    write, within a tick of the file clock that could hide one more (see ``sqlite_state``).
    """
    thread = threading.Thread(
        target=_keep_when_quiet,
        args=(store().location, list(run_ids), wait_s),
        name="slm-bench-results-keep",
        daemon=True,
    )
    thread.start()
    return thread


def _keep_when_quiet(location: Path | str, run_ids: list[str], wait_s: float) -> None:
    if not isinstance(location, Path):
        return  # PostgreSQL: nothing is kept
    deadline = time.monotonic() + wait_s
    while sqlite_state(location) is None:  # still being written
        if time.monotonic() > deadline:
            return
        time.sleep(0.25)
    if store().location != location:
        return  # the app now serves another database (tests switch it; an app does not)
    try:
        read = _read_kept(*_key(run_ids))
        if read[2] is None or read[0].samples.empty:
            return  # written again meanwhile (then nothing was kept), or nothing to chart
        for name, args in FIRST_VIEW:
            _spec_kept(read, name, args)
        _drift_kept(read)
    except Exception:  # not kept only means the next restart computes it
        log.debug("Results of %s not kept", run_ids, exc_info=True)


def drift_trends() -> list[Any]:
    """``bench.stats.drift.drift_of`` of the runs :func:`read` last read (a Theil-Sen fit per model: ~0.3 s
    at 10,000 requests, so computed once per state of the runs)."""
    return _drift_cached(st.session_state[_KEY])
