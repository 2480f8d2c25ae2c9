"""Resource readings: resident memory of the process that runs the model, disk size, hardware.

In-process backends run the model in our own process, so its RSS is ours; for an HTTP backend we
can only read the server's memory when it runs on this machine and we know its pid. A background
sampler keeps the peak during a request, because RSS at the end of a request misses the
transient KV-cache and activation buffers.
"""

from __future__ import annotations

import contextlib
import os
import platform
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil


def rss_bytes(pid: int | None = None, tree: bool = False) -> int | None:
    """Resident bytes of ``pid`` (default: this process); with ``tree``, plus all its descendants.

    A local server often runs the model in a child (Ollama's runner, a worker process): reading
    only the process that holds the socket would miss the weights.
    """
    try:
        proc = psutil.Process(pid or os.getpid())
        total = proc.memory_info().rss
        if tree:
            for child in proc.children(recursive=True):
                with contextlib.suppress(psutil.Error, OSError):
                    total += child.memory_info().rss
        return total
    except (psutil.Error, OSError):
        return None


def process_tree_size(pid: int) -> int:
    """How many processes the tree under ``pid`` holds (itself included), 0 if it is gone."""
    try:
        return 1 + len(psutil.Process(pid).children(recursive=True))
    except (psutil.Error, OSError):
        return 0


_NO_GPU: list[bool] = []  # remembered once NVML said there is no NVIDIA GPU here


def gpu_used_bytes() -> int | None:
    """GPU memory in use on every NVIDIA device (NVML, ``nvidia-ml-py``); None without one (n/a)."""
    if _NO_GPU:
        return None
    try:
        import pynvml  # type: ignore[import-not-found]

        pynvml.nvmlInit()
        count = pynvml.nvmlDeviceGetCount()
        return sum(
            int(pynvml.nvmlDeviceGetMemoryInfo(pynvml.nvmlDeviceGetHandleByIndex(i)).used)
            for i in range(count)
        )
    except Exception:  # no library, no driver, no device: GPU memory is n/a (asked once)
        _NO_GPU.append(True)
        return None


class PeakRss:
    """Samples RSS (of a process, or its tree) and GPU memory every ``interval`` s while active.

    ``peak`` is the RSS maximum, ``gpu_peak`` the GPU maximum (None where there is no NVIDIA GPU).
    """

    def __init__(self, pid: int | None = None, interval: float = 0.05, tree: bool = False) -> None:
        self.pid = pid or os.getpid()
        self.interval = interval
        self.tree = tree
        self.peak = rss_bytes(self.pid, tree)
        self.gpu_peak = gpu_used_bytes()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _read(self) -> None:
        value = rss_bytes(self.pid, self.tree)
        if value is not None and (self.peak is None or value > self.peak):
            self.peak = value
        if self.gpu_peak is not None:
            gpu = gpu_used_bytes()
            if gpu is not None and gpu > self.gpu_peak:
                self.gpu_peak = gpu

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._read()

    def __enter__(self) -> PeakRss:
        self._thread = threading.Thread(target=self._loop, name="peak-rss", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._read()


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


class MemoryProbe:
    """Memory of the process that runs one model during a run: baseline, peaks and their basis.

    In-process it reads this process; for a local HTTP server the RSS of the server's whole
    process tree; for a remote server nothing (n/a). GPU memory comes from NVML where an NVIDIA
    GPU is present. The figure is marked not comparable (``memory_comparable = 0`` with a note in
    words) when the server already held the model at baseline time or runs elsewhere.
    """

    def __init__(self, backend: Any) -> None:
        self.in_process = backend.transport == "in-process"
        self.pid: int | None = backend.server_pid()
        self.tree = not self.in_process
        self.baseline: int | None = None
        self.gpu_baseline: int | None = None
        self.peak: int | None = None
        self.gpu_peak: int | None = None
        self.comparable = False
        self.note = ""

    def take_baseline(self) -> None:
        """Read before the load (after every model this process loaded elsewhere is unloaded)."""
        if self.in_process:
            from bench.backends.loaded import remember_pristine_rss

            self.baseline = remember_pristine_rss()  # not after a Race: unloading keeps some memory
        else:
            self.baseline = rss_bytes(self.pid, self.tree) if self.pid else None
        self.gpu_baseline = gpu_used_bytes()
        self.peak, self.gpu_peak = self.baseline, self.gpu_baseline

    def after_load(self, already_loaded: bool) -> None:
        if self.pid is None:
            self.comparable, self.note = False, "remote server: its memory cannot be read from this machine"
        elif already_loaded and not self.in_process:
            self.comparable = False
            self.note = (
                "the server already had the model loaded before the baseline, so peak - baseline"
                " leaves out the weights; restart the server without the model to measure it"
            )
        else:
            self.comparable = True
            self.note = (
                "this process: baseline before it first loaded any model (includes the runtime's own memory)"
                if self.in_process
                else f"server pid {self.pid} and its children: baseline before the load, with no other"
                " SLM Bench model loaded"
            )

    def source(self) -> str:
        if self.pid is None:
            return "unavailable (remote server)"
        if self.in_process:
            return "this process (model in-process)"
        n = process_tree_size(self.pid)
        return f"server pid {self.pid} and its children ({n} process{'' if n == 1 else 'es'} in all)"

    def columns(self) -> dict[str, Any]:
        """The ``run_models`` columns known once the model is loaded."""
        return {
            "baseline_rss_bytes": self.baseline,
            "rss_source": self.source(),
            "memory_comparable": int(self.comparable),
            "memory_note": self.note,
            "gpu_baseline_bytes": self.gpu_baseline,
            "gpu_source": "NVML (all NVIDIA devices)"
            if self.gpu_baseline is not None
            else "n/a (no NVIDIA GPU)",
            **self.peaks(),
        }

    def peaks(self) -> dict[str, Any]:
        return {"peak_rss_bytes": self.peak, "gpu_peak_bytes": self.gpu_peak}

    @contextlib.contextmanager
    def sampling(self) -> Iterator[PeakRss | _NoPeak]:
        """Sample during one request; the run's peaks take the request's maxima."""
        sampler: PeakRss | _NoPeak = PeakRss(self.pid, tree=self.tree) if self.pid else _NoPeak()
        with sampler:
            yield sampler
        self.peak = _max(self.peak, sampler.peak)
        self.gpu_peak = _max(self.gpu_peak, sampler.gpu_peak)


class _NoPeak:
    """A remote server: nothing to sample."""

    peak: int | None = None
    gpu_peak: int | None = None

    def __enter__(self) -> _NoPeak:
        return self

    def __exit__(self, *_: object) -> None:
        return None


def _max(a: int | None, b: int | None) -> int | None:
    values = [v for v in (a, b) if v is not None]
    return max(values) if values else None
