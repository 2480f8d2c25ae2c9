"""The store on SQLite and on a real PostgreSQL server (started by the fixture): same schema,
same behaviour; many writers lose nothing; a server restart mid-run leaves a resumable run."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.store.store import _MIGRATIONS, Store
from tests.pg_server import PgServer

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pg() -> Iterator[PgServer]:
    server = PgServer()
    server.start()
    yield server
    server.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "bench.db")
    return request.getfixturevalue("pg").new_db()


def _sample(run_id: str, prompt_id: str, rnd: int, model: str = "m") -> dict:
    return {
        "run_id": run_id, "model": model, "prompt_id": prompt_id, "round": rnd, "warmup": rnd < 0,
        "cold": False, "ok": True, "error": None, "stream": True, "transport": "in-process",
        "started_at": "2026-01-01T00:00:00Z", "metrics": {"e2e_s": 0.5, "energy_j": None}, "answer": "hi",
        "reasoning": "", "server_timings": {"predicted_n": 3},
    }  # fmt: skip


def test_db_url_does_not_create_a_folder_named_postgresql(tmp_path: Path):
    """Seen: `--db postgresql://...` made a folder `postgresql:` with a SQLite file in it."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-m", "bench", "runs", "--db", "postgresql://nobody@127.0.0.1:1/x"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert not (tmp_path / "postgresql:").exists()
    assert done.returncode == 2, done.stdout + done.stderr
    assert "postgresql://nobody@127.0.0.1:1/x" in done.stderr and "unreachable" in done.stderr
    assert "Traceback" not in done.stderr


def test_same_schema_versions_on_both(location: str):
    store = Store(location)
    Store(location)  # opening again runs no migration twice
    with store.connect() as conn:
        versions = [
            r[0] for r in conn.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
        ]
    assert versions == sorted(_MIGRATIONS)


def test_runs_models_samples_round_trip(location: str):
    store = Store(location)
    run_id = store.create_run({"models": ["m"]}, {"prompts": []}, {"hardware": {}}, label="team")
    store.upsert_run_model(run_id, "m", backend="http", size_bytes=5 * 2**30, load_seconds=1.234567891)
    store.upsert_run_model(run_id, "m", status="done")
    store.add_sample(_sample(run_id, "p1", -1))
    store.add_sample(_sample(run_id, "p1", 0))
    store.add_sample(_sample(run_id, "p1", 0))  # a retried step replaces, never duplicates
    got = store.samples([run_id])
    assert [s["round"] for s in got] == [-1, 0]
    assert got[0]["warmup"] is True and got[1]["server_timings"] == {"predicted_n": 3}
    assert got[1]["metrics"] == {"e2e_s": 0.5, "energy_j": None}
    assert store.done_keys(run_id) == {("m", "p1", -1), ("m", "p1", 0)}
    (model,) = store.run_models(run_id)
    assert model["size_bytes"] == 5 * 2**30 and model["status"] == "done"  # 64-bit, not int4
    assert model["load_seconds"] == 1.234567891  # double precision, not float4
    runs = store.list_runs()
    assert runs[0]["id"] == run_id and runs[0]["n_samples"] == 2 and runs[0]["label"] == "team"
    store.set_run_status(run_id, "completed")
    assert store.get_run(run_id)["status"] == "completed"


def test_two_annotators_on_two_machines_never_overwrite_each_other(location: str):
    from rubrics import storage

    first, second = Store(location), Store(location)  # two app processes on two machines
    run_id = first.create_run({"models": ["m"]}, {"prompts": []}, {})
    first.add_sample(_sample(run_id, "p1", 0))
    storage.upsert_annotations(first, (run_id, "p1", "m", "ann"), {"correctness": 4, "tone": 3}, "ok")
    storage.upsert_annotations(second, (run_id, "p1", "m", "bob"), {"correctness": 2}, "")
    storage.upsert_annotations(first, (run_id, "p1", "m", "ann"), {"correctness": 5}, "changed")
    mine = sorted(
        (a["aspect"], a["score"], a["comment"]) for a in storage.annotations_of(second, run_id, "p1", "ann")
    )
    assert mine == [("correctness", 5, "changed"), ("tone", 3, "ok")]
    assert [a["score"] for a in storage.annotations_of(first, run_id, "p1", "bob")] == [2]
    assert len(storage.annotation_records(first, [run_id])) == 3


