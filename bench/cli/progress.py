"""Terminal progress for a run: a rich progress bar on a TTY, plain lines otherwise (CI, pipes)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bench.run.runner import Progress as RunProgress


def _describe(p: RunProgress) -> str:
    phase = "warm-up" if p.warmup else f"round {p.round + 1}"
    return f"{p.model} · {p.prompt_id} · {phase}"


class PlainLines:
    """One line per event, nothing fancy: readable in CI logs."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stderr

    def __call__(self, p: RunProgress) -> None:
        if p.event == "sample" and p.sample is not None:
            m = p.sample["metrics"]
            outcome = p.sample.get("outcome") or ("ok" if p.sample["ok"] else "failed")
            result = "ok" if outcome == "ok" else f"{outcome.upper()} {p.sample['error']}"
            tps = f" {m['decode_tps']:.1f} tok/s" if m.get("decode_tps") else ""
            e2e = f"{m['e2e_s']:.3f}s" if m.get("e2e_s") is not None else "n/a"
            text = f"[{p.done}/{p.total}] {_describe(p)}: {e2e}{tps} {result}"
        elif p.event in ("model_loading", "model_loaded", "model_failed"):
            text = f"[{p.done}/{p.total}] {p.model}: {p.event.replace('model_', '')} {p.message}"
        elif p.event == "run_finished":
            text = f"run {p.run_id} {p.status} {p.message}".rstrip()
        elif p.event in ("retry", "model_unload_failed"):
            text = f"[{p.done}/{p.total}] {p.model}: {p.event.replace('_', ' ')}: {p.message}"
        else:
            text = f"run {p.run_id} started: {p.total} requests"
        print(text, file=self.stream, flush=True)


class RichBar:
    """A live bar with the current model/prompt/round and time remaining."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        self.task: Any = None

    def __call__(self, p: RunProgress) -> None:
        if self.task is None:
            self.bar.start()
            self.task = self.bar.add_task("starting", total=p.total, completed=p.done)
        if p.event == "sample":
            self.bar.update(self.task, completed=p.done, description=_describe(p))
        elif p.event == "model_failed":
            self.bar.update(self.task, completed=p.done)
            self.console.print(f"[red]{p.model} failed:[/red] {p.message}")
        elif p.event == "model_loading":
            self.bar.update(self.task, description=f"loading {p.model}")
        elif p.event == "retry":
            self.console.print(f"[yellow]{p.model} · {p.prompt_id}:[/yellow] {p.message}", highlight=False)
        elif p.event == "run_finished":
            self.bar.update(self.task, completed=p.total)
            self.bar.stop()

    def close(self) -> None:
        if self.task is not None:
            self.bar.stop()


def progress_printer(console: Console) -> Callable[[RunProgress], None]:
    return RichBar(console) if console.is_terminal else PlainLines()
