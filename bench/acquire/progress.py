"""The one progress type of model acquisition: fetch, hash, convert, register.

``progress(stage, fraction)``: ``stage`` says what is happening in words ("sha256 model.gguf",
"convert to ONNX"), ``fraction`` is 0..1, or None when the stage cannot tell how far it is. The
CLI prints it (``bench.cli.models``), the app draws a bar (``ui.tasks``); every acquisition step
(:mod:`bench.acquire.sources`, :mod:`bench.acquire.worker`, :mod:`bench.acquire.importer`) takes it.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, "float | None"], None]


def noop(stage: str, fraction: float | None) -> None:
    """The progress callback that reports nowhere (the default)."""
