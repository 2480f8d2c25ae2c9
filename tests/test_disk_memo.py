"""bench.disk_memo: what is kept across restarts is found again, and never once its inputs changed.

Real files and a real SQLite store throughout; file times are set with ``os.utime`` where a test
needs a database that has been quiet for a while (instead of sleeping).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.disk_memo import QUIET_S, DiskMemo, code_state, sqlite_state
from bench.store.store import Store
from tests.synthetic_runs import latencies, quiet, store_run


class Maker:
    """Counts how often the value had to be computed."""

    def __init__(self, value: object) -> None:
        self.value = value
        self.calls = 0

    def __call__(self) -> object:
        self.calls += 1
        return self.value


def test_a_value_is_computed_once_and_read_back_after_a_restart(tmp_path: Path) -> None:
    frame = pd.DataFrame({"series": ["a", "b"], "e2e_s": [0.5, 0.25]})
    make = Maker(frame)
    assert DiskMemo(tmp_path).get(("read", "run-1"), make).equals(frame)
    again = DiskMemo(tmp_path).get(("read", "run-1"), make)  # a new process: nothing in memory
    assert make.calls == 1
    assert again.equals(frame) and again is not frame


def test_another_key_or_other_code_is_computed_anew(tmp_path: Path) -> None:
    make = Maker([1, 2, 3])
    DiskMemo(tmp_path, code="v1").get(("spec", "distribution"), make)
    DiskMemo(tmp_path, code="v1").get(("spec", "percentiles"), make)
    DiskMemo(tmp_path, code="v2").get(("spec", "distribution"), make)  # a changed chart builder
    assert make.calls == 3


def test_an_unreadable_file_is_computed_again_and_replaced(tmp_path: Path) -> None:
    memo = DiskMemo(tmp_path)
    memo.path(("k",)).write_bytes(b"\x80\x05 cut short")
    make = Maker({"n": 10})
    assert memo.get(("k",), make) == {"n": 10}
    assert DiskMemo(tmp_path).get(("k",), make) == {"n": 10} and make.calls == 1


def test_a_folder_that_cannot_be_written_keeps_nothing_and_still_answers(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    memo = DiskMemo(blocker / "cache")
    make = Maker("value")
    assert memo.get(("k",), make) == "value" and memo.get(("k",), make) == "value"
    assert make.calls == 2
    assert blocker.read_text() == "not a folder"


def test_only_the_newest_files_are_kept(tmp_path: Path) -> None:
    memo = DiskMemo(tmp_path, keep=3)
    for i in range(5):
        memo.get((i,), Maker(i))
        stamp = time.time() - 100 + i  # distinct times, oldest first, whatever the clock's resolution
        os.utime(memo.path((i,)), (stamp, stamp))
    memo.get(("last",), Maker("last"))
    kept = sorted(p.name for p in tmp_path.glob("*.pkl"))
    assert kept == sorted(memo.path(k).name for k in [(3,), (4,), ("last",)])
    assert not list(tmp_path.glob("*.tmp"))


def test_the_kept_files_stay_under_their_byte_bound_newest_first(tmp_path: Path) -> None:
    memo = DiskMemo(tmp_path, max_bytes=5_000)
    for i in range(4):
        memo.get((i,), Maker(b"x" * 2_000))
        stamp = time.time() - 100 + i
        os.utime(memo.path((i,)), (stamp, stamp))
    memo.get(("last",), Maker(b"y" * 2_000))
    kept = {p.name for p in tmp_path.glob("*.pkl")}
    assert kept == {memo.path(k).name for k in [(3,), ("last",)]}
    assert sum(p.stat().st_size for p in tmp_path.glob("*.pkl")) <= 5_000


def test_reading_the_database_leaves_its_state_and_any_write_changes_it(tmp_path: Path) -> None:
    db = tmp_path / "bench.db"
    store = Store(db)
    run = store_run(store, {"m": latencies(np.random.default_rng(1), 0.4)})
    quiet(db)
    before = sqlite_state(db)
    assert before is not None
    Store(db).list_runs(10)  # what a restarted server does before it reads Results
    Store(db).samples([run])
    assert sqlite_state(db) == before
    store.set_run_status(run, "completed")  # a write that changes no row count
    assert sqlite_state(db) is None  # written moments ago: no state yet
    assert sqlite_state(db, quiet_s=-math.inf) != before  # the raw size and times moved


def test_a_database_written_moments_ago_has_no_state(tmp_path: Path) -> None:
    """Two writes in one tick of the file system's clock could leave the same size and time: nothing
    is kept or read until the database has been quiet for QUIET_S seconds."""
    db = tmp_path / "bench.db"
    store_run(Store(db), {"m": latencies(np.random.default_rng(2), 0.4)})
    quiet(db, seconds_ago=QUIET_S / 4)
    assert sqlite_state(db) is None
    quiet(db, seconds_ago=QUIET_S * 2)
    assert sqlite_state(db) is not None


def test_the_code_state_changes_with_any_source_file(tmp_path: Path) -> None:
    (tmp_path / "bench").mkdir()
    source = tmp_path / "bench" / "charts.py"
    source.write_text("SIZE = 1\n")
    first = code_state(tmp_path, ("bench",))
    source.write_text("SIZE = 2\n")
    code_state.cache_clear()
    assert code_state(tmp_path, ("bench",)) != first


def test_each_database_has_its_own_folder_in_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench import paths

    monkeypatch.setenv("SLM_BENCH_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    one, other = (
        paths.results_cache_dir(Path("a/bench.db")),
        paths.results_cache_dir(tmp_path / "b" / "bench.db"),
    )
    assert one != other
    assert one == paths.results_cache_dir(tmp_path / "a" / "bench.db")  # the same file, however it is named
    assert one.parent == other.parent == tmp_path / "home" / "results-cache"


# ---- one process computes, the others wait for it ------------------------------------------------
ASK = """
import sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from bench.disk_memo import DiskMemo
folder, log, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
memo = DiskMemo(folder, code="test")
folder.mkdir(parents=True, exist_ok=True)
if mode == "hold":  # take the lock and keep it until killed
    with memo.computing():
        (folder / "held").write_text("yes")
        time.sleep(600)
