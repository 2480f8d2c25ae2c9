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