def test_judgments_upsert_and_missing_scores(location: str):
    from rubrics import storage

    store = Store(location)
    run_id = store.create_run({}, {}, {})
    key = (run_id, "m", "p1", "correctness", "judge-x")
    storage.upsert_judgment(store, key, None, "", "garbage", 1)
    assert storage.judgment_records(store, [run_id])[0]["score"] is None
    storage.upsert_judgment(store, key, 4, "fine", "4", 2)
    assert storage.judged_keys(store, run_id, "judge-x") == {("m", "p1", "correctness")}
    (row,) = storage.judgment_records(store, [run_id])
    assert (row["score"], row["attempts"]) == (4, 2)


def _writer(location: str, n_runs: int) -> list[str]:
    code = (
        "import sys; from bench.store.store import Store; s = Store(sys.argv[1]); ids = []\n"
        "for i in range(int(sys.argv[2])):\n"
        "    r = s.create_run({'models': ['m']}, {}, {}); ids.append(r)\n"
        "    for p in range(5):\n"
        "        s.add_sample({'run_id': r, 'model': 'm', 'prompt_id': f'p{p}', 'round': 0, 'warmup': False,"
        " 'cold': False, 'ok': True, 'error': None, 'stream': True, 'transport': 'http',"
        " 'started_at': 'x', 'metrics': {}, 'answer': 'a', 'reasoning': '', 'server_timings': None})\n"
        "print(' '.join(ids))\n"
    )
    return [sys.executable, "-c", code, location, str(n_runs)]


