"""SQLite store: runs, per-model status, samples, annotations and judgments.

One file, WAL journal, versioned schema. Every sample is committed the moment it ends (one short
transaction), so killing the process loses at most the request in flight; annotations are upserts
keyed by (run, model, prompt, aspect, annotator), so two annotators never overwrite each other.
Connections are opened per operation: SQLite handles that cheaply and it keeps the store safe to
share between Streamlit's script threads and the runner's worker thread.
"""

from __future__ import annotations

import json
import socket
import sqlite3
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

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        status TEXT NOT NULL,           -- running | completed | failed | cancelled | interrupted
        label TEXT NOT NULL DEFAULT '',
        error TEXT,
        pid INTEGER,                    -- the process running it (a dead pid + 'running' = interrupted)
        settings_json TEXT NOT NULL,    -- RunSettings
        prompts_json TEXT NOT NULL,     -- the PromptSet as run (resume reuses it)
        meta_json TEXT NOT NULL         -- git commit, package versions, hardware, transport
    );
    CREATE TABLE run_models (
        run_id TEXT NOT NULL REFERENCES runs(id),
        model TEXT NOT NULL,
        backend TEXT NOT NULL DEFAULT '',
        transport TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'pending',  -- pending | loading | running | done | failed
        error TEXT,
        model_id TEXT,
        load_seconds REAL,
        size_bytes INTEGER,
        execution_provider TEXT,
        peak_rss_bytes INTEGER,
        baseline_rss_bytes INTEGER,     -- before the model was loaded: peak - baseline = model's share
        rss_source TEXT,
        PRIMARY KEY (run_id, model)
    );
    CREATE TABLE samples (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL REFERENCES runs(id),
        model TEXT NOT NULL,
        prompt_id TEXT NOT NULL,
        round INTEGER NOT NULL,         -- warm-up rounds are negative: -W..-1
        warmup INTEGER NOT NULL,
        cold INTEGER NOT NULL,          -- first request after the model was loaded
        ok INTEGER NOT NULL,
        error TEXT,
        stream INTEGER NOT NULL,
        transport TEXT NOT NULL,
        started_at TEXT NOT NULL,
        metrics_json TEXT NOT NULL,     -- bench.measure.request_metrics.RequestMetrics
        answer TEXT NOT NULL DEFAULT '',
        reasoning TEXT NOT NULL DEFAULT '',
        server_timings_json TEXT,
        UNIQUE (run_id, model, prompt_id, round)
    );
    CREATE TABLE annotations (
        run_id TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt_id TEXT NOT NULL,
        aspect TEXT NOT NULL,
        annotator TEXT NOT NULL,
        score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
        comment TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, model, prompt_id, aspect, annotator)
    );
    CREATE TABLE judgments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt_id TEXT NOT NULL,
        aspect TEXT NOT NULL,
        judge TEXT NOT NULL,            -- judge model name (and backend)
        score INTEGER CHECK (score IS NULL OR score BETWEEN 1 AND 5),  -- NULL = missing
        rationale TEXT NOT NULL DEFAULT '',
        raw TEXT NOT NULL DEFAULT '',
        attempts INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        UNIQUE (run_id, model, prompt_id, aspect, judge)
    );
    CREATE TABLE pairwise_judgments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL,
        prompt_id TEXT NOT NULL,
        model_a TEXT NOT NULL,
        model_b TEXT NOT NULL,
        judge TEXT NOT NULL,
        verdict_ab TEXT,                -- 'A' | 'B' | 'tie' | NULL (missing), answers shown A then B
        verdict_ba TEXT,                -- the same pair shown in swapped order, mapped back to A/B
        final TEXT,                     -- 'A' | 'B' | 'tie' (a flip counts as a tie) | NULL
        raw_ab TEXT NOT NULL DEFAULT '',
        raw_ba TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        UNIQUE (run_id, prompt_id, model_a, model_b, judge)
    );
    CREATE INDEX samples_run ON samples(run_id);
    """,
    # v2 (sample outcomes, bench/measure/samples.py): every request ends ok | failed | incomplete |
    # cancelled, with the HTTP status, the tries and their log. Old rows: ok=1 is 'ok', else
    # 'failed'. run_models gain the memory basis (comparable or not, and why) and GPU memory.
    2: """
    ALTER TABLE samples ADD COLUMN outcome TEXT NOT NULL DEFAULT 'ok';
    UPDATE samples SET outcome = CASE WHEN ok = 1 THEN 'ok' ELSE 'failed' END;
    ALTER TABLE samples ADD COLUMN http_status INTEGER;
    ALTER TABLE samples ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE samples ADD COLUMN retry_log TEXT;
    ALTER TABLE run_models ADD COLUMN memory_comparable INTEGER;
    ALTER TABLE run_models ADD COLUMN memory_note TEXT;
    ALTER TABLE run_models ADD COLUMN gpu_baseline_bytes INTEGER;
    ALTER TABLE run_models ADD COLUMN gpu_peak_bytes INTEGER;
    ALTER TABLE run_models ADD COLUMN gpu_source TEXT
    """,
    # v3 (rubric storage, rubrics/storage.py): pairwise_judgments gets a real aspect column (v1
    # packed it into judge as "model|aspect": split at the last "|" with functions SQLite and
    # PostgreSQL share) and people's blind pairwise votes get a table. judgments gain samples (k
    # judgments asked per item, the median kept as score) and spread (max - min of their scores):
    # no SQL comments on ALTER lines, SQLite pastes them into the table's CREATE text.
    3: """
    CREATE TABLE pairwise_judgments_v3 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL,
        prompt_id TEXT NOT NULL,
        model_a TEXT NOT NULL,
        model_b TEXT NOT NULL,
        judge TEXT NOT NULL,            -- judge model name
        aspect TEXT NOT NULL DEFAULT 'overall',
        verdict_ab TEXT,
        verdict_ba TEXT,
        final TEXT,
        raw_ab TEXT NOT NULL DEFAULT '',
        raw_ba TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        UNIQUE (run_id, prompt_id, model_a, model_b, judge, aspect)
    );
    INSERT INTO pairwise_judgments_v3 (run_id, prompt_id, model_a, model_b, judge, aspect,
        verdict_ab, verdict_ba, final, raw_ab, raw_ba, created_at)
    SELECT run_id, prompt_id, model_a, model_b,
        CASE WHEN replace(judge, '|', '') <> judge
            THEN substr(rtrim(judge, replace(judge, '|', '')), 1,
                        length(rtrim(judge, replace(judge, '|', ''))) - 1)
            ELSE judge END,
        CASE WHEN replace(judge, '|', '') <> judge
            THEN replace(judge, rtrim(judge, replace(judge, '|', '')), '')
            ELSE 'overall' END,
        verdict_ab, verdict_ba, final, raw_ab, raw_ba, created_at
    FROM pairwise_judgments ORDER BY id;
    DROP TABLE pairwise_judgments;
    ALTER TABLE pairwise_judgments_v3 RENAME TO pairwise_judgments;
    CREATE TABLE votes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL,
        prompt_id TEXT NOT NULL,
        model_a TEXT NOT NULL,          -- model_a < model_b: the verdict is about them, not the sides
        model_b TEXT NOT NULL,
        aspect TEXT NOT NULL DEFAULT 'overall',
        annotator TEXT NOT NULL,
        verdict TEXT NOT NULL CHECK (verdict IN ('A', 'B', 'tie', 'skip')),
        left_model TEXT NOT NULL DEFAULT '',  -- shown on the left (for position-bias checks)
        created_at TEXT NOT NULL,
        UNIQUE (run_id, prompt_id, model_a, model_b, aspect, annotator)
    );
    CREATE INDEX votes_run ON votes(run_id);
    ALTER TABLE judgments ADD COLUMN samples INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE judgments ADD COLUMN spread INTEGER
    """,
    # v4 (task checks, bench/quality/checks/store.py): one verdict per sample and check; passed is 1, 0, or
    # NULL when the check was not run (code execution off, no sandbox), with the reason in detail.
    4: """
    CREATE TABLE check_results (
        run_id TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt_id TEXT NOT NULL,
        round INTEGER NOT NULL,
        check_index INTEGER NOT NULL,
        check_type TEXT NOT NULL,
        passed INTEGER,
        detail TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, model, prompt_id, round, check_index)
    );
    CREATE INDEX check_results_run ON check_results(run_id)
    """,
    # v5 (load and capacity, bench/load/run.py): every request of a load run keeps its level and
    # when it was scheduled and sent (the gap is the harness's own lag); every level keeps its
    # statistics and whether it met the SLOs. Comments stay outside the statements: SQLite copies
    # an ALTER's trailing comment into the table's schema text.
    5: """
    CREATE TABLE load_requests (
        run_id TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt_id TEXT NOT NULL,
        round INTEGER NOT NULL,
        level TEXT NOT NULL,
        level_kind TEXT NOT NULL,
        level_value REAL NOT NULL,
        scheduled_s REAL NOT NULL,
        sent_s REAL NOT NULL,
        PRIMARY KEY (run_id, model, prompt_id, round)
    );
    CREATE TABLE load_levels (
        run_id TEXT NOT NULL,
        model TEXT NOT NULL,
        level TEXT NOT NULL,
        level_kind TEXT NOT NULL,
        level_value REAL NOT NULL,
        position INTEGER NOT NULL,
        summary_json TEXT NOT NULL,
        PRIMARY KEY (run_id, model, level)
    );
    CREATE INDEX load_requests_run ON load_requests(run_id)
    """,
    # v6 (decisions, bench/decide/decision_log.py): a decision as it was taken, with its weights, limits
    # and outcome, so the reports print the limits it respected.
    6: """
    CREATE TABLE decisions (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        run_ids_json TEXT NOT NULL,
        criteria_json TEXT NOT NULL,
        limits_json TEXT NOT NULL,
        result_json TEXT NOT NULL
    )
    """,
}


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
        self._migrate()

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A short-lived connection; commits on success, rolls back on error (bench.db: SQLite or
        PostgreSQL, same SQL)."""
        with db.connect(self.location) as conn:
            yield conn

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
        """(model, prompt_id, round) of every ok sample: what resume skips (it retries the rest)."""
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT model, prompt_id, round FROM samples WHERE run_id = ? AND outcome = 'ok'",
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
