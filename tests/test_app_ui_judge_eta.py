"""The judge's time estimate comes from the judge's own measured pace, not its benchmark speed.

Seen (issue 20): "about 26 s (at most 55 s)" from the benchmark decode speed; the run took 3 min 12 s
(a judge reads long prompts and writes a rationale). Judgments are stored with their time; here
they are written with known gaps (synthetic truth: 10 s per grading, one 2-hour pause), and the
estimate must say 10 s per request and leave the pause out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from streamlit.testing.v1 import AppTest

from bench.inputs.config import PromptSet, RunSettings
from bench.run.runner import run_benchmark
from bench.store.store import Store
from rubrics.judge_pace import MAX_GAP_S, measured_pace
from tests.app_support import APP, texts

PROMPTS = {
    "name": "eta-test",
    "prompts": [
        {"id": "capital", "prompt": "Capital of France?", "aspects": ["accuracy", "concision"]},
        {"id": "color", "prompt": "Name a color.", "aspects": ["instruction_following"]},
    ],
}
START = datetime(2026, 1, 1, tzinfo=UTC)


def _judgments(store: Store, run_id: str, judge: str, offsets_s: list[float], samples: int = 1) -> None:
    with store.connect() as conn:
        for i, offset in enumerate(offsets_s):
            at = (START + timedelta(seconds=offset)).isoformat(timespec="milliseconds")
            conn.execute(
                "INSERT INTO judgments (run_id, model, prompt_id, aspect, judge, score, rationale, raw, attempts,"
                " samples, created_at) VALUES (?, 'm', ?, 'accuracy', ?, 3, 'why', 'raw', 1, ?, ?)",
                (run_id, f"p{i}", judge, samples, at),
            )


def _run(store: Store, model: str) -> str:
    settings = RunSettings(models=[model], rounds=1, warmup=0, max_tokens=8)
    run_id, status = run_benchmark(store, settings, PromptSet.model_validate(PROMPTS))
    assert status == "completed"
    return run_id


def test_pace_is_the_median_gap_between_gradings_without_pauses(tmp_path: Path) -> None:
    store = Store(tmp_path / "bench.db")
    # 10 s gaps, then a pause longer than MAX_GAP_S, then 10 s gaps again; k=1
    _judgments(store, "r1", "j", [0, 10, 20, 30, 30 + 2 * MAX_GAP_S, 40 + 2 * MAX_GAP_S])
    pace = measured_pace(store, "j")
    assert pace is not None and pace.median_s == 10.0 and pace.n == 4
    # k=2 judgments per row: each row is two requests
    _judgments(store, "r2", "k2", [0, 20, 40, 60], samples=2)
    assert measured_pace(store, "k2").median_s == 10.0  # type: ignore[union-attr]
    assert measured_pace(store, "never-ran") is None
    _judgments(store, "r3", "few", [0, 10])
    assert measured_pace(store, "few") is None  # one gap says too little


def test_the_judge_page_estimates_from_the_judges_measured_pace(
    env: Path, tiny_model: str, default_model: str
) -> None:
    store = Store(env / "bench.db")
    earlier = _run(store, tiny_model)  # where the judge graded before (synthetic times, known pace)
    _judgments(store, earlier, default_model, [0, 10, 20, 30, 40])
    _run(store, tiny_model)  # the run to grade now: 3 requests (2 + 1 aspects)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/judge.py").run()
    assert not at.exception, [e.message for e in at.exception]
    box = next(s for s in at.selectbox if str(s.key).startswith("judge_model_"))
    assert box.value == default_model
    shown = texts(at.markdown)
    assert "**3 requests**" in shown, shown
    assert "about **30 s**" in shown and "median 10.0 s per request over 4 gradings" in shown, shown
