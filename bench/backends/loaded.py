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
    return names
