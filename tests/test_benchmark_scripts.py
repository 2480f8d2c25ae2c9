"""Every benchmark script still starts: its imports resolve and its ``--help`` exits 0.

Benchmarks run by hand (they time things, so they are not in the suite), which is exactly why an
import broken by a refactor would otherwise go unnoticed until someone needs the numbers.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = sorted(
    p
    for p in (Path(__file__).resolve().parent.parent / "benchmarks").glob("*.py")
    if "--help" in p.read_text(encoding="utf-8") or "argparse" in p.read_text(encoding="utf-8")
)


def test_there_are_benchmark_scripts() -> None:
    assert len(SCRIPTS) >= 5, [p.name for p in SCRIPTS]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_benchmark_script_starts(script: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage" in done.stdout.lower()


def test_the_suite_benchmark_reads_pytests_summary() -> None:
    """benchmarks/suite.py records what pytest said; a run that failed keeps its failed tests' ids."""
    from benchmarks.suite import parse

    green = "...\n======================= 1081 passed in 244.69s (0:04:04) =======================\n"
    assert parse(green) == {"counts": {"passed": 1081}, "pytest_s": 244.69, "failed_tests": []}
    red = (
        "FAILED tests/test_browser.py::test_quick_benchmark_in_a_real_browser - AssertionError: blank\n"
        "====== 1 failed, 1079 passed, 2 skipped in 301.5s (0:05:01) ======\n"
    )
    said = parse(red)
    assert said["counts"] == {"failed": 1, "passed": 1079, "skipped": 2}
    assert said["failed_tests"] == ["tests/test_browser.py::test_quick_benchmark_in_a_real_browser"]
    assert parse("make: *** [test] Error 2\n")["pytest_s"] is None  # no summary: pytest never ended
