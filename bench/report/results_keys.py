"""What Results' kept values are keyed by, and which run is worth keeping (light: no pandas, no Altair).

Shared by :mod:`bench.report.results_memo` (which computes and keeps the values) and
:mod:`bench.report.results_keeper` (which decides, as the app starts, whether a process of its own should).
"""

from __future__ import annotations

from typing import Any

from bench.store.store import Store

#: below this many requests the page computes a run's first view in well under 0.1 s: nothing to keep
KEEP_FROM_SAMPLES = 1_000
#: the statuses of a run a page opens by default (with requests stored): see :func:`usable`
FINISHED = ("completed", "partial")

#: (database, run ids, stamp): the runs in their current state (stamp: each run's last update and count)
RunsKey = tuple[str, tuple[str, ...], tuple[Any, ...]]


def usable(run: dict[str, Any]) -> bool:
    """A run a page should open by default: finished (not cancelled, failed or running) with requests."""
    return run.get("status") in FINISHED and int(run.get("n_samples") or 0) > 0


def runs_key(store: Store, run_ids: list[str]) -> RunsKey:
    """(database, run ids, stamp): the key of the runs in their current state."""
    runs = {r["id"]: r for r in store.list_runs(500)}
    stamp = tuple(
        (rid, runs.get(rid, {}).get("updated_at"), runs.get(rid, {}).get("n_samples")) for rid in run_ids
    )
    return str(store.path), tuple(run_ids), stamp


def disk_key(key: RunsKey, state: tuple[Any, ...]) -> tuple[Any, ...]:
    """What the runs' kept values are keyed by (``state``: :func:`bench.disk_memo.sqlite_state`); the
    results layer is kept under ``(*READ, disk_key)``, each chart spec and the drift fits beside it."""
    return (*key, state)


#: the kind of the kept results layer (:func:`bench.report.results_memo.read_kept`)
READ = ("read",)
