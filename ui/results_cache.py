"""The Results page's data and chart specs, computed once per state of the selected runs.

Why: at 10,000 requests reading and aggregating the runs took most of a second, and each chart's spec
another ~0.3 s, on every page run (every widget click reruns the page). Both are cached here, keyed by
each run's last update and request count, so a running or resumed run is read again; the cached
objects are never mutated by the page. Measured in ``benchmarks/results_scale.md``.

For an SQLite database they are also kept on disk (:mod:`bench.report.results_memo`, keyed by the database
file's state as well), so a restarted server reads them back instead of computing them again while
the first tab waits; this module only adds Streamlit's in-memory caches and the page's session.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from bench.report import results_keys, results_memo
from bench.report.results_memo import FIRST_VIEW, Read
from bench.results import Results
from ui.resources import store

log = logging.getLogger(__name__)


@st.cache_resource(ttl=600, max_entries=4, show_spinner="Reading the runs…")
def _read_cached(db: str, run_ids: tuple[str, ...], stamp: tuple[Any, ...]) -> Read:
    """:func:`bench.report.results_memo.read_kept`, once per state of the runs (``stamp``: see the module)."""
    return results_memo.read_kept(store(), db, run_ids, stamp)


def _key(run_ids: list[str]) -> results_keys.RunsKey:
    return results_keys.runs_key(store(), run_ids)


def read(run_ids: list[str]) -> tuple[Results, pd.DataFrame]:
    """The runs' results and per-prompt statistics; remembers them for :func:`spec` in this session."""
    st.session_state[_KEY] = _key(run_ids)  # per session: users differ
    results, prompts, _ = _read_cached(*st.session_state[_KEY])
    return results, prompts


_KEY = "_results_key"  # (database, run ids, stamp) of the runs this session's Results shows


@st.cache_resource(ttl=600, max_entries=64, show_spinner=False)
def _spec_cached(key: tuple[Any, ...], name: str, args: tuple[Any, ...]) -> dict[str, Any]:
    """A chart's Vega-Lite spec, built once per state of the runs (one took ~0.3 s at 10,000 requests),
    its datasets already in the Arrow form the browser gets (:func:`_arrow_datasets`)."""
    return _arrow_datasets(results_memo.spec_kept(store(), _read_cached(*key), name, args))


def _arrow_datasets(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with each named dataset converted to Arrow IPC bytes, once, as Streamlit sends it.

    Why: ``st.vega_lite_chart`` converts a spec's datasets to Arrow on every page run, unless they are
    bytes already (what its own ``st.altair_chart`` hands it): eight charts of 1,000 points cost each
    Results page run about 0.1 s (a py-spy profile). Streamlit's own converter, so the browser gets the
    same bytes; the spec kept on disk stays plain JSON (:mod:`bench.report.results_memo`).
    """
    from streamlit import dataframe_util

    datasets = spec.get("datasets")
    if not isinstance(datasets, dict):
        return spec
    converted = {
        name: data if isinstance(data, bytes) else dataframe_util.convert_anything_to_arrow_bytes(data)
        for name, data in datasets.items()
    }
    return {**spec, "datasets": converted}


def spec(name: str, *args: Any) -> dict[str, Any]:
    """The Vega-Lite spec of chart ``name`` (a key of ``bench.report.results_memo.CHARTS``) of the runs
    :func:`read` last read."""
    return _spec_cached(st.session_state[_KEY], name, args)


@st.cache_resource(ttl=600, max_entries=16, show_spinner=False)
def _drift_cached(key: tuple[Any, ...]) -> list[Any]:
    return results_memo.drift_kept(store(), _read_cached(*key))


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
    kept, and the first restart after a run computed it all again while a bookmark of Results waited.
    :func:`bench.report.results_memo.keep_first_view` waits until no write has come for two seconds, then
    computes and keeps it; here on a thread of its own, so no page waits.
    """
    thread = threading.Thread(
        target=_keep_when_quiet,
        args=(store(), list(run_ids), wait_s),
        name="slm-bench-results-keep",
        daemon=True,
    )
    thread.start()
    return thread


def _keep_when_quiet(db: Any, run_ids: list[str], wait_s: float) -> None:
    if not isinstance(db.location, Path) or not results_memo.wait_quiet(db.location, wait_s):
        return
    if store().location != db.location:
        return  # the app now serves another database (tests switch it; an app does not)
    try:
        results_memo.keep_first_view(db, run_ids, wait_s)
    except Exception:  # not kept only means the next restart computes it
        log.debug("Results of %s not kept", run_ids, exc_info=True)


def drift_trends() -> list[Any]:
    """``bench.stats.drift.drift_of`` of the runs :func:`read` last read (a Theil-Sen fit per model: ~0.3 s
    at 10,000 requests, so computed once per state of the runs)."""
    return _drift_cached(st.session_state[_KEY])
