"""Reports and the app agree: every Markdown row names its run when there are several, and rounds
are numbered the same in ``samples.csv`` as on the Results page (round 1 = the first measured one).

Seen: the report listed "smollm2-135m" twice while its recommendation named "smollm2-135m ·
135944-cbcc"; the CSV said round 0 where the app said round 1.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bench.inputs.config import PromptSet, RunSettings
from bench.report import exports as report
from bench.results import run_short
from bench.run.runner import run_benchmark
from bench.store.store import Store

PROMPTS = {
    "name": "report-test",
    "prompts": [{"id": "a", "prompt": "Say hi."}, {"id": "b", "prompt": "Bye."}],
}


def test_two_runs_of_one_model_are_told_apart_and_rounds_match(tmp_path: Path, tiny_model: str) -> None:
    store = Store(tmp_path / "bench.db")
    ids = [
        run_benchmark(
            store,
            RunSettings(models=[tiny_model], rounds=2, warmup=1, max_tokens=4),
            PromptSet.model_validate(PROMPTS),
        )[0]
        for _ in range(2)
    ]
    text = report.render_markdown(store, ids)
    rows = [line for line in text.splitlines() if line.startswith(f"| {tiny_model}")]
    assert rows, text
    for line in rows:
        assert any(f"{tiny_model} · {run_short(r)}" in line for r in ids), line

    samples = list(csv.DictReader(io.StringIO(report.samples_csv(store, [ids[0]]))))
    measured = sorted(int(s["round"]) for s in samples if s["warmup"] == "False")
    warmup = sorted(int(s["round"]) for s in samples if s["warmup"] == "True")
    assert measured == [1, 1, 2, 2] and warmup == [1, 1]  # 2 prompts × (2 rounds + 1 warm-up)
