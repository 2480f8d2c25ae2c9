"""What does the runner cost per request outside the timed window, and does it move what is timed?

1. **Throughput against a server that answers at once**: ``run_benchmark`` (the real runner, store
   and memory probe) streams N requests of 16 tokens from a stub OpenAI-compatible server in a
   child process (no delay per token). Requests/s, and the runner's own time per request outside
   the timed window = (wall time of ``Runner.run`` - the sum of every sample's end-to-end) / N.
   SQLite connections opened during the run are counted by wrapping ``sqlite3.connect``.
2. **A profile** of the same run (``cProfile``, its own pass: profiling slows everything): the
   functions with the most own time, to show where the rest goes.
3. **Does memory measurement move TTFT or decode?** The stub plays llama-server: it waits a fixed
   time per token and reports its own decode rate (``timings.predicted_per_second``, measured by
   the server between its first and last token write). Per sample, our decode rate against the
   server's, once with the kernel high-water mark (no thread during the request) and once with the
   50 ms sampling thread forced on (the fallback). No real llama-server on this machine: the
   stub's rate is the truth it reports.

    .venv/bin/python benchmarks/runner_overhead.py --label after       # measure this tree
    PYTHONPATH=/tmp/before .venv/bin/python benchmarks/runner_overhead.py --label before --only throughput

Each label's figures are kept in ``benchmarks/runner_overhead.json``; the Markdown
(``benchmarks/runner_overhead.md``) is written from all of them. Run it on an idle machine.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.append(str(REPO))  # appended: PYTHONPATH=<an older tree> measures that tree's bench
JSON = HERE / "runner_overhead.json"
MD = HERE / "runner_overhead.md"


# ---- the server (child process) -----------------------------------------------------------------
def serve(tokens: int, delay_s: float) -> None:
    """The stub of ``stub_openai.py`` with llama-server's ``timings`` on its last chunk."""
    sys.path.insert(0, str(HERE))
    from stub_openai import StubServer

    server = StubServer(0, tokens=tokens, delay_s=delay_s)
    base = server.httpd.RequestHandlerClass

    class Timed(base):  # type: ignore[misc,valid-type]
        def _chunk(self, payload: str) -> None:
            if '"content"' in payload:
                now = time.perf_counter()
                self._first = getattr(self, "_first", None) or now
                self._last, self._n = now, getattr(self, "_n", 0) + 1
            elif '"usage"' in payload and getattr(self, "_n", 0) > 1:
                body = json.loads(payload)
                rate = (self._n - 1) / (self._last - self._first)
                body["timings"] = {"predicted_n": self._n, "predicted_per_second": rate}
                payload = json.dumps(body)
                self._first, self._n = None, 0
            super()._chunk(payload)

    server.httpd.RequestHandlerClass = Timed
    print(server.url, flush=True)
    server.httpd.serve_forever()


