"""Results' first view of the run the app opens on, computed in a process of its own while the app starts.

Why: when nothing was kept for that run (the first start after installing another version, or a run
recorded with the app stopped and kept by nobody), a tab opened the moment the restarted server
answered waited for 0.5 s of CPU that the server's one Python process spent beside Streamlit's own
start and the page's run (2.2-2.4 s against 1.9 s with it kept: ``benchmarks/results_scale.md``).
Started by ``ui.serve`` before Streamlit, this process computes it on the other core and keeps it
(:func:`bench.report.results_memo.keep_first_view`); the page waits for it through the kept folder's
lock (:meth:`bench.disk_memo.DiskMemo.computing`) and reads it back.

This module stays light (no pandas, no Altair): the server asks :func:`start` before it starts.

    python -m bench.report.results_keeper RUN_ID
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench import paths
from bench.disk_memo import DiskMemo, sqlite_state
from bench.report.results_keys import KEEP_FROM_SAMPLES, READ, disk_key, runs_key, usable
from bench.store.db import location
from bench.store.store import Store


def to_keep(store: Store) -> str | None:
    """The run Results opens on when it is worth keeping and not kept yet (and the database is quiet)."""
    file = store.location
    if not isinstance(file, Path):
        return None  # PostgreSQL: nothing is kept
    newest = next((r for r in store.list_runs(200) if usable(r)), None)
    if newest is None or int(newest.get("n_samples") or 0) < KEEP_FROM_SAMPLES:
        return None
    state = sqlite_state(file)
    if state is None:
        return None  # being written: nothing could be kept now
    key = (*READ, disk_key(runs_key(store, [newest["id"]]), state))
    if DiskMemo(paths.results_cache_dir(file)).path(key).exists():
        return None
    return str(newest["id"])


def start(store: Store | None = None) -> subprocess.Popen[bytes] | None:
    """Start the keeper of the run Results opens on when :func:`to_keep` names one; else None.

    Its one line goes to this process's console (``make app`` shows it); a keeper that fails only
    leaves the server to compute the run itself. Without ``store``, the app's database, looked at only
    when it is an SQLite file that exists: no PostgreSQL server is reached, no file created, at start.
    """
    if store is None:
        where = location(paths.default_db_path())
        if not isinstance(where, Path) or not where.exists():
            return None
        store = Store(where)
    run_id = to_keep(store)
    if run_id is None:
        return None
    command = [sys.executable, "-m", "bench.report.results_keeper", run_id]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, cwd=paths.REPO_ROOT)


def main(argv: list[str] | None = None) -> int:
    """Keep ``RUN_ID``'s first view. The kept folder's lock is held from the start until the results
    layer is kept, so a page that asks while this process still imports pandas and Altair waits for it
    instead of computing it too; each chart after that is locked on its own, so the page reads each one
    as soon as it is kept."""
    (run_id,) = sys.argv[1:] if argv is None else argv
    started = time.perf_counter()
    store = Store()
    with DiskMemo(paths.results_cache_dir(store.location)).computing():
        from bench.report import results_memo

        read = results_memo.keep_read(store, [run_id], wait_s=0.0)
    if read is not None:
        results_memo.keep_charts(store, read)
    word = "kept" if read is not None else "not kept"
    print(f"  Results of run {run_id} {word} by a process of its own in {time.perf_counter() - started:.1f} s",
          flush=True)  # fmt: skip
    return 0 if read is not None else 1


if __name__ == "__main__":
    sys.exit(main())
