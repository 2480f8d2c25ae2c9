"""The SQLite store on a real file: schema, WAL, upserts, interrupted-run detection."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from bench.store.store import _MIGRATIONS, Store


def _sample(run_id: str, prompt_id: str, rnd: int) -> dict:
    return {
        "run_id": run_id, "model": "m", "prompt_id": prompt_id, "round": rnd, "warmup": rnd < 0,
        "cold": False, "ok": True, "error": None, "stream": True, "transport": "in-process",
        "started_at": "2026-01-01T00:00:00Z", "metrics": {"e2e_s": 0.5}, "answer": "hi",
        "reasoning": "", "server_timings": {"predicted_n": 3},
    }  # fmt: skip


def test_schema_is_versioned_and_wal(db_path: Path):
    Store(db_path)
    Store(db_path)  # re-opening does not re-run migrations
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    versions = [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")]
    assert versions == sorted(_MIGRATIONS)  # each migration applied once


def test_samples_round_trip_and_done_keys(db_path: Path):
    store = Store(db_path)
    run_id = store.create_run({"models": ["m"]}, {"prompts": []}, {"hardware": {}})
    store.add_sample(_sample(run_id, "p1", -1))
    store.add_sample(_sample(run_id, "p1", 0))
    got = store.samples([run_id])
    assert [s["round"] for s in got] == [-1, 0]
    assert got[0]["warmup"] is True and got[1]["server_timings"] == {"predicted_n": 3}
    assert store.done_keys(run_id) == {("m", "p1", -1), ("m", "p1", 0)}
    # a second process sees the committed rows at once
    code = f"from bench.store.store import Store; print(len(Store({str(db_path)!r}).samples([{run_id!r}])))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "2"


def test_run_of_a_dead_process_reads_as_interrupted(db_path: Path):
    store = Store(db_path)
    run_id = store.create_run({}, {}, {})
    assert store.get_run(run_id)["status"] == "running"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    store.set_run_status(run_id, "running", pid=int(dead.stdout))
    assert store.get_run(run_id)["status"] == "interrupted"


def test_a_v1_database_migrates_in_place_to_sample_outcomes(db_path: Path):
    """A database written by schema v1 (ok 0/1 only) gains outcome, tries and memory basis columns."""
    from bench.store.store import _MIGRATIONS

    conn = sqlite3.connect(db_path)
    conn.executescript(_MIGRATIONS[1])
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (1)")
    conn.execute("INSERT INTO runs VALUES ('r1', 't', 't', 'completed', '', NULL, NULL, '{}', '{}', '{}')")
    for prompt, ok in (("p1", 1), ("p2", 0)):
        conn.execute(
            "INSERT INTO samples (run_id, model, prompt_id, round, warmup, cold, ok, error, stream, transport,"
            " started_at, metrics_json) VALUES ('r1', 'm', ?, 0, 0, 0, ?, NULL, 1, 'http', 't', '{}')",
            (prompt, ok),
        )
    conn.commit()
    conn.close()
    store = Store(db_path)
    got = {s["prompt_id"]: s for s in store.samples(["r1"])}
    assert got["p1"]["outcome"] == "ok" and got["p2"]["outcome"] == "failed"
    assert got["p1"]["attempts"] == 1 and got["p1"]["retry_log"] == []
    assert store.done_keys("r1") == {("m", "p1", 0)}  # resume retries the failed one
    store.upsert_run_model("r1", "m", memory_comparable=0, memory_note="remote")
    assert store.run_models("r1")[0]["memory_note"] == "remote"


def test_a_session_keeps_one_connection_and_commits_every_operation(db_path: Path, monkeypatch):
    """Inside ``session`` a thread reuses one connection; each write is still committed when it
    returns (a second process sees it), a failed one is rolled back and the session goes on, and
    another thread keeps opening its own."""
    import threading

    store = Store(db_path)
    real, opened = sqlite3.connect, []
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: opened.append(a[0]) or real(*a, **k))
    code = "from bench.store.store import Store; import sys; print(len(Store(sys.argv[1]).samples([sys.argv[2]])))"
    with store.session():
        run_id = store.create_run({"models": ["m"]}, {"prompts": []}, {"hardware": {}})
        with store.session():  # re-entrant: the inner one is the same connection
            store.add_sample(_sample(run_id, "p1", 0))
        out = subprocess.run(
            [sys.executable, "-c", code, str(db_path), run_id], capture_output=True, text=True
        )
        assert out.stdout.strip() == "1", out.stderr[-500:]
        try:
            with store.connect() as conn:
                conn.execute("UPDATE runs SET label = 'half-done' WHERE id = ?", (run_id,))
                raise RuntimeError("a failure mid-transaction")
        except RuntimeError:
            pass
        assert store.get_run(run_id)["label"] == ""  # rolled back; the session still works
        elsewhere: list[int] = []
        worker = threading.Thread(target=lambda: elsewhere.append(len(store.samples([run_id]))))
        worker.start()
        worker.join()
        assert elsewhere == [1]
        assert len(opened) == 2  # this thread's session, the other thread's own
    store.add_sample(_sample(run_id, "p1", 1))  # after the session: a connection per operation again
    assert len(opened) == 3
    assert [s["round"] for s in store.samples([run_id])] == [0, 1]
