"""``bench run --repeat N``: the same settings run N times, grouped, so run-to-run noise shows.

Each run is an ordinary run (stored, resumable, reported alone); they share ``meta.repeat`` =
``{"group", "index", "of"}`` and a label ending in ``(repeat i/N)``. After the last one the
between-run spread per model and metric (:mod:`bench.stats.run_noise`) is printed.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from rich.console import Console

from bench.inputs.config import PromptSet, RunSettings
from bench.store.store import Store


def run_repeated(
    store: Store,
    settings: RunSettings,
    prompts: PromptSet,
    repeat: int,
    progress: Callable[..., Any] | None = None,
    cancel: threading.Event | None = None,
    allow_code: bool = False,
) -> tuple[list[str], str]:
    """Run ``settings`` ``repeat`` times; stops at the first run that does not complete.
    Returns (run ids in order, the last run's status). ``allow_code`` is the person's ``--allow-code``."""
    from bench.run.runner import run_benchmark

    if repeat == 1:
        run_id, status = run_benchmark(
            store, settings, prompts, progress=progress, cancel=cancel, allow_code=allow_code
        )
        return [run_id], status
    group = f"rep-{uuid.uuid4().hex[:10]}"
    run_ids: list[str] = []
    status = "completed"
    for index in range(1, repeat + 1):
        label = f"{settings.label} (repeat {index}/{repeat})".strip()
        meta = {"repeat": {"group": group, "index": index, "of": repeat}}
        run_id, status = run_benchmark(
            store, settings.model_copy(update={"label": label}), prompts,
            progress=progress, cancel=cancel, extra_meta=meta, allow_code=allow_code,
        )  # fmt: skip
        run_ids.append(run_id)
        if status != "completed":
            break
    return run_ids, status


def print_noise(store: Store, run_ids: list[str], console: Console) -> None:
    """The between-run spread per model and metric, one line each (nothing for a single run)."""
    if len(run_ids) < 2:
        return
    from bench.stats.aggregates import samples_frame
    from bench.stats.run_noise import run_noise

    for noise in run_noise(samples_frame(store.samples(run_ids))):
        console.print(f"run-to-run noise: {noise.sentence()}", highlight=False, soft_wrap=True)
