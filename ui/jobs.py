"""Long actions (benchmark runs, imports, downloads) on a background thread, watched by the page.

A run must not die because someone clicked another page, and a Cancel button must reach the
runner between two tokens; so the work runs on a worker thread and the page polls a small
:class:`Job` record from an ``st.fragment`` that refreshes itself while the job runs.

One job at a time per server process: two benchmarks (or a benchmark and a model conversion)
sharing two CPU cores would distort each other's numbers. The registry says which job is busy.
"""

from __future__ import annotations

import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from bench.errors import BenchError
from bench.report.live_chart import live_point


@dataclass
class LiveAnswer:
    """The answer being streamed right now (and the previous one, so the view never flashes)."""

    model: str = ""
    prompt_id: str = ""
    round: int = 0
    text: str = ""


@dataclass
class Job:
    id: str
    kind: str  # benchmark | quick | import | download
    title: str
    cancel: threading.Event = field(default_factory=threading.Event)
    state: str = "running"  # running | done | failed | cancelled
    stage: str = "starting"
    fraction: float | None = 0.0
    detail: str = ""
    eta_s: float | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None
    result: Any = None
    error: str | None = None
    trace: str | None = None
    run_id: str | None = None
    run_status: str | None = None
    total: int = 0
    done: int = 0
    failures: dict[str, str] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    live: LiveAnswer = field(default_factory=LiveAnswer)
    last_sample: dict[str, Any] | None = None
    #: set when the job's thread has nothing more to do (the Results cache of its run included)
    settled: threading.Event = field(default_factory=threading.Event)
    #: one point per finished request (bench.report.live_chart), for the chart drawn during the run
    points: list[dict[str, Any]] = field(default_factory=list)
    rounds: int = 0
    changes_models: bool = False
    meta: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def elapsed_s(self) -> float:
        return (self.finished or time.time()) - self.started

    def update(self, **values: Any) -> None:
        with self.lock:
            for key, value in values.items():
                setattr(self, key, value)

    def note(self, line: str) -> None:
        with self.lock:
            self.log.append(f"{time.strftime('%H:%M:%S')} {line}")
            del self.log[:-200]

    # ---- subscribers of bench.run.runner ------------------------------------------------------------
    def on_progress(self, p: Any) -> None:
        """``bench.run.runner.Progress`` -> what the panel shows."""
        with self.lock:
            self.run_id = p.run_id
            self.total, self.done = p.total, p.done
            self.fraction = p.fraction
            self.eta_s = p.eta_s
            if p.event == "run_started":
                self.stage = f"Run {p.run_id}: {p.total} requests planned"
            elif p.event == "model_loading":
                self.stage = f"Loading {p.model}…"
            elif p.event == "model_loaded":
                self.stage = f"{p.model}: {p.message}"
            elif p.event == "model_failed":
                self.failures[p.model] = p.message
                self.stage = f"{p.model} failed; going on with the next model"
            elif p.event == "sample":
                phase = "warm-up" if p.warmup else f"round {p.round + 1}/{self.rounds or '?'}"
                self.stage = f"{p.model} · {p.prompt_id} · {phase}"
                self.last_sample = p.sample
                point = live_point(p.done, p.sample or {})
                if point is not None:
                    self.points.append(point)
            elif p.event == "run_finished":
                self.run_status = p.status
                self.stage = f"Run {p.run_id} {p.status}"
            elif p.event == "retry":
                self.stage = f"{p.model} · {p.prompt_id}: {p.message}"
        if p.event in ("model_failed", "model_loaded", "run_finished", "retry"):
            self.note(f"{p.model or 'run'}: {p.event.replace('_', ' ')} {p.message}".rstrip())

    def on_token(self, model: str, prompt_id: str, rnd: int, text: str) -> None:
        with self.lock:
            live = self.live
            if (live.model, live.prompt_id, live.round) != (model, prompt_id, rnd):
                self.live = LiveAnswer(model, prompt_id, rnd, text)
            else:
                live.text += text

    def on_stage(self, stage: str, fraction: float | None) -> None:
        """``progress(stage, fraction)`` callbacks of the importer."""
        with self.lock:
            self.stage = stage
            self.fraction = None if fraction is None else max(0.0, min(1.0, float(fraction)))


class JobRegistry:
    """Every job of this server process; at most one running."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self.models_version = 0

    def active(self) -> Job | None:
        with self._lock:
            return next((j for j in self._jobs.values() if j.running), None)

    def get(self, job_id: str | None) -> Job | None:
        return self._jobs.get(job_id) if job_id else None

    def start(
        self,
        kind: str,
        title: str,
        work: Callable[[Job], Any],
        afterwards: Callable[[Job], None] | None = None,
        **fields: Any,
    ) -> Job:
        """Run ``work`` on its own thread; ``afterwards`` runs there once the job is finished (the
        panel already shows it) and before ``settled`` is set: work a person need not wait for."""
        with self._lock:
            busy = next((j for j in self._jobs.values() if j.running), None)
            if busy is not None:
                raise BenchError(
                    title,
                    f"cannot start while another job runs: {busy.title} ({busy.stage})",
                    "wait for it to finish or cancel it (two jobs on the same CPU distort each other's numbers)",
                )
            job = Job(id=uuid.uuid4().hex[:8], kind=kind, title=title, **fields)
            self._jobs[job.id] = job
        thread = threading.Thread(
            target=self._work, args=(job, work, afterwards), name=f"slm-bench-{kind}", daemon=True
        )
        thread.start()
        return job

    def _work(self, job: Job, work: Callable[[Job], Any], afterwards: Callable[[Job], None] | None) -> None:
        try:
            result = work(job)
            state = "cancelled" if job.cancel.is_set() else "done"
            job.update(result=result, state=state, fraction=1.0 if state == "done" else job.fraction)
        except BenchError as exc:
            job.update(error=exc.message, state="failed")
        except Exception as exc:  # a bug: keep the traceback for the details expander
            job.update(error=f"{type(exc).__name__}: {exc}", trace=traceback.format_exc(), state="failed")
        finally:
            job.update(finished=time.time())
            if job.changes_models:
                self.models_version += 1
        try:
            if afterwards is not None:
                afterwards(job)
        except Exception as exc:  # never turn a finished job into an error over what follows it
            job.note(f"after the job: {type(exc).__name__}: {exc}")
        finally:
            job.settled.set()


@st.cache_resource(show_spinner=False)
def registry() -> JobRegistry:
    return JobRegistry()
