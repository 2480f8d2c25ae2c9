"""On a fresh clone, build the test home's models in the background while the model-free tests run.

Seen (fresh clone, four xdist workers): the browser, slow and real-model modules start first (they are
the long poles), so all four workers sat in the importer's lock for 60-85 s while one of them
fetched and converted SmolLM2, with some 600 tests that need no model waiting behind them. When the
test home lacks the default model, the controller now starts one builder process (tiny model, then
SmolLM2; the importer's per-model file lock makes a worker that needs a model wait for it, never
build it twice) and every worker puts the modules that need no model first. Whether the home was
cold is decided once, by the controller, and handed to the workers in the environment: xdist
requires every worker to collect the same tests in the same order.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import isolation
import processes
import pytest

COLD = "SLM_BENCH_TEST_COLD_HOME"  # "1": the default model was not built when the session started
MANIFEST = ".slm-bench-import.json"  # written last by the importer: a model folder with it is complete
BUILD = """
import isolation
from bench.acquire import sources
from bench.acquire.importer import ensure_default_model, ensure_tiny_model
ensure_tiny_model()
isolation.seed_default_model(sources.DEFAULT_MODEL)
ensure_default_model()
"""


def _built(name: str) -> bool:
    return any(
        (home / "models" / name / MANIFEST).is_file() for home in (isolation.TEST_HOME, isolation.USER_HOME)
    )


def home_is_cold() -> bool:
    """True when this session's decision says the default model was missing at its start."""
    return os.environ.get(COLD) == "1"


def start(config: pytest.Config) -> subprocess.Popen[bytes] | None:
    """In the controller of a parallel run that needs models: decide cold or not, build if cold."""
    from bench.acquire import sources

    cold = not _built(sources.DEFAULT_MODEL)
    os.environ[COLD] = "1" if cold else "0"  # inherited by the workers, started after this hook
    markexpr = config.option.markexpr or ""
    if not cold or not config.getoption("numprocesses", None) or "not model" in markexpr:
        return None
    log = isolation.TEST_HOME / "logs" / "test-home-build.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    here = Path(__file__).resolve().parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(here), str(here.parent)])}
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-c", BUILD], cwd=here.parent, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def stop(builder: subprocess.Popen[bytes] | None) -> None:
    """End the builder with the session (a run cut short need not wait for a conversion)."""
    if builder is not None:
        processes.end(builder, grace_s=30)
