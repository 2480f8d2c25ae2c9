"""A real, throwaway PostgreSQL server for the tests (Debian's ``postgresql`` package).

``initdb`` + ``pg_ctl`` in a temporary folder on a free port, trust authentication on 127.0.0.1
only. PostgreSQL refuses to run as root, so when the tests run as root its tools run as the
``postgres`` user (``runuser``), which the Debian package creates. ``make test`` installs the
package the way it installs Chromium.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from bench.acquire.ports import free_port


def bindir() -> Path:
    """Folder of ``initdb``/``pg_ctl`` (``pg_config --bindir``, else Debian's versioned folder)."""
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
        path = Path(out.stdout.strip())
        if (path / "pg_ctl").exists():
            return path
    except (OSError, subprocess.CalledProcessError):
        pass
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not found:
        raise RuntimeError(
            "PostgreSQL is not installed: run `apt-get install -y postgresql` (make test does)"
        )
    return found[-1].parent


class PgServer:
    """One cluster: ``start``, ``stop``, ``restart``, and a fresh database per test (``new_db``)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="slm-bench-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self._started = False
        self.user = "bench"
        self.bin = bindir()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", self.user, "--no-sync", "-E", "UTF8")

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bin / tool), *args]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stdout}\n{done.stderr}")

    def start(self) -> None:
        """Start the server; on its first start a port another process took meanwhile is swapped for a new one.

        The port was free when picked, before ``initdb`` ran for seconds: another xdist worker's server
        (binding port 0) may hold it by now. A restart keeps its port, since the tests hold its URL."""
        for attempt in range(5):
            opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
            try:
                self._run(
                    "pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.dir / "log"), "-w", "start"
                )
            except RuntimeError:
                log = self.dir / "log"
                taken = log.exists() and "already in use" in log.read_text(errors="replace")
                if not taken or self._started or attempt == 4:
                    raise
                self.port = free_port()
                continue
            self._started = True
            return

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def new_db(self) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{name}"

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):  # already stopped
            self.stop()
        for _ in range(3):
            shutil.rmtree(self.dir, ignore_errors=True)
            if not self.dir.exists():
                return
            time.sleep(0.2)
