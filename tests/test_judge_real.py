"""The judge running for real: the tiny random-weight model in Foundry Local grades a real run.

Its replies are noise and will rarely parse; that is the point: the missing path must be exercised
for real and recorded as missing (NULL score, raw text kept), never turned into a score.
"""

from __future__ import annotations

from pathlib import Path

from bench.backends import backend_for
from bench.inputs.config import RunSettings, load_prompt_set
from bench.run.runner import run_benchmark
from bench.store.store import Store
from rubrics.judge import judge_run, judgments_frame, parse_rate
from rubrics.schema import resolve_rubric_set


def test_tiny_judge_grades_a_real_run_and_records_missing(tiny_model: str, db_path: Path, tmp_path: Path):
    prompts = tmp_path / "prompts.json"
    prompts.write_text(
        '{"prompts": [{"id": "capital", "prompt": "Capital of France?", "aspects": ["accuracy", "concision"]}]}'
    )
    store = Store(db_path)
    settings = RunSettings(models=[tiny_model], rounds=1, warmup=0, max_tokens=8)
    run_id, status = run_benchmark(store, settings, load_prompt_set(prompts))
    assert status == "completed"

    summary = judge_run(
        store, run_id, backend_for(), tiny_model, resolve_rubric_set("workshop"), max_attempts=2
    )
    assert (summary.total, summary.judged) == (2, 2)
    frame = judgments_frame(store, [run_id])
    assert sorted(frame["aspect"]) == ["accuracy", "concision"]
    assert set(frame["scored_by"]) == {f"judge:{tiny_model}"}
    assert (frame["raw"].str.len() > 0).all()  # the judge's own words are kept
    parsed, total = parse_rate(frame)
    assert total == 2
    assert parsed == 2 - summary.missing
    missing = frame[frame["score"].isna()]
    assert len(missing) == summary.missing
    assert (missing["attempts"] == 2).all()  # a bad reply is retried before it is stored as missing
    scored = frame["score"].dropna()
    assert scored.between(1, 5).all()

    again = judge_run(store, run_id, backend_for(), tiny_model, resolve_rubric_set("workshop"))
    assert (again.judged, again.skipped) == (0, 2)  # resume: nothing judged twice


def test_reports_carry_quality_by_scorer(tiny_model: str, db_path: Path, tmp_path: Path):
    """People's and the judge's scores appear in the reports as separate tables."""
    import json

    from bench.report import exports
    from rubrics.annotate import save_scores

    prompts = tmp_path / "prompts.json"
    prompts.write_text('{"prompts": [{"id": "q1", "prompt": "Say hi.", "aspects": ["concision"]}]}')
    store = Store(db_path)
    run_id, _ = run_benchmark(
        store, RunSettings(models=[tiny_model], rounds=1, warmup=0, max_tokens=4), load_prompt_set(prompts)
    )
    save_scores(store, run_id, "q1", tiny_model, "ana", {"concision": 4})
    save_scores(store, run_id, "q1", tiny_model, "ben", {"concision": 2})
    judge_run(store, run_id, backend_for(), tiny_model, resolve_rubric_set("workshop"), max_attempts=1)
    md = exports.render_markdown(store, [run_id])
    assert "## Quality" in md
    assert "Scored by **people**" in md
    assert f"Scored by **judge:{tiny_model}**" in md
    assert f"| {tiny_model} | concision | 3.00 |" in md  # (4 + 2) / 2 from people only
    data = json.loads(exports.report_json(store, [run_id]))
    assert set(data["quality"]) == {"people", f"judge:{tiny_model}"}
    assert data["quality"]["people"][0]["mean"] == 3.0
