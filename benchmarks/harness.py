"""Is the load generator the bottleneck? SLM Bench's ``bench.load.engine`` vs guidellm, same server, same session.

Both drive the same stdlib OpenAI-compatible server (``benchmarks/stub_openai.py``, in its own
process, answering instantly with ``--tokens`` streamed chunks) at each level:

- closed loop, N requests in flight: the highest request rate each tool reaches;
- open loop, Poisson arrivals at R requests/s: the rate actually achieved, and the gap between when
  each request was *scheduled* and when it was *sent* (p50 / p99) — the harness's own lag.

guidellm is installed from PyPI into its own venv (``--guidellm-venv``, default
``/tmp/slm-bench-guidellm``) the first time; its per-request ``targeted_start`` / ``request_start``
timings give the same gap. Rates are computed identically for both: successful requests divided by
the time from the first scheduled start to the last end.

Usage (on a quiet machine; it takes several minutes)::

    .venv/bin/python benchmarks/harness.py --write benchmarks/harness.md
    .venv/bin/python benchmarks/harness.py --requests 50 --concurrency 1,4 --rates 50   # a quick try
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.inputs.config import PromptItem  # noqa: E402
from bench.load.engine import Engine, Level, run_level  # noqa: E402
from bench.measure.provenance import git_commit, package_versions  # noqa: E402

GUIDELLM = "guidellm==0.8.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_stub(tokens: int) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "stub_openai.py"),
            "--port",
            str(port),
            "--tokens",
            str(tokens),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    url = proc.stdout.readline().strip() if proc.stdout else ""
    if not url.startswith("http"):
        raise RuntimeError("the stub server did not start")
    return proc, url


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _row(tool: str, level: str, ok: int, n: int, span_s: float, lags_s: list[float]) -> dict[str, Any]:
    return {
        "tool": tool,
        "level": level,
        "ok": ok,
        "requests": n,
        "requests_per_s": ok / span_s if span_s > 0 else None,
        "lag_p50_ms": (_pct(lags_s, 50) or 0) * 1000,
        "lag_p99_ms": (_pct(lags_s, 99) or 0) * 1000,
    }


# ---- SLM Bench ------------------------------------------------------------------------------------
def slm_bench(url: str, levels: list[Level], requests: int, tokens: int) -> list[dict[str, Any]]:
    prompts = [PromptItem(id=f"p{i}", prompt=f"Say hello number {i}.") for i in range(50)]
    engine = Engine(url, "stub", prompts, max_tokens=tokens)
    run_level(engine, Level("concurrency", 1), 20, None)  # warm the code paths, as guidellm warms up too
    rows = []
    for level in levels:
        records, _ = run_level(engine, level, requests, None, seed=42)
        ok = [r for r in records if not r.error]
        start = min(r.scheduled_ns for r in records)
        end = max(r.end_ns for r in ok) if ok else start
        rows.append(
            _row(
                "SLM Bench",
                level.label,
                len(ok),
                len(records),
                (end - start) / 1e9,
                [r.lag_s for r in records],
            )
        )
        print(f"SLM Bench {level.label}: {rows[-1]}", file=sys.stderr, flush=True)
    return rows


# ---- guidellm -------------------------------------------------------------------------------------
def guidellm_bin(venv: Path) -> Path:
    exe = venv / "bin" / "guidellm"
    if not exe.exists():
        print(f"installing {GUIDELLM} into {venv} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", GUIDELLM], check=True)
    return exe


def guidellm(exe: Path, url: str, levels: list[Level], requests: int, tokens: int) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="harness-guidellm-") as tmp:
        data = Path(tmp) / "data.json"
        data.write_text(json.dumps([{"prompt": f"Say hello number {i}."} for i in range(requests + 100)]))
        for kind in ("concurrency", "rate"):
            values = [lv.value for lv in levels if lv.kind == kind]
            if not values:
                continue
            out = Path(tmp) / f"{kind}.json"
            profile, key = ("concurrent", "streams") if kind == "concurrency" else ("poisson", "rate")
            joined = ",".join(f"{v:g}" for v in values)
            cmd = [
                str(exe), "run",
                "--backend", f"kind=openai_http,target={url.removesuffix('/v1')},model=stub",
                "--profile", f"kind={profile},{key}={values[0]:g}",
                "--override", f"profile.{key}", joined,
                "--constraint", f"kind=max_requests,count={requests}",
                "--data", f"kind=json_file,path={data}",
                "--output", f"kind=json,path={out}",
                "--disable-console",
            ]  # fmt: skip
            print("guidellm:", " ".join(cmd[1:]), file=sys.stderr, flush=True)
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for bench, value in zip(json.loads(out.read_text())["benchmarks"], values, strict=True):
                ok = bench["requests"]["successful"]
                # a request guidellm never stamped (targeted_start/request_start 0 or missing: seen at
                # 800/s) has no lag to read; it is counted apart instead of becoming a 1e12 ms "lag"
                stamped = [r["info"]["timings"] for r in ok]
                t = [
                    x
                    for x in stamped
                    if x.get("targeted_start") and x.get("request_start") and x.get("request_end")
                ]
                n = (
                    len(ok)
                    + len(bench["requests"].get("errored") or [])
                    + len(bench["requests"].get("incomplete") or [])
                )
                span = max(x["request_end"] for x in t) - min(x["targeted_start"] for x in t) if t else 0
                label = Level(kind, value).label
                lags = [max(0.0, x["request_start"] - x["targeted_start"]) for x in t]
                rows.append(_row("guidellm", label, len(t), n, span, lags))
                rows[-1]["unstamped"] = len(stamped) - len(t)
                print(f"guidellm {label}: {rows[-1]}", file=sys.stderr, flush=True)
    return rows


# ---- report ---------------------------------------------------------------------------------------
def markdown(meta: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    by = {(r["tool"], r["level"]): r for r in rows}
    levels = list(dict.fromkeys(r["level"] for r in rows))

    def cell(tool: str, level: str) -> tuple[str, str]:
        r = by.get((tool, level))
        if not r:
            return "n/a", "n/a"
        return (
            f"{r['requests_per_s']:.0f} ({r['ok']}/{r['requests']})",
            f"{r['lag_p50_ms']:.2f} / {r['lag_p99_ms']:.2f}",
        )

    lines = [
        "# The harness is not the bottleneck: SLM Bench vs guidellm against an instant server",
        "",
        f"Measured {meta['date']} with `benchmarks/harness.py` (commit `{meta['git_commit'][:12]}`) on"
        f" {meta['cpu']} ({meta['cores']} cores), load average before: {meta['loadavg']}.",
        f"Server: `benchmarks/stub_openai.py` in its own process, {meta['tokens']} streamed tokens per answer,"
        f" no delay. {meta['requests']} requests per level and tool; guidellm {meta['guidellm']},"
        f" SLM Bench's `bench.load.engine` (asyncio + httpx {meta['packages'].get('httpx', '?')}).",
        "",
        "Requests/s = successful requests / (last end - first scheduled start), the same for both tools.",
        "Send lag = sent - scheduled per request (closed loop: scheduled when a slot frees; open loop: the",
        "Poisson arrival time). guidellm's from its `targeted_start` and `request_start` timings.",
        "",
        "| level | SLM Bench req/s (ok/n) | SLM Bench lag p50 / p99 ms | guidellm req/s (ok/n) | guidellm lag p50 / p99 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for level in levels:
        a, b = cell("SLM Bench", level)
        c, d = cell("guidellm", level)
        lines.append(f"| {level} | {a} | {b} | {c} | {d} |")
    best = {
        t: max((r["requests_per_s"] or 0 for r in rows if r["tool"] == t), default=0)
        for t in ("SLM Bench", "guidellm")
    }
    worst_lag = max((r["lag_p99_ms"] for r in rows if r["tool"] == "SLM Bench"), default=0)
    over = [r["level"] for r in rows if r["tool"] == "SLM Bench" and r["lag_p99_ms"] >= 5]
    unstamped = [f"{r['level']}: {r['unstamped']}" for r in rows if r.get("unstamped")]
    if unstamped:
        lines += [
            "",
            "guidellm reported some successful requests without scheduling timestamps; they are left out of its"
            f" rate and lag (and of its ok count): {', '.join(unstamped)}.",
        ]
    lines += [
        "",
        f"Highest rate: SLM Bench {best['SLM Bench']:.0f} req/s, guidellm {best['guidellm']:.0f} req/s."
        f" Worst SLM Bench send-lag p99 over all levels: {worst_lag:.2f} ms (aim: under 5 ms)."
        + (
            f" Levels over the aim: {', '.join(over)}: a late send here is the client's own pause (before `bench.load.engine` froze the"
            " pre-level heap out of the garbage collector's scans, a full collection made the p99 40 ms at"
            " 800/s)."
            if over
            else " Every level meets the aim."
        ),
        "",
        "Both tools and the server share the same cores, so these are the numbers of this machine in this session:"
        " compare the two columns, not the absolute values across machines.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per level and tool")
    parser.add_argument("--concurrency", default="1,2,4,8,16,32")
    parser.add_argument("--rates", default="100,200,400,800")
    parser.add_argument("--tokens", type=int, default=16)
    parser.add_argument("--guidellm-venv", type=Path, default=Path("/tmp/slm-bench-guidellm"))
    parser.add_argument("--skip-guidellm", action="store_true")
    parser.add_argument(
        "--write", type=Path, help="write the Markdown here (and the raw rows next to it as .json)"
    )
    args = parser.parse_args()
    levels = [Level("concurrency", float(v)) for v in args.concurrency.split(",") if v]
    levels += [Level("rate", float(v)) for v in args.rates.split(",") if v]
    exe = None if args.skip_guidellm else guidellm_bin(args.guidellm_venv)
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "git_commit": git_commit(),
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "tokens": args.tokens,
        "requests": args.requests,
        "guidellm": "not run" if exe is None else GUIDELLM.split("==")[1],
        "packages": package_versions(),
    }
    from bench.measure.sysmon import hardware

    meta["cpu"] = hardware().get("processor") or meta["cpu"]
    stub, url = start_stub(args.tokens)
    try:
        time.sleep(0.5)
        rows = slm_bench(url, levels, args.requests, args.tokens)
        if exe is not None:
            rows += guidellm(exe, url, levels, args.requests, args.tokens)
    finally:
        stub.terminate()
        stub.wait(timeout=10)
    text = markdown(meta, rows)
    if args.write:
        args.write.write_text(text, encoding="utf-8")
        args.write.with_suffix(".json").write_text(
            json.dumps({"meta": meta, "rows": rows}, indent=1), encoding="utf-8"
        )
        print(f"wrote {args.write}", file=sys.stderr)
    else:
        print(text)


if __name__ == "__main__":
    main()
