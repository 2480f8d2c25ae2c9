"""Every request accounted for: each fault mode of ``tests/fault_server.py`` through the real runner.

The server is a real HTTP server on 127.0.0.1 (a stand-in: no real server can be made to send a
429, die mid-stream or stall on demand). Each test checks the sample's outcome, status, tries and
log, that the run goes on with the next request, and what ends up in the statistics.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.inputs.config import RunSettings, prompt_set_from_data
from bench.run.runner import resume_run, run_benchmark
from bench.stats import aggregates
from bench.store.store import Store
from tests.fault_server import MODEL, WORDS, FaultServer

PROMPTS = prompt_set_from_data(["First prompt.", "Second prompt."], "test")


@pytest.fixture
def fault() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


def _run(fault: FaultServer, db: Path, **settings: object) -> tuple[Store, str, str, list]:
    store = Store(db)
    values = {"models": [MODEL], "rounds": 1, "warmup": 0, "endpoint": fault.url, "retry_backoff_s": 0.01}
    run_id, status = run_benchmark(store, RunSettings(**{**values, **settings}), PROMPTS)
    return store, run_id, status, store.samples([run_id])


def test_429_with_retry_after_is_retried_and_each_try_logged(fault: FaultServer, db_path: Path):
    fault.config.plan.extend(["429", "429"])
    fault.config.retry_after = "0.2"
    # a backoff far longer than Retry-After: the server's word wins
    _, _, status, samples = _run(fault, db_path, retry_backoff_s=30.0)
    assert status == "completed"
    first, second = samples
    assert first["outcome"] == "ok" and first["attempts"] == 3
    assert [a["http_status"] for a in first["retry_log"]] == [429, 429]
    assert [a["waited_s"] for a in first["retry_log"]] == [0.2, 0.2]
    assert "rate limited" in first["retry_log"][0]["error"]
    assert "check the model name" not in first["retry_log"][0]["error"]
    assert second["outcome"] == "ok" and second["attempts"] == 1
    assert len(fault.chat_requests()) == 4


def test_429_after_the_last_retry_fails_that_sample_and_the_run_goes_on(fault: FaultServer, db_path: Path):
    fault.config.plan.extend(["429"] * 3)
    store, run_id, status, samples = _run(fault, db_path, retries=2)
    assert status == "partial"
    first, second = samples
    assert first["outcome"] == "failed" and not first["ok"]
    assert first["http_status"] == 429 and first["attempts"] == 3 and len(first["retry_log"]) == 2
    assert "rate limited (HTTP 429)" in first["error"]
    assert second["outcome"] == "ok"  # the NEXT request ran: the model was not skipped
    assert store.run_models(run_id)[0]["status"] == "done"
    counts = {"ok": 1, "failed": 1, "incomplete": 0, "cancelled": 0, "refused": 0}
    assert store.outcome_counts(run_id) == {MODEL: counts}
    assert "1 failed" in store.get_run(run_id)["error"]
    row = aggregates.model_summary(aggregates.samples_frame(samples)).iloc[0]
    assert row["n_ok"] == 1 and row["n_failed"] == 1
    assert row["e2e_s_n"] == 1  # only the ok sample is measured


def test_503_is_retried_with_backoff(fault: FaultServer, db_path: Path):
    fault.config.plan.extend(["503"])
    _, _, status, samples = _run(fault, db_path, retry_backoff_s=0.05)
    assert status == "completed"
    first = samples[0]
    assert first["attempts"] == 2 and first["retry_log"][0]["http_status"] == 503
    assert first["retry_log"][0]["waited_s"] == 0.05


def test_backoff_doubles_between_tries(fault: FaultServer, db_path: Path):
    fault.config.plan.extend(["503"] * 3)
    _, _, _, samples = _run(fault, db_path, retry_backoff_s=0.02, retries=3)
    assert [a["waited_s"] for a in samples[0]["retry_log"]] == [0.02, 0.04, 0.08]


@pytest.mark.parametrize("mode", ["die", "truncate"])
def test_a_stream_that_ends_early_is_incomplete_and_never_measured(
    fault: FaultServer, db_path: Path, mode: str
):
    fault.config.plan.extend([mode, mode])  # the first try and its one retry
    _store, _run_id, status, samples = _run(fault, db_path, retries=1)
    assert status == "partial"
    first, second = samples
    assert first["outcome"] == "incomplete" and first["attempts"] == 2
    assert first["answer"] == "".join(WORDS[:2])  # the partial answer is kept for reading
    assert "ended" in first["error"]
    assert second["outcome"] == "ok"
    measured = aggregates.measured(aggregates.samples_frame(samples))
    assert measured["prompt_id"].tolist() == [second["prompt_id"]]
    row = aggregates.model_summary(aggregates.samples_frame(samples)).iloc[0]
    assert row["n_incomplete"] == 1 and row["decode_tps_n"] <= 1


def test_malformed_chunk_fails_the_sample_with_its_cause_and_is_not_retried(
    fault: FaultServer, db_path: Path
):
    fault.config.plan.append("malformed")
    _, _, status, samples = _run(fault, db_path)
    assert status == "partial"
    first, second = samples
    assert first["outcome"] == "failed" and first["attempts"] == 1
    assert "malformed chunk from server" in first["error"] and "{not json" in first["error"]
    assert "does not speak the OpenAI API" not in first["error"]
    assert second["outcome"] == "ok"


def test_request_deadline_ends_a_stalled_stream(fault: FaultServer, db_path: Path):
    fault.config.plan.append("stall")
    fault.config.stall_s = 120.0  # far beyond any run of two requests: only a hang outlasts it
    _, _, status, samples = _run(fault, db_path, request_timeout_s=0.5, retries=0)
    assert not fault.stall_ended.is_set()  # the deadline ended it while the server still stalled
    first, second = samples
    assert first["outcome"] == "failed" and "0.5 s request deadline" in first["error"]
    assert first["answer"] == WORDS[0]
    assert second["outcome"] == "ok" and status == "partial"


def test_cancel_interrupts_a_stalled_stream(fault: FaultServer, db_path: Path):
    fault.config.default = "stall"
    fault.config.stall_s = 120.0  # far beyond any run of two requests: only a hang outlasts it
    cancel = threading.Event()
    store = Store(db_path)
    settings = RunSettings(models=[MODEL], rounds=1, warmup=0, endpoint=fault.url)
    timer = threading.Timer(0.5, cancel.set)
    timer.start()
    run_id, status = run_benchmark(store, settings, PROMPTS, cancel=cancel)
    assert not fault.stall_ended.is_set()  # the Cancel ended it while the server still stalled
    assert status == "cancelled"
    (sample,) = store.samples([run_id])
    assert sample["outcome"] == "cancelled" and sample["answer"] == WORDS[0]


def test_resume_retries_exactly_the_failed_samples(fault: FaultServer, db_path: Path):
    fault.config.plan.extend(["429"] * 2)
    store, run_id, status, samples = _run(fault, db_path, retries=1)
    assert status == "partial"
    ok_before = {s["prompt_id"]: s for s in samples if s["ok"]}
    sent_before = len(fault.chat_requests())
    assert resume_run(store, run_id) == "completed"
    after = store.samples([run_id])
    assert len(after) == len(samples) == 2  # replaced in place, never duplicated
    assert all(s["outcome"] == "ok" for s in after)
    assert len(fault.chat_requests()) == sent_before + 1  # only the failed one was sent again
    for s in after:  # the ok sample is untouched
        if s["prompt_id"] in ok_before:
            assert s["started_at"] == ok_before[s["prompt_id"]]["started_at"]


def test_resume_refuses_a_run_another_live_process_is_running(db_path: Path):
    import subprocess
    import sys

    from bench.errors import BenchError
    from bench.run.runner import Runner

    store = Store(db_path)
    settings = RunSettings(models=[MODEL], rounds=1, warmup=0, endpoint="http://127.0.0.1:9/v1")
    run_id = store.create_run(settings.model_dump(), PROMPTS.model_dump(), {})
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        store.set_run_status(run_id, "running", pid=other.pid)
        with pytest.raises(BenchError, match=f"being run right now by process {other.pid}"):
            Runner.resume(store, run_id)
    finally:
        other.kill()
        other.wait()
    assert store.get_run(run_id)["status"] == "interrupted"  # its owner is gone: resumable
    Runner.resume(store, run_id)  # no longer refused


def test_prompt_cache_tokens_and_the_server_decode_rate_are_stored(fault: FaultServer, db_path: Path):
    fault.config.default = "timings"
    fault.config.gap_s = 0.01
    _, _, status, samples = _run(fault, db_path)
    assert status == "completed"
    m = samples[0]["metrics"]
    assert m["cached_prompt_tokens"] == 41 and m["cached_token_source"] == "usage"
    assert m["ttft_cache_hit"] is True
    assert m["server_decode_tps"] == 100.0
    assert m["decode_tps"] is not None
    assert m["decode_tps_vs_server_pct"] == pytest.approx((m["decode_tps"] - 100.0) / 100.0 * 100)
    assert "cache_prompt" not in fault.chat_requests()[0].body  # the default leaves the cache on


def test_prompt_cache_off_asks_the_server_not_to_reuse_it(fault: FaultServer, db_path: Path):
    _run(fault, db_path, prompt_cache=False)
    assert all(s.body["cache_prompt"] is False for s in fault.chat_requests())


def test_without_streaming_ttfb_and_ttft_are_not_available(fault: FaultServer, db_path: Path):
    _, _, status, samples = _run(fault, db_path, stream=False)
    assert status == "completed"
    m = samples[0]["metrics"]
    assert m["ttfb_s"] is None and m["ttft_s"] is None and m["e2e_s"] > 0


def test_cli_exit_code_and_words_for_a_partial_run(tmp_path: Path, prompt_file: Path):
    from cli_inprocess import cli  # `bench run` in-process: its exit code and words are the subject

    with FaultServer() as server:
        server.config.plan.extend(["429"] * 2)
        args = ["run", "--endpoint", server.url, "--models", MODEL, "--prompts", str(prompt_file)]
        args += ["--rounds", "1", "--warmup", "0", "--retries", "1", "--out", str(tmp_path / "out")]
        proc = cli(*args, env={"SLM_BENCH_DB": str(tmp_path / "bench.db")})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    err = " ".join(proc.stderr.split())
    assert "ended partial: 1 failed" in err and "resume with: python -m bench run --resume" in err
    assert "retry: try 1 failed" in err and "FAILED" in err  # each try and the outcome, line by line
    assert "started: 2 requests" in err and err.count("started:") == 1
    md = (tmp_path / "out" / "benchmark_report.md").read_text()
    assert f"| {MODEL} | 1 | 1 | 0 | 0 | 1 |" in md  # 1 ok, 1 failed, 1 extra try
    import pandas as pd

    rows = pd.read_csv(tmp_path / "out" / "samples.csv")
    failed = rows[rows["outcome"] == "failed"]
    assert len(failed) == 1 and failed["http_status"].iloc[0] == 429 and failed["attempts"].iloc[0] == 2


def test_runs_table_never_cuts_a_run_id_in_80_columns(tmp_path: Path):
    import os
    import subprocess
    import sys

    store = Store(tmp_path / "bench.db")
    settings = RunSettings(
        models=["a-model-with-a-rather-long-name", "another-long-model-name"], label="x" * 60
    )
    run_id = store.create_run(settings.model_dump(), PROMPTS.model_dump(), {})
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "runs", "--db", str(tmp_path / "bench.db")],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80", "TERM": "dumb"},
        cwd=Path(__file__).resolve().parent.parent,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert run_id in proc.stdout


def test_a_server_that_already_had_the_model_is_marked_not_comparable(fault: FaultServer, db_path: Path):
    """llama-server / vLLM load at start: the baseline holds the weights, so memory is not comparable."""
    store, run_id, status, _ = _run(fault, db_path)
    assert status == "completed"
    row = store.run_models(run_id)[0]
    assert row["memory_comparable"] == 0 and "already had the model loaded" in row["memory_note"]
    assert row["rss_source"].startswith("server pid ") and "in all)" in row["rss_source"]
    from bench.measure.sysmon import gpu_used_bytes
    from bench.results import memory_of

    assert not memory_of(row).comparable
    if gpu_used_bytes() is None:  # no NVIDIA GPU on this machine: GPU memory is n/a, not 0
        assert row["gpu_peak_bytes"] is None and row["gpu_source"] == "n/a (no NVIDIA GPU)"


def test_the_report_puts_the_servers_own_figures_beside_ours(fault: FaultServer, db_path: Path):
    from bench.report import exports

    fault.config.default = "timings"
    fault.config.gap_s = 0.01
    store, run_id, status, _ = _run(fault, db_path)
    assert status == "completed"
    md = exports.render_markdown(store, [run_id])
    assert "## What the server reported" in md
    section = md.split("## What the server reported")[1]
    row = next(line for line in section.splitlines() if line.startswith(f"| {MODEL} | 2 |"))
    assert "| 100.0 |" in row and "| 2 of 2 |" in row and "| 41.0 |" in row
