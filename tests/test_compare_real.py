"""End to end: two real runs of the tiny model in Foundry Local, compared through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.inputs.config import RunSettings, load_prompt_set
from bench.run.runner import run_benchmark
from bench.store.store import Store

REPO = Path(__file__).resolve().parent.parent


def test_compare_two_real_runs(tiny_model: str, db_path: Path, prompt_file: Path) -> None:
    store = Store(db_path)
    settings = RunSettings(models=[tiny_model], rounds=3, warmup=1, max_tokens=8)
    base, _ = run_benchmark(store, settings, load_prompt_set(prompt_file))
    new, _ = run_benchmark(store, settings, load_prompt_set(prompt_file))
    result = subprocess.run(
        [sys.executable, "-m", "bench", "compare", base, new, "--format", "json", "--db", str(db_path),
         "--fail-on", "e2e_p95:1000"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr  # nothing is 10x worse between two identical runs
    data = json.loads(result.stdout)
    assert data["only_in_base"] == [] and data["only_in_new"] == []
    rows = {c["metric"]: c for c in data["changes"] if c["model"] == tiny_model}
    assert {"decode_tps", "ttft", "e2e_p50", "e2e_p95", "memory", "load_s"} <= set(rows)
    e2e = rows["e2e_p50"]
    assert e2e["n_base"] == e2e["n_new"] == 6  # 2 prompts x 3 rounds (the cold request was the warm-up)
    assert e2e["low"] <= e2e["pct"] <= e2e["high"]
    assert e2e["verdict"] in ("better", "worse", "no detectable change")
    assert rows["load_s"]["verdict"] == "one value each: no interval"
