"""The runner, store, metrics and reports on a real model in real Foundry Local (in-process)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from bench.inputs.config import RunSettings, load_prompt_set
from bench.report import exports
from bench.run.runner import run_benchmark
from bench.stats import aggregates as metrics
from bench.store.store import Store


def test_streaming_run_stores_every_sample_with_metrics(tiny_model: str, db_path: Path, prompt_file: Path):
    store = Store(db_path)
    events = []
    settings = RunSettings(models=[tiny_model], rounds=3, warmup=1, max_tokens=16, stream=True)
    run_id, status = run_benchmark(store, settings, load_prompt_set(prompt_file), progress=events.append)
    assert status == "completed"
    samples = store.samples([run_id])
    # 2 prompts x (1 warm-up + 3 rounds)
    assert len(samples) == 8
    assert sum(s["warmup"] for s in samples) == 2
    assert [s["cold"] for s in samples].count(True) == 1 and samples[0]["cold"]
    for s in samples:
        m = s["metrics"]
        assert s["ok"], s["error"]
        assert s["transport"] == "in-process"
        assert m["output_token_source"] == "usage" and m["output_tokens"] > 0
        assert m["prompt_tokens"] > 0
        assert 0 < m["ttft_s"] <= m["e2e_s"]
        assert m["rss_peak_bytes"] > 0
    model_row = store.run_models(run_id)[0]
    assert model_row["status"] == "done" and model_row["load_seconds"] is not None
    assert model_row["size_bytes"] > 0 and model_row["peak_rss_bytes"] > 0
    # progress: every sample reported, fraction reaches 1
    sample_events = [e for e in events if e.event == "sample"]
    assert len(sample_events) == 8 and events[-1].event == "run_finished"
    assert sample_events[-1].fraction == 1.0

    summary = metrics.model_summary(metrics.samples_frame(samples))
    row = summary.iloc[0]
    # the cold request is the first warm-up one: warm-up excluded leaves 6 measured, all warm
    assert row["n"] == 6 and row["e2e_s_n"] == 6
    assert row["cold_e2e_s"] == samples[0]["metrics"]["e2e_s"]
    assert row["n_warmup"] == 2
    assert "p99" in row["e2e_s_low_n"]
    assert row["token_source"].startswith("usage")


def test_non_streaming_run_has_no_ttft(tiny_model: str, db_path: Path, prompt_file: Path):
    store = Store(db_path)
    settings = RunSettings(models=[tiny_model], rounds=2, warmup=0, max_tokens=8, stream=False)
    run_id, status = run_benchmark(store, settings, load_prompt_set(prompt_file))
    assert status == "completed"
    for s in store.samples([run_id]):
        assert s["metrics"]["ttft_s"] is None and s["metrics"]["e2e_s"] > 0
        assert s["metrics"]["output_token_source"] == "usage"
        assert s["answer"]


def test_unknown_model_is_marked_failed_and_the_run_goes_on(
    tiny_model: str, db_path: Path, prompt_file: Path
):
    store = Store(db_path)
    settings = RunSettings(models=["no-such-model", tiny_model], rounds=1, warmup=0, max_tokens=4)
    run_id, status = run_benchmark(store, settings, load_prompt_set(prompt_file))
    assert status == "partial"  # one model could not load: the run is not complete
    assert "model failed: no-such-model" in store.get_run(run_id)["error"]
    rows = {r["model"]: r for r in store.run_models(run_id)}
    assert rows["no-such-model"]["status"] == "failed"
    assert "not a Foundry Local model" in rows["no-such-model"]["error"]
    assert rows[tiny_model]["status"] == "done"
    assert {s["model"] for s in store.samples([run_id])} == {tiny_model}


def test_reports_are_written_and_json_is_stable(
    tiny_model: str, db_path: Path, prompt_file: Path, tmp_path: Path
):
    store = Store(db_path)
    settings = RunSettings(models=[tiny_model, "missing-model"], rounds=2, warmup=1, max_tokens=8)
    run_id, _ = run_benchmark(store, settings, load_prompt_set(prompt_file))
    paths = exports.write_reports(store, [run_id], tmp_path / "out")
    assert [p.name for p in paths] == ["benchmark_report.md", "samples.csv", "report.json"]
    md = paths[0].read_text()
    assert f"| {tiny_model} | done |" in md
    assert "missing-model failed" in md
    assert "How to read these numbers" in md
    csv = pd.read_csv(paths[1])
    assert len(csv) == 6 and set(csv["phase"]) == {"warm-up", "cold", "warm"}
    data = json.loads(paths[2].read_text())
    assert data["models"][tiny_model]["status"] == "done"
    assert data["models"]["missing-model"]["status"] == "failed"
    assert set(data["answers"][tiny_model]) == {"p1", "p2"}
    # volatile fields live only in meta; rendering twice gives the same bytes
    assert "created_at" not in json.dumps({k: v for k, v in data.items() if k != "meta"})
    assert exports.report_json(store, [run_id]) == paths[2].read_text()
    assert list(data) == sorted(data)


def test_a_run_opens_one_store_connection_however_many_requests(
    tiny_model: str, db_path: Path, prompt_file: Path, monkeypatch
):
    """A connection per store operation cost more than the write itself (1,228 for 300 requests):
    a run now holds one, every sample still committed the moment it ends."""
    import sqlite3

    store = Store(db_path)
    opened: list[object] = []
    real = sqlite3.connect

    def counting(*args, **kwargs):
        opened.append(args[0])
        return real(*args, **kwargs)

    seen_mid_run: list[int] = []

    def progress(event) -> None:  # another connection sees each sample as soon as it is reported
        if event.event == "sample":
            with real(db_path) as other:
                seen_mid_run.append(other.execute("SELECT COUNT(*) FROM samples").fetchone()[0])

    monkeypatch.setattr(sqlite3, "connect", counting)
    settings = RunSettings(models=[tiny_model], rounds=4, warmup=1, max_tokens=4)
    run_id, status = run_benchmark(store, settings, load_prompt_set(prompt_file), progress=progress)
    assert status == "completed"
    assert opened == [db_path]  # run_benchmark: create, 10 samples, peaks, statuses, checks
    assert len(store.samples([run_id])) == 10
    assert seen_mid_run == list(range(1, 11))

    opened.clear()
    store.set_run_status(run_id, "interrupted")
    from bench.run.runner import resume_run

    assert resume_run(store, run_id) == "completed"
    assert len(opened) == 2  # the status write above (outside any run) and the resumed run


def test_the_progress_view_of_a_sample_is_its_as_dict():
    """Progress subscribers get ``Sample.as_dict()``'s shape without its deep copy (outside the timed window)."""
    from bench.measure.samples import Attempt, Sample
    from bench.run.runner import progress_view

    sample = Sample(
        run_id="r", model="m", prompt_id="p", round=2, warmup=False, cold=False, outcome="ok", error=None,
        http_status=200, attempts=2, retry_log=[Attempt(1, "HTTP 503", 503, 0.5, "failed")], stream=True,
        transport="http", started_at="t", metrics={"e2e_s": 0.5, "nested": {"a": [1, 2]}}, answer="hi",
        reasoning="", server_timings={"predicted_n": 3},
    )  # fmt: skip
    assert progress_view(sample) == sample.as_dict()
