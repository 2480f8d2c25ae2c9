"""The first start: the default model is made ready in the background while Home is already up.

``make app`` starts the app as soon as the runtime venv exists and builds the conversion venv
(torch, transformers, the ONNX Runtime GenAI builder) in the background, writing its output to
the file named by ``SLM_BENCH_BUILD_ENV_LOG`` and ending it with ``exit <status>``. Home starts
this job when the default model is not converted yet: it waits for that build, then fetches,
converts and registers the model (``bench.acquire.importer.ensure_default_model``), with
progress; the quick benchmark is enabled when it is done. A job rather than a step in front of
the server: a person sees the page (and what is being prepared) at once instead of a terminal.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from bench import paths
from bench.acquire import importer
from bench.acquire import sources as model_sources
from bench.acquire.sources import DEFAULT_MODEL
from bench.errors import BenchError
from ui.jobs import Job, registry

BUILD_LOG_ENV = "SLM_BENCH_BUILD_ENV_LOG"
KIND = "prepare"
WAIT_S = 30 * 60  # a first build that downloads torch on a slow line
POLL_S = 1.0
_STARTED: dict[str, str] = {}  # data folder -> its preparation job's id (one per server process)


def build_env_state() -> tuple[str, str]:
    """``(state, text)``: ``ready``, ``building`` (text: its last line), ``failed`` (text: its last
    lines) or ``missing`` (no conversion environment and none being built)."""
    log = os.environ.get(BUILD_LOG_ENV)
    if log:
        path = Path(log)
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []
        lines = [line for line in lines if line.strip()]
        last = lines[-1] if lines else "starting"
        if last.startswith("exit "):
            return ("ready", "") if last.strip() == "exit 0" else ("failed", "\n".join(lines[-15:]))
        return "building", last
    return ("ready", "") if paths.build_python().exists() else ("missing", "")


def default_model_ready() -> bool:
    """The default model's converted folder is there and complete (registering it takes a second)."""
    source = importer.resolve_source(DEFAULT_MODEL)
    return importer.is_complete(importer.model_dir(DEFAULT_MODEL), source.sha256, "int4")


def _wait_for_build_env(job: Job) -> bool:
    """Block until the conversion environment is built; False when the job was cancelled."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        state, text = build_env_state()
        if state == "ready":
            return True
        if state == "failed":
            raise BenchError(
                "make build-env",
                f"the model-conversion environment did not build; its log ends with:\n{text}",
                f"see {os.environ.get(BUILD_LOG_ENV)}, fix the cause and run `make build-env`",
            )
        if state == "missing":
            raise BenchError(
                str(paths.build_python()),
                "the model-conversion environment is missing",
                "run `make app` (it builds it in the background) or `make build-env`",
            )
        if job.cancel.is_set():
            return False
        job.on_stage(
            f"Building the model-conversion environment (once; torch, transformers): {text[-120:]}", None
        )
        time.sleep(POLL_S)
    raise BenchError("make build-env", f"still building after {WAIT_S // 60} minutes", "see its log")


def _work(job: Job) -> dict[str, Any] | None:
    name = DEFAULT_MODEL
    if not default_model_ready():
        # the download needs no conversion environment: fetch (sha256-checked) while it still builds,
        # so only the conversion waits for it
        model_sources.fetch_gguf(name, progress=lambda stage, f: job.on_stage(f"Fetching {name}: {stage}", f))
        if not _wait_for_build_env(job):
            return None
    job.on_stage(f"Preparing {name}…", None)
    importer.ensure_default_model(progress=job.on_stage)
    job.on_stage(f"{name} is ready", 1.0)
    return {"model": name}


def preparing() -> Job | None:
    """This data folder's preparation job (running or finished), if one was started."""
    return registry().get(_STARTED.get(str(paths.data_dir())))


def start_if_needed() -> Job | None:
    """Start preparing the default model once per data folder when it is not ready and nothing else
    runs; return the preparation job (new or earlier) or None when none was needed."""
    job = preparing()
    if job is not None or not os.environ.get(BUILD_LOG_ENV):
        return job  # started by hand (not `make app`): the quick benchmark imports the model itself
    if default_model_ready() or registry().active() is not None:
        return None
    job = registry().start(KIND, f"Preparing the default model {DEFAULT_MODEL}", _work, changes_models=True)
    _STARTED[str(paths.data_dir())] = job.id
    return job
