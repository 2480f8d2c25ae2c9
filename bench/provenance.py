"""What a run records about where its numbers came from: code version, packages, hardware."""

from __future__ import annotations

import subprocess
from importlib import metadata
from typing import Any

from bench import __version__, paths, sysmon

PACKAGES = (
    "foundry-local-sdk",
    "onnxruntime",
    "onnxruntime-genai-core",
    "openai",
    "httpx",
    "numpy",
    "pandas",
    "streamlit",
    "altair",
    "pydantic",
    "psycopg",
    "psutil",
)


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


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def run_meta() -> dict[str, Any]:
    """Stored with every run: ``machine`` is the fingerprint Results and Compare group by."""
    from bench import machine

    packages = package_versions()
    return {
        "slm_bench_version": __version__,
        "git_commit": git_commit(),
        "packages": packages,
        "hardware": sysmon.hardware(),
        "machine": machine.fingerprint(packages),
    }
