"""Foundry Local's web service in a child process (``python -m bench serve``), for tests and the app.

The SDK's manager is a process-wide singleton configured once, so a process that already uses
Foundry Local in-process cannot also serve: :func:`start_service_process` launches a fresh one,
waits until it lists the models and returns a :class:`ServiceHandle` that stops it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench import paths
from bench.acquire.ports import base_url, port_in_use
from bench.acquire.service_snapshot import DEFAULT_PORT, ServedModel, resolve_models, service_cache_dir
from bench.errors import BenchError


@dataclass
class ServiceHandle:
    """A running ``python -m bench serve`` child process."""

    process: subprocess.Popen[bytes]
    base_url: str
    models: list[ServedModel]
    log_path: Path

    @property
    def model_ids(self) -> list[str]:
        return [m.model_id for m in self.models]

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 15.0, clean: bool = True) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; returns the exit status.

        ``clean`` removes the service's cache folder (links, snapshot, logs, this output): a
        later serve on the same port writes it afresh anyway.
        """
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if clean:
            shutil.rmtree(self.log_path.parent, ignore_errors=True)
        return self.process.returncode

    def __enter__(self) -> ServiceHandle:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


@contextlib.contextmanager
def _home(home: str | Path | None) -> Iterator[None]:
    """``SLM_BENCH_HOME`` set to ``home`` for the duration (unchanged when None)."""
    if home is None:
        yield
        return
    old = os.environ.get("SLM_BENCH_HOME")
    os.environ["SLM_BENCH_HOME"] = str(home)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SLM_BENCH_HOME", None)
        else:
            os.environ["SLM_BENCH_HOME"] = old


def _listed(url: str) -> set[str] | None:
    import httpx

    try:
        response = httpx.get(f"{url}/models", timeout=5)
        return {str(m.get("id")) for m in response.json().get("data", [])}
    except (httpx.HTTPError, ValueError, AttributeError):
        return None


def start_service_process(
    models: list[str],
    port: int = DEFAULT_PORT,
    host: str = "127.0.0.1",
    home: str | Path | None = None,
    load: bool = False,
    timeout: float = 120.0,
) -> ServiceHandle:
    """Launch ``python -m bench serve MODELS --port PORT`` and wait until it lists the models.

    ``home`` is the data folder the child uses (default: this process's). Raises a
    :class:`~bench.errors.BenchError` with the tail of the child's output when it exits early or is
    not ready within ``timeout`` seconds.
    """
    with _home(home):
        served = resolve_models(models)  # fail here, with a clear error, on an unknown name
    if port_in_use(host, port):
        raise BenchError(f"{host}:{port}", "the port is already in use", "pass another port")
    env = dict(os.environ)
    if home is not None:
        env["SLM_BENCH_HOME"] = str(home)
    cmd = [sys.executable, "-m", "bench", "serve", *models, "--port", str(port), "--host", host]
    cmd.append("--load" if load else "--no-load")  # serve loads by default; a benchmark times the load itself
    with _home(home):
        log_path = service_cache_dir(port) / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=paths.REPO_ROOT)
    handle = ServiceHandle(process, base_url(host, port), served, log_path)
    deadline = time.monotonic() + timeout
    want = set(handle.model_ids)
    while True:
        if process.poll() is not None:
            tail = handle.log_tail()
            handle.stop()
            raise BenchError(
                f"serve {' '.join(models)} (port {port})",
                f"the service exited with status {process.returncode} before it was ready:\n{tail}",
                "run `python -m bench serve` by hand to see the whole output",
            )
        listed = _listed(handle.base_url)
        if listed is not None and want <= listed:
            return handle
        if time.monotonic() > deadline:
            tail = handle.log_tail()
            handle.stop()
            raise BenchError(
                f"serve {' '.join(models)} (port {port})",
                f"not ready after {timeout:.0f}s (GET /v1/models listed {sorted(listed or [])}):\n{tail}",
                "see the output above; the machine may be busy, or the SDK may have changed",
            )
        time.sleep(0.2)
