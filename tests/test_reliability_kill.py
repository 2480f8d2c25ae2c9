"""SIGKILL of ``bench run`` at random points, 20 times: nothing finished is lost, resume completes.

``bench run`` is a real subprocess against ``tests/fault_server.py`` (a real HTTP server on
127.0.0.1, standing in for a model server so each request takes a known ~0.1 s). Each trial kills
the run at a random moment (seeded), then checks the SQLite file, resumes the run through the
CLI (in this process: the process boundary is the kill's subject, not the resume's) and checks that it
holds exactly one ok sample per (model, prompt, round).

The run's last request stalls until the kill (the server holds it), so a kill is mid-run however late
this process gets to it: the wait picks at most the 7th of 9 samples, and a loaded machine can see
that count late and sleep long, which with ~0.1 s requests let the run finish first.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

from bench.store.store import Store
from tests.cli_inprocess import cli
from tests.fault_server import MODEL, FaultConfig, FaultServer

REPO = Path(__file__).resolve().parent.parent
TRIALS = 24  # at least 20 of them must land mid-run
PROMPTS = '["One.", "Two.", "Three."]'
ROUNDS, WARMUP = 2, 1


def _bench(args: list[str], db: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "SLM_BENCH_DB": str(db)}
    return subprocess.Popen(
        [sys.executable, "-m", "bench", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _snapshot(db: Path) -> dict[tuple[str, str, int], tuple[str, str]]:
    """(model, prompt, round) -> (outcome, started_at) of every stored sample."""
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT model, prompt_id, round, outcome, started_at FROM samples").fetchall()
    return {(m, p, r): (o, s) for m, p, r, o, s in rows}


def _wait_for_samples(db: Path, proc: subprocess.Popen[str], n: int) -> None:
    """Until the run has stored ``n`` samples (the kill point is random, but always mid-run)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with sqlite3.connect(db, timeout=5) as conn:
                runs = conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
                if runs and conn.execute("SELECT COUNT(*) FROM samples").fetchone()[0] >= n:
                    return
        except sqlite3.OperationalError:
            pass  # the run is writing: look again
        time.sleep(0.01)


def test_sigkill_at_random_points_then_resume(tmp_path: Path):
    rng = random.Random(8)
    prompts = tmp_path / "prompts.json"
    prompts.write_text(PROMPTS, encoding="utf-8")
    expected = {(MODEL, f"p{i}", r) for i in (1, 2, 3) for r in range(-WARMUP, ROUNDS)}
    killed_mid_run, kept = 0, []
    for trial in range(TRIALS):
        # every request ok but the run's last, which stalls (30 s) until the kill; a server per trial,
        # so a killed run's request the server reads late cannot take the next trial's plan
        plan = deque(["ok"] * (len(expected) - 1) + ["stall"])
        with FaultServer(FaultConfig(gap_s=0.02, plan=plan)) as server:
            db = tmp_path / f"trial{trial}.db"
            Store(db)  # migrate first, so the kill lands in the run and not in schema creation
            args = ["run", "--endpoint", server.url, "--models", MODEL, "--prompts", str(prompts)]
            proc = _bench([*args, "--rounds", str(ROUNDS), "--warmup", str(WARMUP)], db)
            _wait_for_samples(db, proc, rng.randint(0, len(expected) - 2))
            time.sleep(rng.uniform(0.0, 0.1))  # somewhere inside the next request (~0.1 s each)
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
            server.config.plan.clear()  # the resume's requests all answer
            store = Store(db)
            runs = store.list_runs()
            if not runs:
                continue  # killed before the run was created: nothing to lose
            (run,) = runs
            before = _snapshot(db)
            if run["status"] == "completed":
                assert set(before) == expected
                continue
            killed_mid_run += 1
            kept.append(sum(outcome == "ok" for outcome, _ in before.values()))
            assert run["status"] == "interrupted"  # its process is dead: resumable
            resumed = cli(
                "run", "--resume", run["id"], "--db", str(db)
            )  # in-process: the kill was the subject
            assert resumed.returncode == 0, resumed.stderr
            after = _snapshot(db)
            assert set(after) == expected  # exactly one sample per step (the key is UNIQUE)
            assert all(outcome == "ok" for outcome, _ in after.values())
            for key, (outcome, started) in before.items():  # nothing finished before the kill was lost
                if outcome == "ok":
                    assert after[key] == (outcome, started)
            assert Store(db).get_run(run["id"])["status"] == "completed"
    assert killed_mid_run >= 20, f"only {killed_mid_run} kills landed mid-run"
    print(f"{TRIALS} kills, {killed_mid_run} mid-run; ok samples kept at the kill: {kept}")
