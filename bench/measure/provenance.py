"""What a run records about where its numbers came from: code version, packages, hardware."""

from __future__ import annotations

import subprocess
from typing import Any

from bench import __version__, paths
from bench.measure import machine, sysmon
from bench.measure.machine import PACKAGES, package_versions

__all__ = ["PACKAGES", "git_commit", "package_versions", "run_meta"]


def git_commit() -> str:
    """HEAD of the SLM Bench checkout, with ``-dirty`` when the tree has uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=paths.REPO_ROOT, capture_output=True, text=True, timeout=5
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=paths.REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}{'-dirty' if dirty else ''}" if head else "unknown"


def run_meta() -> dict[str, Any]:
    """Stored with every run: ``machine`` is the fingerprint Results and Compare group by."""
    packages = package_versions()
    return {
        "slm_bench_version": __version__,
        "git_commit": git_commit(),
        "packages": packages,
        "hardware": sysmon.hardware(),
        "machine": machine.fingerprint(packages),
    }
