"""Memory: a run after a Race (model left loaded) reports what a run in a fresh process reports.

Both sides run in their own real subprocess on the tiny model in Foundry Local (in-process), so
neither inherits this test session's memory. Without the fixes the Race's model sat in the
baseline and the run after it came out at a fraction of the fresh figure.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SCRIPT = """
import json, sys
from bench.run import race as races
from bench.backends import backend_for, loaded_models
from bench.inputs.config import RunSettings, prompt_set_from_data
from bench.results import memory_of
from bench.run.runner import run_benchmark
from bench.store.store import Store

tiny, db, mode = sys.argv[1:4]
if mode == "race":
    lanes = races.race(lambda _m: backend_for(), [tiny], "Say hello.", max_tokens=16)
    assert lanes[tiny].ok and loaded_models(), "the race should leave its model loaded"
store = Store(db)
settings = RunSettings(models=[tiny], rounds=2, warmup=1, max_tokens=16)
run_id, status = run_benchmark(store, settings, prompt_set_from_data(["Say hello.", "Name a color."], "t"))
row = store.run_models(run_id)[0]
memory = memory_of(row)
print(json.dumps({"status": status, "bytes": memory.bytes, "comparable": memory.comparable,
                  "note": memory.note, "left_loaded": [m for _, m in loaded_models()]}))
"""


def _measure(tiny: str, db: Path, mode: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, tiny, str(db), mode],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_memory_after_a_race_matches_a_fresh_process(default_model: str, tmp_path: Path):
    fresh = _measure(default_model, tmp_path / "fresh.db", "fresh")
    after_race = _measure(default_model, tmp_path / "race.db", "race")
    assert fresh["status"] == after_race["status"] == "completed"
    assert fresh["comparable"] and after_race["comparable"]
    assert fresh["bytes"] > 0 and after_race["bytes"] > 0
    assert abs(after_race["bytes"] - fresh["bytes"]) <= 0.10 * fresh["bytes"], (fresh, after_race)
    assert after_race["left_loaded"] == []  # the run unloaded what it loaded
