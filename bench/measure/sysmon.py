"""Resource readings: resident memory of the process that runs the model, disk size, hardware.

In-process backends run the model in our own process, so its RSS is ours; for an HTTP backend we
can only read the server's memory when it runs on this machine and we know its pid. RSS at the end
of a request misses the transient KV-cache and activation buffers, so the peak during a request
comes from the kernel's own high-water mark where Linux keeps one (``VmHWM``, reset by writing
``5`` to ``/proc/PID/clear_refs``): no transient escapes it, whatever the scheduler does. Elsewhere
(another OS, a process we may not reset) a background thread samples RSS every 50 ms, which can
miss a short peak; each figure says which basis it has.
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

#: the two ways a peak is known (stored with every sample and in ``run_models.rss_source``)
BASIS_KERNEL = "kernel high-water mark (VmHWM, reset per request)"
BASIS_SAMPLED = "sampled every 50 ms (can miss a short peak)"


def hwm_bytes(pid: int) -> int | None:
    """The kernel's peak resident set of ``pid`` since its last reset (``VmHWM``), None if unreadable."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def reset_hwm(pid: int) -> bool:
    """Set ``pid``'s high-water mark to its current RSS; False where Linux (or permission) says no.

    Writing ``5`` to ``clear_refs`` only resets the mark: it does not touch page tables, so it
    costs a system call, not a walk of the process's memory.
    """
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class ProcessTree:
    """The pids of a process and its descendants, kept between requests.

    ``psutil``'s ``children(recursive=True)`` reads every process's stat file in ``/proc`` (a few
    ms); a server's tree rarely changes, so the list is cached and refreshed from the tree's own
    ``/proc/PID/task/TID/children`` files (only its own threads are read), falling back to psutil
    where the kernel has no such file.
    """

    def __init__(self, root: int, tree: bool = True) -> None:
        self.root = root
        self.tree = tree
        self._pids: list[int] | None = None

    def pids(self) -> list[int]:
        """The cached pids (read once on first use)."""
        return self._pids if self._pids is not None else self.refresh()

    def refresh(self) -> list[int]:
        """Read the tree again: a child may have started or ended (empty if the root is gone)."""
        if not psutil.pid_exists(self.root):
            self._pids = []
        elif not self.tree:
            self._pids = [self.root]
        elif os.path.isdir("/proc/self/task"):
            self._pids = _descendants(self.root)
        else:
            self._pids = _descendants_psutil(self.root)
        return self._pids


def _descendants(root: int) -> list[int]:
    """``root`` and every descendant, from the children files; psutil where they are missing."""
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue  # it ended between the reads
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                    todo.extend(int(c) for c in f.read().split())
            except FileNotFoundError:
                if os.path.isdir(f"/proc/{pid}/task/{tid}"):
                    return _descendants_psutil(root)  # a kernel built without the children files
            except OSError:
                continue
    return out


def _descendants_psutil(root: int) -> list[int]:
    try:
        return [root, *(c.pid for c in psutil.Process(root).children(recursive=True))]
    except (psutil.Error, OSError):
        return []


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
    """The peak RSS (of a process, or its tree) and GPU memory over one request.

    With ``kernel`` the peak is the sum of each process's ``VmHWM`` after a reset at the start:
    nothing runs during the request (for a tree it is an upper bound when the processes peak at
    different moments). Without it a thread samples RSS every ``interval`` s. GPU memory has no
    kernel mark, so where NVML sees a GPU a thread samples it either way. ``basis`` says which.
    """

    def __init__(
        self,
        pid: int | None = None,
        interval: float = 0.05,
        tree: bool = False,
        processes: ProcessTree | None = None,
        kernel: bool | None = None,
    ) -> None:
        self.pid = pid or os.getpid()
        self.interval = interval
        self.processes = processes or ProcessTree(self.pid, tree)
        self.kernel = reset_hwm(self.pid) if kernel is None else kernel
        self.basis = BASIS_KERNEL if self.kernel else BASIS_SAMPLED
        self.peak: int | None = None
        self.gpu_peak = gpu_used_bytes()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _read(self) -> None:
        if not self.kernel:
            self.peak = _max(self.peak, _rss_sum(self.processes.pids()))
        if self.gpu_peak is not None:
            self.gpu_peak = _max(self.gpu_peak, gpu_used_bytes())

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._read()

    def __enter__(self) -> PeakRss:
        if self.kernel:
            for pid in self.processes.pids():
                reset_hwm(pid)
        else:
            self.peak = _rss_sum(self.processes.pids())
        if not self.kernel or self.gpu_peak is not None:  # something only a thread can watch
            self._thread = threading.Thread(target=self._loop, name="peak-rss", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.kernel:  # a child that started during the request counts from its birth
            marks = [hwm_bytes(pid) for pid in self.processes.refresh()]
            known = [m for m in marks if m is not None]
            self.peak = sum(known) if known else None
        self._read()


def _rss_sum(pids: list[int]) -> int | None:
    """Resident bytes of these processes together; None when none of them could be read."""
    total, seen = 0, False
    for pid in pids:
        with contextlib.suppress(psutil.Error, OSError):
            total += psutil.Process(pid).memory_info().rss
            seen = True
    return total if seen else None


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
    words) when the server already held the model at baseline time or runs elsewhere. The peak's
    basis (kernel high-water mark or sampling) is decided once, here, and written with the source.
    """

    def __init__(self, backend: Any) -> None:
        self.in_process = backend.transport == "in-process"
        self.pid: int | None = backend.server_pid()
        self.tree = not self.in_process
        self.processes = ProcessTree(self.pid, self.tree) if self.pid else None
        self.kernel = self.pid is not None and reset_hwm(self.pid) and hwm_bytes(self.pid) is not None
        self.baseline: int | None = None
        self.gpu_baseline: int | None = None
        self.peak: int | None = None
        self.gpu_peak: int | None = None
        self.comparable = False
        self.note = ""

    @property
    def basis(self) -> str | None:
        """How the peak is known (None for a remote server: it is not known at all)."""
        if self.pid is None:
            return None
        return BASIS_KERNEL if self.kernel else BASIS_SAMPLED

    def take_baseline(self) -> None:
        """Read before the load (after every model this process loaded elsewhere is unloaded)."""
        if self.in_process:
            from bench.backends.loaded import remember_pristine_rss

            self.baseline = remember_pristine_rss()  # not after a Race: unloading keeps some memory
        else:
            self.baseline = _rss_sum(self.processes.refresh()) if self.processes else None
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
            return f"this process (model in-process); peak: {self.basis}"
        n = len(self.processes.refresh()) if self.processes else 0
        tree = f"server pid {self.pid} and its children ({n} process{'' if n == 1 else 'es'} in all)"
        return f"{tree}; peak: {self.basis}" + (", summed over the processes" if n > 1 else "")

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
        sampler: PeakRss | _NoPeak = (
            PeakRss(self.pid, processes=self.processes, kernel=self.kernel) if self.pid else _NoPeak()
        )
        with sampler:
            yield sampler
        self.peak = _max(self.peak, sampler.peak)
        self.gpu_peak = _max(self.gpu_peak, sampler.gpu_peak)


class _NoPeak:
    """A remote server: nothing to sample."""

    peak: int | None = None
    gpu_peak: int | None = None
    basis: str | None = None

    def __enter__(self) -> _NoPeak:
        return self

    def __exit__(self, *_: object) -> None:
        return None


def _max(a: int | None, b: int | None) -> int | None:
    values = [v for v in (a, b) if v is not None]
    return max(values) if values else None
