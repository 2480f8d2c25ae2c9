"""SQLite store: runs, per-model status, samples, annotations and judgments.

One file, WAL journal, versioned schema. Every sample is committed the moment it ends (one short
transaction), so killing the process loses at most the request in flight; annotations are upserts
keyed by (run, model, prompt, aspect, annotator), so two annotators never overwrite each other.
A connection is opened per operation, which keeps the store safe to share between Streamlit's
script threads and the runner's worker thread; inside :meth:`Store.session` the thread that
entered it reuses one connection instead (a run: one connection, not two per request).
"""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from bench import paths
from bench.measure.samples import OUTCOMES, Sample
from bench.store import db
from bench.store.migrations import MIGRATIONS as _MIGRATIONS


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def new_run_id() -> str:
    """Sortable and short: ``20261122-184653-3fa2``."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + uuid.uuid4().hex[:4]


class Store:
    """The database of one SLM Bench installation (``bench.db`` by default)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.location = db.location(path or paths.default_db_path())  # a file, or postgresql://
        self.path = self.location if isinstance(self.location, Path) else db.display(self.location)
        if isinstance(self.location, Path):
            self.location.parent.mkdir(parents=True, exist_ok=True)
        self._held = threading.local()  # the connection of a session, per thread
        self._migrate()

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """One transaction; commits on success, rolls back on error (bench.db: SQLite or PostgreSQL,
        same SQL). On a connection of its own, or the session's when this thread holds one."""
        held = getattr(self._held, "conn", None)
        if held is not None:
            with db.transaction(held) as conn:
                yield conn
            return
        with db.connect(self.location) as conn:
            yield conn

    @contextmanager
    def session(self) -> Iterator[Store]:
        """Every operation of this thread inside reuses one connection (each still its own
        transaction, committed when it ends). Re-entrant; other threads are not affected."""
        if getattr(self._held, "conn", None) is not None:
            yield self
            return
        self._held.conn = db.open_connection(self.location)
        try:
            yield self
        finally:
            conn, self._held.conn = self._held.conn, None
            db.close(conn)

    def _migrate(self) -> None:
        with self.connect() as conn:
            db.lock_for_migration(conn)
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            # every version not applied yet, not just those above the highest: versions are
            # assigned up front, so v5 can land in a database before v4 exists
            done = {r[0] for r in conn.execute("SELECT version FROM schema_version").fetchall()}
            for version in sorted(set(_MIGRATIONS) - done):
                for statement in _MIGRATIONS[version].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    # ---- runs -------------------------------------------------------------------------------
    def create_run(
        self,
        settings: dict[str, Any],
        prompts: dict[str, Any],
        meta: dict[str, Any],
        label: str = "",
    ) -> str:
        run_id = new_run_id()
        now = utc_now()
        with self.connect() as conn:
            conn.execute(
                "INSERT INTO runs (id, created_at, updated_at, status, label, settings_json,"
                " prompts_json, meta_json) VALUES (?, ?, ?, 'running', ?, ?, ?, ?)",
                (
                    run_id,
                    now,
                    now,
                    label,
                    _dumps(settings),
                    _dumps(prompts),
                    _dumps(meta),
                ),
            )
        return run_id

    def set_run_status(
        self, run_id: str, status: str, error: str | None = None, pid: int | None = None
    ) -> None:
        with self.connect() as conn:
            conn.execute(
                "UPDATE runs SET status = ?, error = ?, updated_at = ?, pid = COALESCE(?, pid) WHERE id = ?",
                (status, error, utc_now(), pid, run_id),
            )

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        with self.connect() as conn:
            row = conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return _run_dict(row) if row else None

    def list_runs(self, limit: int = 50) -> list[dict[str, Any]]:
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT r.*, (SELECT COUNT(*) FROM samples s WHERE s.run_id = r.id) AS n_samples"
                " FROM runs r ORDER BY created_at DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [_run_dict(row) for row in rows]

    # ---- models of a run ---------------------------------------------------------------------
    def upsert_run_model(self, run_id: str, model: str, **fields: Any) -> None:
        cols = ["run_id", "model", *fields]
        values = [run_id, model, *fields.values()]
        updates = ", ".join(f"{c} = excluded.{c}" for c in fields) or "model = excluded.model"
        with self.connect() as conn:
            conn.execute(
                f"INSERT INTO run_models ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
                f" ON CONFLICT (run_id, model) DO UPDATE SET {updates}",
                values,
            )

    def run_models(self, run_id: str) -> list[dict[str, Any]]:
        with self.connect() as conn:
            rows = conn.execute("SELECT * FROM run_models WHERE run_id = ?", (run_id,)).fetchall()
        return [dict(row) for row in rows]

    # ---- samples -----------------------------------------------------------------------------
    def add_sample(self, sample: Sample | dict[str, Any]) -> None:
        """Store one finished request; committed before this returns.

        A retried (model, prompt, round) replaces its earlier row in place (``ON CONFLICT``), so
        a resumed run never holds two samples of one step.
        """
        row = (sample if isinstance(sample, Sample) else Sample.from_dict(sample)).row()
        cols = list(row)
        keys = ("run_id", "model", "prompt_id", "round")
        updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in keys)
        with self.connect() as conn:
            conn.execute(
                f"INSERT INTO samples ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
                f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}",
                [row[c] for c in cols],
            )

    def samples(self, run_ids: Iterable[str]) -> list[dict[str, Any]]:
        ids = list(run_ids)
        if not ids:
            return []
        with self.connect() as conn:
            rows = conn.execute(
                f"SELECT * FROM samples WHERE run_id IN ({', '.join('?' * len(ids))}) ORDER BY id",
                ids,
            ).fetchall()
        return [_sample_dict(row) for row in rows]

    def done_keys(self, run_id: str) -> set[tuple[str, str, int]]:
        """(model, prompt_id, round) of every ok or refused sample: what resume skips (it retries the rest)."""
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT model, prompt_id, round FROM samples WHERE run_id = ? AND outcome IN ('ok', 'refused')",
                (run_id,),
            ).fetchall()
        return {(r[0], r[1], r[2]) for r in rows}

    def outcome_counts(self, run_id: str) -> dict[str, dict[str, int]]:
        """``{model: {outcome: n}}`` over the run's samples (warm-up included: every request counts)."""
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT model, outcome, COUNT(*) FROM samples WHERE run_id = ? GROUP BY model, outcome",
                (run_id,),
            ).fetchall()
        counts: dict[str, dict[str, int]] = {}
        for model, outcome, n in rows:
            counts.setdefault(model, {o: 0 for o in OUTCOMES})[outcome] = int(n)
        return counts


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _run_dict(row: sqlite3.Row) -> dict[str, Any]:
    data = dict(row)
    for key in ("settings", "prompts", "meta"):
        data[key] = json.loads(data.pop(f"{key}_json"))
    # a pid means something only on the machine that runs it (a team store serves many machines)
    host = (data["meta"].get("machine") or {}).get("hostname")
    here = host is None or host == socket.gethostname()
    if data["status"] == "running" and data.get("pid") and here and not psutil.pid_exists(data["pid"]):
        data["status"] = "interrupted"  # its process died (killed, crashed): resume it
    return data


def _sample_dict(row: sqlite3.Row) -> dict[str, Any]:
    data = dict(row)
    data["metrics"] = json.loads(data.pop("metrics_json"))
    raw = data.pop("server_timings_json")
    data["server_timings"] = json.loads(raw) if raw else None
    log = data.get("retry_log")
    data["retry_log"] = json.loads(log) if log else []
    for key in ("warmup", "cold", "ok", "stream"):
        data[key] = bool(data[key])
    return data