def test_four_processes_writing_at_once_lose_nothing(location: str):
    Store(location)  # nothing migrated yet would also be fine; this checks writes, see below
    procs = [
        subprocess.Popen(
            _writer(location, 6), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    ids = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        ids += out.split()
    store = Store(location)
    assert len(set(ids)) == 24
    assert len(store.samples(ids)) == 24 * 5


def test_four_processes_migrating_a_fresh_database_at_once(pg: PgServer):
    location = pg.new_db()
    procs = [subprocess.Popen(_writer(location, 1), cwd=REPO, stderr=subprocess.PIPE, text=True,
                              stdout=subprocess.PIPE) for _ in range(4)]  # fmt: skip
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with Store(location).connect() as conn:
        assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == len(_MIGRATIONS)


def test_server_restart_mid_run_is_a_clear_error_then_resumable(pg: PgServer):
    location = pg.new_db()
    store = Store(location)
    run_id = store.create_run({"models": ["m"]}, {}, {})
    store.add_sample(_sample(run_id, "p1", 0))
    pg.stop()
    try:
        with pytest.raises(BenchError) as info:
            store.add_sample(_sample(run_id, "p2", 0))
        assert "unreachable" in info.value.what and "--resume" in info.value.fix
        assert info.value.subject.startswith("postgresql://bench@127.0.0.1")
    finally:
        pg.start()
    store.add_sample(_sample(run_id, "p2", 0))  # the same Store works again: no stale pool
    assert store.done_keys(run_id) == {("m", "p1", 0), ("m", "p2", 0)}


def test_url_from_environment_and_password_is_never_shown(pg: PgServer, monkeypatch: pytest.MonkeyPatch):
    from bench.store import db

    url = pg.new_db()
    monkeypatch.setenv("SLM_BENCH_DB", url)
    store = Store()
    assert store.path == url and store.get_run("nope") is None
    secret = db.display("postgresql://ann:s3cret@db.example:5432/bench")
    assert "s3cret" not in secret and secret == "postgresql://ann:***@db.example:5432/bench"
    assert (
        db.location("postgresql:/ann@db.example/bench") == "postgresql://ann@db.example/bench"
    )  # Path-mangled
    with pytest.raises(BenchError, match="mysql"):
        db.location("mysql://x@y/z")


def test_cli_lists_runs_of_a_team_store(pg: PgServer, tmp_path: Path):
    url = pg.new_db()
    run_id = Store(url).create_run({"models": ["smollm2"]}, {}, {}, label="from the edge box")
    env = dict(os.environ, PYTHONPATH=str(REPO), COLUMNS="200")
    done = subprocess.run([sys.executable, "-m", "bench", "runs", "--db", url], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert run_id in done.stdout and "from the edge box" in done.stdout
    assert not any(tmp_path.iterdir())  # nothing written locally


def test_a_run_whose_team_store_restarts_stops_clearly_and_resumes(pg: PgServer):
    from bench.inputs.config import PromptItem, PromptSet, RunSettings
    from bench.run.runner import resume_run, run_benchmark
    from benchmarks.stub_openai import StubServer

    location = pg.new_db()
    store = Store(location)
    prompts = PromptSet(prompts=[PromptItem(id="a", prompt="Hi."), PromptItem(id="b", prompt="Bye.")])
    seen: list[str] = []

    def progress(p):  # the server goes away after the third stored sample
        if p.event == "sample":
            seen.append(p.run_id)
            if len(seen) == 3:
                pg.stop()

    with StubServer(tokens=4) as url:
        settings = RunSettings(models=["stub"], rounds=3, warmup=0, endpoint=url, retries=0)
        try:
            with pytest.raises(BenchError) as info:
                run_benchmark(store, settings, prompts, progress=progress)
        finally:
            pg.start()
        assert "unreachable" in info.value.what and "--resume" in info.value.fix
        run_id = seen[0]
        assert len(store.samples([run_id])) == 3  # what was stored before the restart is kept
        assert resume_run(store, run_id) == "completed"
    assert sorted((s["prompt_id"], s["round"]) for s in store.samples([run_id])) == [
        ("a", 0), ("a", 1), ("a", 2), ("b", 0), ("b", 1), ("b", 2)
    ]  # fmt: skip


def test_a_run_in_progress_on_another_machine_is_not_called_interrupted(pg: PgServer):
    from bench.measure import provenance

    store = Store(pg.new_db())
    meta = provenance.run_meta()
    elsewhere = dict(meta, machine=dict(meta["machine"], hostname="edge-box-7"))
    mine = store.create_run({}, {}, meta)
    theirs = store.create_run({}, {}, elsewhere)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    for run_id in (mine, theirs):
        store.set_run_status(run_id, "running", pid=int(dead.stdout))  # a pid not alive *here*
    assert store.get_run(mine)["status"] == "interrupted"
    assert store.get_run(theirs)["status"] == "running"  # that pid lives on edge-box-7, not here


def _portable_store_tests() -> list:
    """Every test of tests/test_store.py that takes only ``db_path`` and does not open the file
    with sqlite3 itself: the same suite, run again on PostgreSQL."""
    import inspect

    from tests import test_store as suite

    found = []
    for name, fn in sorted(vars(suite).items()):
        if not name.startswith("test_") or not callable(fn):
            continue
        if list(inspect.signature(fn).parameters) != ["db_path"] or "sqlite3." in inspect.getsource(fn):
            continue  # a SQLite-only check (WAL, an old SQLite file migrating)
        found.append(fn)
    return found


@pytest.mark.parametrize("test", _portable_store_tests(), ids=lambda fn: fn.__name__)
def test_the_store_suite_on_postgresql(test, pg: PgServer):
    test(pg.new_db())


def test_decisions_and_check_verdicts_live_in_the_team_store_too(location: str):
    from bench.decide import decision_log
    from bench.quality.checks import store as checks_store

    store = Store(location)
    run_id = store.create_run({}, {}, {})
    saved = decision_log.save(store, [run_id], {"quality": 0.5}, ["p95=1.5s"], {"recommended": "m"})
    got = decision_log.latest(store, [run_id])
    assert (
        got is not None
        and got.id == saved
        and got.limits == ["p95=1.5s"]
        and got.result == {"recommended": "m"}
    )
    verdict = checks_store.CheckResult(run_id, "m", "p1", 0, 0, "contains", True, "found")
    assert checks_store.save(store, [verdict, verdict]) == 2  # the same verdict twice is one row
    frame = checks_store.frame(store, [run_id])
    assert len(frame) == 1 and bool(frame["passed"][0]) is True