@contextlib.contextmanager
def server(tokens: int, delay_ms: float) -> Iterator[str]:
    cmd = [sys.executable, __file__, "--serve", str(tokens), str(delay_ms / 1000)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# ---- measurements -------------------------------------------------------------------------------
@contextlib.contextmanager
def counted_connections() -> Iterator[list[int]]:
    """Every ``sqlite3.connect`` while inside counts (the store's only way to open a connection)."""
    real, count = sqlite3.connect, [0]

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        count[0] += 1
        return real(*args, **kwargs)

    sqlite3.connect = connect  # type: ignore[assignment]
    try:
        yield count
    finally:
        sqlite3.connect = real  # type: ignore[assignment]


def _runner(url: str, n: int, db: Path, max_tokens: int) -> Any:
    from bench.inputs.config import RunSettings, prompt_set_from_data
    from bench.run.runner import Runner
    from bench.store.store import Store

    settings = RunSettings(
        models=["stub"], endpoint=url, rounds=n // 2, warmup=0, max_tokens=max_tokens, stream=True
    )
    prompts = prompt_set_from_data(["Say hello.", "Name a color."], "overhead")
    return Runner.start(Store(db), settings, prompts)


def throughput(url: str, n: int, tmp: Path) -> dict[str, Any]:
    runner = _runner(url, n, tmp / "throughput.db", 16)
    with counted_connections() as opened:
        start = time.perf_counter()
        status = runner.run()
        wall = time.perf_counter() - start
    samples = runner.store.samples([runner.run_id])
    e2e = sum(s["metrics"]["e2e_s"] for s in samples)
    return {
        "status": status,
        "n": len(samples),
        "wall_s": wall,
        "requests_per_s": len(samples) / wall,
        "outside_ms_per_request": (wall - e2e) / len(samples) * 1000,
        "e2e_ms_mean": e2e / len(samples) * 1000,
        "connections": opened[0],
        "basis": sorted({str(s["metrics"].get("rss_peak_basis")) for s in samples}),
    }


def profile(url: str, n: int, tmp: Path, top: int = 14) -> str:
    runner = _runner(url, n, tmp / "profile.db", 16)
    prof = cProfile.Profile()
    prof.runcall(runner.run)
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    lines = [ln for ln in out.getvalue().splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
    head = next(ln for ln in lines if "function calls" in ln).strip()
    return "\n".join([head, *lines[start:]]).replace(str(REPO) + "/", "").replace(sys.prefix + "/", "")


def agreement(url: str, n: int, tmp: Path, sampled: bool) -> dict[str, Any]:
    """Our decode rate vs the server's own, per sample, with or without the sampling thread."""
    from bench.measure import sysmon

    real = sysmon.reset_hwm
    if sampled:
        sysmon.reset_hwm = lambda _pid: False  # type: ignore[assignment]  # the fallback, forced
    try:
        runner = _runner(url, n, tmp / f"agree-{sampled}.db", 32)
        runner.run()
    finally:
        sysmon.reset_hwm = real  # type: ignore[assignment]
    samples = runner.store.samples([runner.run_id])
    diffs = [s["metrics"]["decode_tps_vs_server_pct"] for s in samples if not s["cold"]]
    ttft = sorted(s["metrics"]["ttft_s"] * 1000 for s in samples if not s["cold"])
    return {
        "basis": sorted({str(s["metrics"].get("rss_peak_basis")) for s in samples}),
        "n": len(diffs),
        "max_abs_pct": max(abs(d) for d in diffs),
        "within_1pct": sum(abs(d) <= 1 for d in diffs),
        "mean_pct": sum(diffs) / len(diffs),
        "decode_tps_median": sorted(s["metrics"]["decode_tps"] for s in samples)[len(samples) // 2],
        "ttft_ms_median": ttft[len(ttft) // 2],
    }


# ---- report -------------------------------------------------------------------------------------
def _commit(path: Path) -> str:
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        return subprocess.check_output(
            ["git", "-C", str(path), "rev-parse", "--short=12", "HEAD"], text=True
        ).strip()
    return "unknown"


def measure(label: str, n: int, only: str) -> dict[str, Any]:
    import bench
    from bench.measure import sysmon

    tree = Path(bench.__file__).resolve().parent.parent
    out: dict[str, Any] = {
        "label": label,
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "tree": "this checkout" if tree == REPO else f"{tree} (an export of an older commit)",
        "commit": _commit(REPO) if tree == REPO else "see the label",
        "hardware": {k: sysmon.hardware()[k] for k in ("processor", "cpu_count_logical", "os", "python")},
        "load_average": os.getloadavg(),
    }
    with tempfile.TemporaryDirectory() as d, server(16, 0) as url:
        tmp = Path(d)
        _runner(url, 4, tmp / "warm.db", 16).run()  # imports and the first connection, not measured
        out["throughput"] = [throughput(url, n, tmp) for _ in range(3)]
        if only != "throughput":
            out["profile"] = profile(url, n, tmp)
    if only != "throughput":
        with tempfile.TemporaryDirectory() as d, server(32, 10) as url:
            out["agreement"] = {
                "kernel": agreement(url, 40, Path(d), sampled=False),
                "sampled": agreement(url, 40, Path(d), sampled=True),
            }
    return out


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "# Runner overhead per request",
        "",
        "Written by `benchmarks/runner_overhead.py` (method in its docstring). A stub OpenAI-compatible server in"
        " a child process answers 16 tokens at once; `run_benchmark`'s runner, SQLite store and memory probe do"
        " the rest. *Outside* = (wall time - sum of end-to-end) / n: what the runner spends per request outside"
        " the timed window. Three passes per label.",
        "",
        "| label | when | commit | req/s (3 passes) | outside the timed window, ms/request | SQLite connections"
        " opened | memory basis |",
        "|---|---|---|---|---|---:|---|",
    ]
    for r in results.values():
        passes = r["throughput"]
        lines.append(
            f"| {r['label']} | {r['when']} | {r['commit']} | "
            + ", ".join(f"{p['requests_per_s']:.0f}" for p in passes)
            + " | "
            + ", ".join(f"{p['outside_ms_per_request']:.2f}" for p in passes)
            + f" | {passes[-1]['connections']} for {passes[-1]['n']} requests | {', '.join(passes[-1]['basis'])} |"
        )
    lines += [
        "",
        "*before*: commit 329119e's `bench/` exported (`git archive`) and run through this script with"
        " `PYTHONPATH` pointing at it; its memory peak was sampled by a thread (no basis was recorded then,"
        " hence None), with psutil process-tree scans per request and a connection per store operation (two"
        " per request). The issue measured about 75 req/s on another 2-core machine; rows here differ by the"
        " machine's load at the time (the load average below), so compare ms/request within a row's passes.",
    ]
    last = list(results.values())[-1]
    hw = last["hardware"]
    lines += ["", f"Machine: {hw['processor']}, {hw['cpu_count_logical']} logical CPUs, {hw['os']}, Python"
              f" {hw['python']}; load average at the start of the last label: "
              + ", ".join(f"{x:.1f}" for x in last["load_average"]) + " (a shared machine)."]  # fmt: skip
    for r in results.values():
        if "agreement" in r:
            lines += _agreement_md(r)
        if "profile" in r:
            lines += ["", f"## Profile of one pass ({r['label']}), the most own time first", "", "```",
                      r["profile"], "```"]  # fmt: skip
    return "\n".join(lines) + "\n"


def _agreement_md(r: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"## Decode rate: ours vs the server's own ({r['label']})",
        "",
        "The stub waits 10 ms per token (32 tokens) and reports `timings.predicted_per_second` as llama-server"
        " does; per warm sample, how far our decode rate is from it. *kernel*: peak memory from VmHWM, nothing"
        " runs during the request; *sampled*: the 50 ms RSS thread forced on. No llama-server here: the stub's"
        " own rate stands in for it.",
        "",
        "| memory basis | n | within 1% | max abs diff | mean diff | decode tok/s (median) | TTFT ms (median) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, a in r["agreement"].items():
        lines.append(
            f"| {name} | {a['n']} | {a['within_1pct']}/{a['n']} | {a['max_abs_pct']:.2f}% | {a['mean_pct']:+.2f}% |"
            f" {a['decode_tps_median']:.1f} | {a['ttft_ms_median']:.2f} |"
        )
    return lines


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), float(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", required=True)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--only", choices=["all", "throughput"], default="all")
    args = parser.parse_args()
    results = json.loads(JSON.read_text()) if JSON.exists() else {}
    results[args.label] = measure(args.label, args.requests, args.only)
    JSON.write_text(json.dumps(results, indent=1) + "\n")
    MD.write_text(markdown(results))
    print(MD.read_text())


if __name__ == "__main__":
    threading.current_thread().name = "runner-overhead"
    main()
