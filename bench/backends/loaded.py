"""Every model this process has loaded, wherever it was loaded (a run, the Race, the judge, the
Models page's Load button), so a run can unload them all before it reads its memory baseline.

Without this a model left resident by the Race page would sit in the baseline and the next run's
"memory added by the model" would come out near zero.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

_loaded: dict[tuple[int, str], tuple[Any, str]] = {}
_lock = threading.Lock()


def note_loaded(backend: Any, model: str) -> None:
    """Called by a backend after it loaded ``model`` (in-process, or on a local server)."""
    with _lock:
        _loaded[(id(backend), model)] = (backend, model)


def note_unloaded(backend: Any, model: str) -> None:
    with _lock:
        _loaded.pop((id(backend), model), None)


def loaded_models() -> list[tuple[Any, str]]:
    """``[(backend, model)]`` that this process loaded and has not unloaded."""
    with _lock:
        return list(_loaded.values())


def unload_all() -> list[str]:
    """Unload every model this process loaded (best effort); returns the names unloaded."""
    names = []
    for backend, model in loaded_models():
        with contextlib.suppress(Exception):
            backend.unload(model)
            names.append(model)
        note_unloaded(backend, model)
    release_freed_memory()
    return names


_pristine: list[int] = []


def remember_pristine_rss() -> int | None:
    """This process's RSS before it first loaded any model (read once, then remembered).

    Unloading a model does not give all of its memory back (the runtime's libraries stay mapped,
    the allocator keeps freed pages), so a baseline read after a Race or a judge had a model
    loaded would come out high and the next model's memory low. In-process runs measure against
    this first reading instead; every load calls this before it loads.
    """
    with _lock:
        if not _pristine:
            import psutil

            try:
                _pristine.append(psutil.Process().memory_info().rss)
            except (psutil.Error, OSError):
                return None
        return _pristine[0]


def release_freed_memory() -> None:
    """Give freed heap pages back to the OS (glibc ``malloc_trim``; a no-op elsewhere)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    with contextlib.suppress(OSError, AttributeError):
        if name:
            ctypes.CDLL(name).malloc_trim(0)
