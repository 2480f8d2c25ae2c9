"""Is `make test` green, and how long does it take, on a fresh clone, idle or under load?

Issue 18's goals 2 and 3: the whole suite green on any x86-64 Linux machine, under load, within
5 minutes on 2 cores. This clones the repository (a commit, ``HEAD`` by default) into a temporary
folder, runs ``.ci/run`` there exactly as CI does (it builds the venvs, the browser and the test
home from nothing), optionally beside ``--burners`` processes that each keep one core busy (a
machine doing other work), and records what pytest said: passed, failed, skipped, the failed tests'
ids, pytest's own time and the wall time of the whole ``.ci/run``.

    .venv/bin/python benchmarks/suite.py --write benchmarks/suite.md                # HEAD, idle
    .venv/bin/python benchmarks/suite.py --burners 1 --write benchmarks/suite.md    # one core taken

Each run appends a row to ``benchmarks/suite.json`` and rewrites the table from all rows. A run takes
about 5 minutes on 2 cores; the log of the last one is kept in ``benchmarks/suite-last.log``
(ignored by git).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
ROWS = REPO / "benchmarks" / "suite.json"
LOG = REPO / "benchmarks" / "suite-last.log"
LIMIT_S = 90 * 60  # CI's own limit
#: pytest's last line: "=== 1081 passed, 2 skipped in 244.69s (0:04:04) ==="
SUMMARY = re.compile(r"^=+ (?P<counts>.*?) in (?P<seconds>[\d.]+)s\b.*=+$", re.M)
FAILED = re.compile(r"^FAILED (\S+)", re.M)


def _burn() -> None:
    """Keep one core busy until killed."""
    while True:
        pass


def parse(log: str) -> dict[str, Any]:
    """What pytest said in ``log``: counts per outcome, its seconds, the failed tests' ids."""
    found = list(SUMMARY.finditer(log))
    if not found:
        return {"counts": {}, "pytest_s": None, "failed_tests": FAILED.findall(log)}
    last = found[-1]
    counts: dict[str, int] = {}
    for part in last["counts"].split(", "):
        number, _, outcome = part.partition(" ")
        if number.isdigit():
            counts[outcome] = int(number)
    return {"counts": counts, "pytest_s": float(last["seconds"]), "failed_tests": FAILED.findall(log)}


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def measure(commit: str, burners: int) -> dict[str, Any]:
    """Clone ``commit``, run ``.ci/run`` there beside ``burners`` busy processes; the row for the table."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", commit], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.strip()
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="slm-bench-suite-"))
    burning: list[multiprocessing.Process] = []
    try:
        clone = work / "clone"
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
        subprocess.run(["git", "checkout", "-q", sha], cwd=clone, check=True)
        for _ in range(burners):
            process = multiprocessing.Process(target=_burn, daemon=True)
            process.start()
            burning.append(process)
        print(f"{sha}: .ci/run in {clone} beside {burners} burner(s)…", flush=True)
        start = time.monotonic()
        with LOG.open("w") as out:
            code = subprocess.run(
                ["bash", ".ci/run"], cwd=clone, stdout=out, stderr=subprocess.STDOUT, timeout=LIMIT_S
            ).returncode
        wall = time.monotonic() - start
    finally:
        for process in burning:
            process.kill()
        shutil.rmtree(work, ignore_errors=True)
    said = parse(LOG.read_text(errors="replace"))
    return {
        "commit": sha,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu(),
        "cores": os.cpu_count(),
        "load_before": round(load_before, 2),
        "burners": burners,
        "exit_code": code,
        "wall_s": round(wall, 1),
        **said,
    }


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s"


def table(rows: list[dict[str, Any]]) -> str:
    """The Markdown page: what was run, on what, and one row per run."""
    lines = [
        "# The whole suite on a fresh clone: green, and how long",
        "",
        "Written by `benchmarks/suite.py`: each row clones the commit, runs `.ci/run` exactly as CI does "
        "(venvs, browser and the test home built from nothing) and records pytest's summary. "
        "*Burners* are processes that each keep one core busy beside it, as on a machine doing other "
        "work: on 2 cores, 1 or 2 means one or both cores are also wanted by something else all the "
        "time. *pytest* is pytest's own time; *in all* is the whole `.ci/run`, building included. "
        "*Load* is the 1-minute "
        "load average before the run (a shared machine; a run right after another starts at 4 or more).",
        "",
        "| commit | date | machine | load | burners | result | pytest | in all |",
        "|---|---|---|---:|---:|---|---:|---:|",
    ]
    for row in rows:
        counts = row["counts"]
        said = ", ".join(f"{n:,} {outcome}" for outcome, n in counts.items()) or "no summary"
        if row["failed_tests"]:
            said += ": " + ", ".join(f"`{test}`" for test in row["failed_tests"])
        machine = f"{row['cpu']} ({row['cores']} cores)"
        lines.append(
            f"| `{row['commit']}` | {row['date']} | {machine} | {row['load_before']} | {row['burners']} "
            f"| {said} | {_minutes(row['pytest_s'])} | {_minutes(row['wall_s'])} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commit", default="HEAD")
    parser.add_argument("--burners", type=int, default=0, help="processes that each keep one core busy")
    parser.add_argument("--write", type=Path, help="rewrite this Markdown table from all rows")
    args = parser.parse_args()
    row = measure(args.commit, args.burners)
    rows = json.loads(ROWS.read_text()) if ROWS.exists() else []
    rows.append(row)
    ROWS.write_text(json.dumps(rows, indent=1) + "\n")
    print(json.dumps(row, indent=1))
    if args.write:
        args.write.write_text(table(rows) + kept_sections(args.write))


def kept_sections(page: Path) -> str:
    """The hand-written sections (from the first ``## `` heading on) of an existing page, kept on rewrite."""
    if not page.exists():
        return ""
    text = page.read_text()
    start = text.find("\n## ")
    return "" if start < 0 else text[start:]


if __name__ == "__main__":
    main()
