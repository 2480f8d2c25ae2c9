"""Run the conversion worker in the separate build environment and relay its progress.

The converter (:mod:`bench.acquire.convert_worker`) needs torch and the ONNX Runtime GenAI model
builder, whose onnxruntime conflicts with the SDK's pin, so it runs as a subprocess of the build
venv's python. Its ``PROGRESS <stage> <fraction>`` lines become progress callbacks; everything it
prints goes to a log, and on failure its last meaningful lines go into the error.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import paths
from bench.acquire.progress import Progress, noop
from bench.errors import BenchError

_NOISE = re.compile(r"it/s\]|s/it\]|\d+%\|")  # tqdm bars: useless in an error message


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    root = str(paths.REPO_ROOT)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _build_python() -> Path:
    python = paths.build_python()
    if not python.exists():
        raise BenchError(
            str(python),
            "the model-conversion environment is missing",
            "run `make build-env` (creates .venv-build with onnxruntime-genai, torch and "
            "transformers), or set SLM_BENCH_BUILD_PYTHON to its python",
        )
    return python


def _handle_line(line: str, progress: Progress, tail: deque[str], log: Any) -> None:
    log.write(line + "\n")
    if line.startswith("PROGRESS "):
        parts = line.split()
        if len(parts) >= 3:
            value = parts[-1]
            progress(" ".join(parts[1:-1]), None if value == "-" else float(value))
        return
    if line.strip() and not _NOISE.search(line):
        tail.append(line)


def run_worker(args: list[str], subject: str, progress: Progress = noop) -> None:
    """Run ``python -m bench.acquire.convert_worker ARGS`` in the build venv, relaying its progress.

    Its whole output goes to ``logs/import-<subject>.log``; on failure the last 20 meaningful
    lines are put in the BenchError, so the user sees the real cause without a traceback of ours.
    """
    cmd = [str(_build_python()), "-m", "bench.acquire.convert_worker", *args]
    log_path = paths.foundry_logs_dir() / f"import-{subject}.log"
    tail: deque[str] = deque(maxlen=20)
    with log_path.open("a") as log:
        log.write(f"\n$ {' '.join(cmd)}  # {datetime.now(UTC).isoformat()}\n")
        proc = subprocess.Popen(
            cmd,
            cwd=paths.REPO_ROOT,
            env=_worker_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        try:
            assert proc.stdout is not None
            for raw in proc.stdout:
                _handle_line(raw.rstrip("\n"), progress, tail, log)
            code = proc.wait()
        finally:
            if proc.poll() is None:  # interrupted (Ctrl-C): do not leave a converter running
                proc.kill()
                proc.wait()
    if code != 0:
        raise BenchError(
            subject,
            f"conversion step `{args[0]}` failed (exit {code}); last lines of the converter:\n"
            + "\n".join(f"    {line}" for line in tail),
            f"see the full log in {log_path}; only architectures the ONNX Runtime GenAI builder "
            "supports convert (Llama, Qwen2/3, Mistral, Phi, Gemma 2, SmolLM...)",
        )


def converter_versions() -> dict[str, str]:
    """Versions of the conversion packages, recorded in every manifest."""
    proc = subprocess.run(
        [str(_build_python()), "-m", "bench.acquire.convert_worker", "versions"],
        cwd=paths.REPO_ROOT,
        env=_worker_env(),
        capture_output=True,
        text=True,
    )
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {}
