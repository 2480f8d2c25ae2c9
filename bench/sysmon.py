"""Resource readings: resident memory of the process that runs the model, disk size, hardware.

In-process backends run the model in our own process, so its RSS is ours; for an HTTP backend we
can only read the server's memory when it runs on this machine and we know its pid. A background
sampler keeps the peak during a request, because RSS at the end of a request misses the
transient KV-cache and activation buffers.
"""

from __future__ import annotations

import os
import platform
import threading
from pathlib import Path
from typing import Any

import psutil


def dir_size(path: str | Path) -> int | None:
    """Bytes of every regular file under ``path`` (a model folder), or None if it is missing."""
    root = Path(path)
    if not root.exists():
        return None
    if root.is_file():
        return root.stat().st_size
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file() and not f.is_symlink())


def rss_bytes(pid: int | None = None) -> int | None:
    try:
        return psutil.Process(pid or os.getpid()).memory_info().rss
    except (psutil.Error, OSError):
        return None


class PeakRss:
    """Samples a process's RSS every ``interval`` seconds while active; ``peak`` is the maximum."""

    def __init__(self, pid: int | None = None, interval: float = 0.05) -> None:
        self.pid = pid or os.getpid()
        self.interval = interval
        self.peak = rss_bytes(self.pid)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            value = rss_bytes(self.pid)
            if value is not None and (self.peak is None or value > self.peak):
                self.peak = value

    def __enter__(self) -> PeakRss:
        self._thread = threading.Thread(target=self._loop, name="peak-rss", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        final = rss_bytes(self.pid)
        if final is not None and (self.peak is None or final > self.peak):
            self.peak = final


def hardware() -> dict[str, Any]:
    """What a reader of a report needs to compare numbers across machines."""
    freq = psutil.cpu_freq()
    return {
        "machine": platform.machine(),
        "processor": _cpu_model() or platform.processor(),
        "cpu_count_logical": psutil.cpu_count(logical=True),
        "cpu_count_physical": psutil.cpu_count(logical=False),
        "cpu_mhz_max": round(freq.max) if freq and freq.max else None,
        "memory_total_bytes": psutil.virtual_memory().total,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "gpu": _gpu_names(),
    }


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _gpu_names() -> list[str]:
    """NVIDIA GPUs through NVML when the library is there; empty on CPU-only machines."""
    try:
        import pynvml  # type: ignore[import-not-found]

        pynvml.nvmlInit()
        return [
            pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(i))
            for i in range(pynvml.nvmlDeviceGetCount())
        ]
    except Exception:
        return []
