"""Ending a child process a test started: politely first (SIGTERM), then for sure (SIGKILL)."""

from __future__ import annotations

import subprocess


def end(proc: subprocess.Popen[bytes] | subprocess.Popen[str], grace_s: float = 20.0) -> None:
    """Terminate ``proc``; kill it when it has not exited within ``grace_s`` seconds; reap it either way."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
