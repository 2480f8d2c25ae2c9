"""Load and capacity against a real stdlib OpenAI-compatible server on 127.0.0.1 (benchmarks/stub_openai.py):
real concurrency, real HTTP streaming, stored samples; statistics on synthetic levels."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.errors import BenchError
from bench.inputs.config import PromptItem, PromptSet
from bench.load.engine import Engine, Level, parse_levels, parse_seconds, poisson_schedule, run_level
from bench.load.levels import LevelResult, capacity, parse_slos, saturated
from bench.load.run import LoadSpec, capacity_of, load_results, load_run_ids, run_load
from bench.store.store import Store
from benchmarks.stub_openai import StubServer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_inprocess import cli

REPO = Path(__file__).resolve().parent.parent
PROMPTS = PromptSet(
    prompts=[PromptItem(id="a", prompt="Say hi."), PromptItem(id="b", prompt="Name a color.")]
)


def test_flags_parse_or_say_how_to_fix_them():
    assert [lv.value for lv in parse_levels("8,1,2,2", "concurrency")] == [1, 2, 8]
    assert parse_levels("0.5,2", "rate")[0].label == "rate=0.5/s"
    with pytest.raises(BenchError, match="whole numbers"):
        parse_levels("1.5", "concurrency")
    with pytest.raises(BenchError, match="above 0"):
        parse_levels("0,2", "rate")
    assert parse_seconds("60s", "--duration") == 60 and parse_seconds("50ms", "x") == 0.05
    assert parse_seconds("1.5m", "x") == 90 and parse_seconds("2", "x") == 2
    with pytest.raises(BenchError, match="not a duration"):
        parse_seconds("soon", "--duration")
    slos = parse_slos("ttft_p95=0.5s,itl_p95=50ms,e2e_p99=5")
    assert [(s.name, s.limit_s) for s in slos] == [("ttft_p95", 0.5), ("itl_p95", 0.05), ("e2e_p99", 5.0)]
    with pytest.raises(BenchError, match="METRIC_pNN"):
        parse_slos("latency=1s")


def test_poisson_arrivals_are_seeded_and_have_the_asked_rate():
    a = poisson_schedule(20.0, 4000, None, seed=7)
    assert a == poisson_schedule(20.0, 4000, None, seed=7) and a != poisson_schedule(20.0, 4000, None, seed=8)
    assert len(a) == 4000 and all(x < y for x, y in itertools.pairwise(a))
    assert 4000 / a[-1] == pytest.approx(20.0, rel=0.05)  # 4,000 arrivals: the mean rate within 5%
    within = poisson_schedule(10.0, None, 3.0, seed=1)
    assert within[-1] <= 3.0


def test_closed_loop_keeps_exactly_n_requests_in_flight():
    stub = StubServer(tokens=8, delay_s=0.01)
    with stub as url:
        engine = Engine(url, "stub", PROMPTS.prompts, max_tokens=8)
        records, wall = run_level(engine, Level("concurrency", 4), 24, None)
    assert len(records) == 24 and all(r.error is None for r in records)
    assert stub.config.peak_in_flight == 4  # never more than N, and all N at once
    assert sorted(r.index for r in records) == list(range(24))
    assert all(r.sent_ns >= r.scheduled_ns for r in records) and wall > 0
    assert {r.prompt_id for r in records} == {"a", "b"}


def test_open_loop_sends_at_the_scheduled_times_whatever_is_in_flight():
    stub = StubServer(tokens=4, delay_s=0.05)  # each request lasts ~0.2 s: many overlap at 40/s
    with stub as url:
        engine = Engine(url, "stub", PROMPTS.prompts, max_tokens=4)
        records, _ = run_level(engine, Level("rate", 40), 30, None, seed=3)
    assert len(records) == 30 and all(r.error is None for r in records)
    offsets = [(r.scheduled_ns - records[0].scheduled_ns) / 1e9 for r in records]
    expected = poisson_schedule(40, 30, None, seed=3)
    assert offsets == pytest.approx([e - expected[0] for e in expected], abs=1e-6)
    assert stub.config.peak_in_flight > 1  # open loop: arrivals did not wait for earlier answers


def test_a_load_run_is_stored_like_any_run_and_stops_at_saturation(tmp_path: Path):
    store = Store(tmp_path / "b.db")
    stub = StubServer(tokens=8, delay_s=0.005, max_in_flight=2)  # a server with two slots
    spec = LoadSpec(endpoint="x", models=["stub"], levels=[1, 2, 4, 8, 16, 32], requests=24, warmup=1,
                    slos=parse_slos("ttft_p95=10s,e2e_p95=10s"))  # fmt: skip
    with stub as url:
        result = run_load(store, spec.model_copy(update={"endpoint": url}), PROMPTS)
    run_id = result["run_id"]
    levels = result["models"]["stub"]["levels"]
    assert store.get_run(run_id)["status"] == "completed"
    assert levels[-1]["saturated"] and levels[-1]["value"] < 32  # it stopped raising the load
    # at the first level judged saturated; which one that is depends on the machine: two slots cap the
    # throughput from c=4 on, but a burst of other work during c=2 (24 requests, ~0.5 s) can hold its
    # req/s flat and its median e2e 20% up, and the rule then rightly stops there
    assert not any(lv["saturated"] for lv in levels[:-1])
    assert "stopped at" in result["models"]["stub"]["stopped"]
    samples = store.samples([run_id])
    measured = [s for s in samples if not s["warmup"]]
    assert len(samples) == 1 + 24 * len(levels) and len(measured) == 24 * len(levels)
    assert {s["metrics"]["load_level"] for s in measured} == {lv["level"] for lv in levels}
    assert all(s["metrics"]["output_tokens"] == 8 and s["metrics"]["ttft_s"] for s in measured)
    assert all(s["metrics"]["sent_s"] >= s["metrics"]["scheduled_s"] for s in measured)
    with store.connect() as conn:
        rows = conn.execute(
            "SELECT level, scheduled_s, sent_s FROM load_requests WHERE run_id = ?", (run_id,)
        )
        rows = rows.fetchall()
    assert len(rows) == len(measured) and all(r[2] >= r[1] for r in rows)
    stored = load_results(store, run_id)["stub"]
    assert [lv["level"] for lv in stored] == [lv["level"] for lv in levels]
    assert stored[0]["energy_source"].startswith(("n/a", "rapl", "nvml"))
    assert capacity_of(stored)["level"] == result["models"]["stub"]["capacity"]["level"]
    assert load_run_ids(store) == [run_id]


def test_errors_count_against_the_slos(tmp_path: Path):
    stub = StubServer(tokens=4, fail_every=4)
    spec = LoadSpec(endpoint="x", models=["stub"], levels=[2], requests=40, warmup=0,
                    slos=parse_slos("e2e_p95=10s"))  # fmt: skip
    with stub as url:
        result = run_load(Store(tmp_path / "b.db"), spec.model_copy(update={"endpoint": url}), PROMPTS)
    (level,) = result["models"]["stub"]["levels"]
    assert level["errors"] == 10 and level["error_rate"] == 0.25
    assert level["meets_slo"] is False and "HTTP 500" in level["first_errors"][0]
    assert result["models"]["stub"]["capacity"]["level"] is None


def _level(value: float, rps: float, e2e_p50: float, meets: bool | None = True, ok: int = 10) -> LevelResult:
    pct = {m: {"p50": e2e_p50, "p95": e2e_p50} for m in ("ttft", "itl", "e2e", "tpot")}
    return LevelResult(f"c={value:g}", "concurrency", value, ok, ok, 0, 0.0, 1.0, rps, rps * 10,
                       rps if meets else 0.0, pct, {}, meets)  # fmt: skip


def test_saturation_and_capacity_rules_on_known_levels():
    assert saturated(_level(4, 100, 0.04), _level(8, 102, 0.08))  # flat throughput, latency doubled
    assert not saturated(_level(4, 100, 0.04), _level(8, 190, 0.045))  # still scaling
    assert not saturated(_level(4, 100, 0.04), _level(8, 101, 0.041))  # flat but not slower: noise
    assert saturated(_level(4, 100, 0.04), _level(8, 0, 0.04, ok=0))  # nothing succeeded
    levels = [
        _level(1, 25, 0.04),
        _level(2, 50, 0.04),
        _level(4, 90, 0.05, meets=False),
        _level(8, 95, 0.09, False),
    ]
    assert capacity(levels)["level"] == "c=2"
    assert capacity([_level(1, 25, 0.04, meets=False)])["level"] is None
    no_slo = capacity([_level(1, 25, 0.04, meets=None), _level(2, 40, 0.05, meets=None)])
    assert no_slo["level"] is None and no_slo["peak_level"] == "c=2" and "no SLO" in no_slo["reason"]


def test_spec_needs_exactly_one_limit():
    with pytest.raises(ValueError, match="exactly one"):
        LoadSpec(endpoint="x", models=["m"], levels=[1])
    with pytest.raises(ValueError, match="exactly one"):
        LoadSpec(endpoint="x", models=["m"], levels=[1], requests=5, duration_s=3)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), COLUMNS="220")
    return subprocess.run([sys.executable, "-m", "bench", "load", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_cli_prints_levels_and_capacity_and_stores_the_run(tmp_path: Path):
    db = tmp_path / "b.db"
    with StubServer(tokens=6, delay_s=0.002) as url:
        done = _cli("--endpoint", url, "--models", "stub", "--concurrency", "1,2", "--requests", "10",
                    "--slo", "ttft_p95=5s,e2e_p95=5s", "--db", str(db), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip().splitlines()[-1]
    assert "capacity of stub: c=2" in done.stdout and "c=1" in done.stdout
    assert "stub · c=2:" in done.stderr  # progress, one line per level
    assert len(Store(db).samples([run_id])) == 1 + 20


def test_cli_refuses_bad_flags_without_a_traceback(tmp_path: Path):
    with StubServer() as url:
        both = _cli("--endpoint", url, "--models", "stub", "--concurrency", "1", "--rate", "2", cwd=tmp_path)
        # the first refusal above is a real process; these two run in-process (cli_inprocess, issue 18)
        env = {"COLUMNS": "220"}
        unknown = cli(
            "load", "--endpoint", url, "--models", "nope", "--concurrency", "1", env=env, cwd=tmp_path
        )
        bad_slo = cli(
            "load",
            "--endpoint",
            url,
            "--models",
            "stub",
            "--concurrency",
            "1",
            "--slo",
            "fast",
            env=env,
            cwd=tmp_path,
        )
    assert both.returncode == 2 and "give exactly one" in both.stderr
    assert unknown.returncode == 2 and "not served by" in unknown.stderr and "stub" in unknown.stderr
    assert bad_slo.returncode == 2 and "METRIC_pNN" in bad_slo.stderr
    assert all("Traceback" not in p.stderr for p in (both, unknown, bad_slo))


def test_streams_are_parsed_after_the_level_with_the_backends_rules():
    from bench.load.engine import Record, parse_stream

    def rec(*lines: str) -> Record:
        r = Record(0, "a", 0, sent_ns=1)
        r.raw = [(10 + i, line) for i, line in enumerate(lines)]
        parse_stream(r)
        return r

    chunk = 'data: {"choices": [{"delta": {"content": "hi"}}]}'
    done = rec(chunk, 'data: {"choices": [{"delta": {}, "finish_reason": "stop"}]}', "data: [DONE]")
    assert done.error is None and [e.kind for e in done.events] == ["first_byte", "content", "finish"]
    assert rec(chunk).error.endswith("cut short)")
    assert "malformed chunk" in rec("data: {oops").error
    assert "mid-stream" in rec('data: {"error": "out of memory"}').error


def test_a_level_over_a_second_reports_progress_every_second():
    ticks: list[tuple[int, int, float]] = []
    with StubServer(tokens=4, delay_s=0.1) as url:  # each request ~0.4 s: 12 requests at c=2 take ~2.4 s
        engine = Engine(url, "stub", PROMPTS.prompts, max_tokens=4)
        records, _ = run_level(engine, Level("concurrency", 2), 12, None, tick=lambda *a: ticks.append(a))
    assert len(records) == 12 and ticks
    assert all(done <= sent <= 12 for done, sent, _ in ticks)
    assert [t for *_, t in ticks] == sorted(t for *_, t in ticks)


def test_a_load_run_cannot_be_resumed_as_a_benchmark(tmp_path: Path):
    from bench.run.runner import resume_run

    store = Store(tmp_path / "b.db")
    spec = LoadSpec(endpoint="x", models=["stub"], levels=[1], requests=2, warmup=0)
    with StubServer(tokens=2) as url:
        run_id = run_load(store, spec.model_copy(update={"endpoint": url}), PROMPTS)["run_id"]
    store.set_run_status(run_id, "cancelled")
    with pytest.raises(BenchError, match="is a load run"):
        resume_run(store, run_id)


# ---- issue 16 item 7: any percentile, send time after the pool wait, capacity from below, cut streams


def test_any_percentile_in_an_slo_is_judged_on_that_percentile(tmp_path: Path):
    import numpy as np

    spec = LoadSpec(endpoint="x", models=["stub"], levels=[2], requests=16, warmup=0,
                    slos=parse_slos("ttft_p75=30s,e2e_p33=30s"))  # fmt: skip
    store = Store(tmp_path / "b.db")
    with StubServer(tokens=4) as url:
        result = run_load(store, spec.model_copy(update={"endpoint": url}), PROMPTS)
    (level,) = result["models"]["stub"]["levels"]
    assert level["errors"] == 0 and level["meets_slo"] is True  # generous targets on a healthy server
    assert result["models"]["stub"]["capacity"]["level"] == "c=2"
    ttfts = [s["metrics"]["ttft_s"] for s in store.samples([result["run_id"]]) if not s["warmup"]]
    assert level["percentiles"]["ttft"]["p75"] == pytest.approx(float(np.percentile(ttfts, 75)))
    assert set(level["slo_detail"]) == {"ttft_p75", "e2e_p33", "error_rate"}


@pytest.mark.parametrize("bad", ["ttft_p0=1s", "ttft_p100=1s", "ttft_p99.9=1s", "ttft_p=1s"])
def test_a_percentile_that_cannot_be_judged_is_refused_with_the_fix(bad: str):
    with pytest.raises(BenchError) as err:
        parse_slos(bad)
    assert "1 to 99" in err.value.message or "1 to 99" in str(err.value)


def _serve_timed(delay_s: float) -> tuple[Any, str, list[dict[str, int]]]:
    """A real HTTP/1.0 SSE server on 127.0.0.1 that notes, on the shared monotonic clock, when each
    request arrived and when its last byte was written (a fake only in being tiny)."""
    import json
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[dict[str, int]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_POST(self) -> None:
            note = {"received_ns": time.perf_counter_ns()}
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for word in ("a", "b", "c"):
                time.sleep(delay_s)
                chunk = {"choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b'data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n')
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            note["last_written_ns"] = time.perf_counter_ns()
            seen.append(note)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/v1", seen


def test_the_send_time_is_when_the_bytes_leave_after_the_pool_wait(monkeypatch: pytest.MonkeyPatch):
    import bench.load.engine as engine_mod

    # one pool of one connection: the second request must wait for the first to end before it can leave
    monkeypatch.setattr(engine_mod, "OPEN_LOOP_POOLS", 1)
    monkeypatch.setattr(engine_mod, "OPEN_LOOP_PER_POOL", 1)
    httpd, url, seen = _serve_timed(delay_s=0.05)
    try:
        engine = Engine(url, "stub", PROMPTS.prompts, max_tokens=4)
        records, _ = run_level(engine, Level("rate", 1000), 2, None, seed=1)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert all(r.error is None for r in records) and len(seen) == 2
    _first, second = sorted(records, key=lambda r: r.sent_ns)
    first_done = min(s["last_written_ns"] for s in seen)
    # causality, not timing: the second request's bytes cannot leave before the first answer was written
    assert second.sent_ns > first_done
    assert second.sent_ns <= max(s["received_ns"] for s in seen)
    # so the pool wait is the harness's lag, never the server's TTFT
    assert second.lag_s * 1e9 >= first_done - second.scheduled_ns


def test_capacity_is_the_highest_level_with_every_lower_level_passing():
    levels = [
        _level(1, 25, 0.04),
        _level(2, 50, 0.04, meets=False),  # a lower level missed (a burst of errors, a hiccup)
        _level(4, 90, 0.05),
        _level(8, 95, 0.09, meets=False),
    ]
    cap = capacity(levels)
    assert cap["level"] == "c=1"
    assert "c=2" in cap["reason"]  # says which level stopped it
    assert capacity([_level(1, 25, 0.04, meets=False), _level(2, 50, 0.04)])["level"] is None


def test_a_cut_stream_is_stored_as_incomplete_not_failed(tmp_path: Path):
    from tests.fault_server import FaultConfig, FaultServer

    store = Store(tmp_path / "b.db")
    spec = LoadSpec(endpoint="x", models=["fault-model"], levels=[1], requests=3, warmup=0,
                    slos=parse_slos("e2e_p95=30s"))  # fmt: skip
    with FaultServer(FaultConfig(default="truncate")) as server:
        result = run_load(store, spec.model_copy(update={"endpoint": server.url}), PROMPTS)
    samples = store.samples([result["run_id"]])
    assert len(samples) == 3 and {s["outcome"] for s in samples} == {"incomplete"}
    assert all("cut short" in s["error"] for s in samples)
    assert all(s["answer"] for s in samples)  # the partial answer is kept
    (level,) = result["models"]["fault-model"]["levels"]
    assert level["errors"] == 3 and level["incomplete"] == 3 and level["meets_slo"] is False


def test_a_large_load_run_is_kept_for_the_app(tmp_path: Path):
    """``bench load`` of 1,000 requests or more keeps the run's Results view before it exits, as ``bench run``
    does (tests/test_app_results_prewarm.py draws such a run with reading refused); a smaller one is not."""
    from bench import paths
    from bench.report.results_memo import KEEP_FROM_SAMPLES

    kept = {}
    for requests in (10, KEEP_FROM_SAMPLES):
        db = tmp_path / f"load-{requests}.db"
        with StubServer(tokens=2, delay_s=0.0) as url:
            done = cli("load", "--endpoint", url, "--models", "stub", "--concurrency", "8",
                       "--requests", str(requests), "--db", str(db), cwd=tmp_path)  # fmt: skip
        assert done.returncode == 0, done.stderr
        kept[requests] = sorted(paths.results_cache_dir(db).glob("*.pkl"))
    assert not kept[10], "a small load run made the CLI wait to keep it"
    assert kept[KEEP_FROM_SAMPLES], "the large load run was not kept"