def make():
    with log.open("a") as out:
        out.write("made\\n")
    (folder / "making").write_text("yes")  # the other process is started only once this exists
    time.sleep(0.5)
    return {{"answer": 42}}
print(memo.get(("k",), make)["answer"])
"""


def _ask(tmp_path: Path, mode: str) -> subprocess.Popen[str]:
    script = tmp_path / "ask.py"
    script.write_text(ASK.format(root=str(Path(__file__).resolve().parent.parent)))
    folder, log = tmp_path / "kept", tmp_path / "made.log"
    return subprocess.Popen([sys.executable, str(script), str(folder), str(log), mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def _wait_for(file: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while not file.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{file.name} never appeared"
        time.sleep(0.02)


def test_a_value_another_process_is_computing_is_waited_for_not_computed_twice(tmp_path: Path) -> None:
    """Real processes, a real ``flock``: the second asks while the first is inside ``make`` (it is started
    only then), waits, and reads the first one's value back; ``make`` ran once."""
    first = _ask(tmp_path, "get")
    _wait_for(tmp_path / "kept" / "making", first)
    second = _ask(tmp_path, "get")
    outs = [proc.communicate(timeout=120) for proc in (first, second)]
    assert [(proc.returncode, out.strip()) for proc, (out, _) in zip((first, second), outs, strict=True)] == [
        (0, "42"),
        (0, "42"),
    ], outs
    assert (tmp_path / "made.log").read_text().count("made") == 1


def test_a_holder_that_dies_releases_the_lock(tmp_path: Path) -> None:
    """A process killed while it holds the lock (SIGKILL: no clean-up runs) keeps nobody waiting."""
    holder = _ask(tmp_path, "hold")
    _wait_for(tmp_path / "kept" / "held", holder)
    asker = _ask(tmp_path, "get")
    holder.kill()
    holder.wait()
    out, err = asker.communicate(timeout=120)
    assert asker.returncode == 0 and out.strip() == "42", err
    assert (tmp_path / "made.log").read_text().count("made") == 1
