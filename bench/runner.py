"""Runs a benchmark: models x rounds x prompts, every sample stored the moment it ends.

Order per model: load (timed, cold) -> warm-up rounds (stored, flagged, excluded from statistics)
-> measured rounds, prompts in their fixed order. The first request after a load is flagged
``cold``. A model that fails to load or errors mid-run is marked ``failed`` with the reason and
the run goes on with the next model. A resumed run skips every (model, prompt, round) already in
the database. Progress goes to one callback that the CLI (rich / plain lines) and the Streamlit
page both subscribe to; ``on_token`` receives streamed text for live display.
"""

from __future__ import annotations

import contextlib
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bench import energy, provenance
from bench.backends import Backend, ChatRequest, backend_for
from bench.backends.base import StreamEvent, now_ns
from bench.config import PromptItem, PromptSet, RunSettings
from bench.errors import BenchError
from bench.store import Store, utc_now
from bench.sysmon import PeakRss, rss_bytes
from bench.timing import summarize


@dataclass(frozen=True)
class Step:
    """One request of the plan. Warm-up rounds are numbered -W..-1, measured rounds 0..N-1."""

    model: str
    prompt: PromptItem
    round: int

    @property
    def warmup(self) -> bool:
        return self.round < 0

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.model, self.prompt.id, self.round)


@dataclass
class Progress:
    """What subscribers are told after every step (and at model start/failure)."""

    run_id: str
    event: str  # run_started | model_loading | model_loaded | model_failed | sample | run_finished
    done: int
    total: int
    model: str = ""
    prompt_id: str = ""
    round: int = 0
    warmup: bool = False
    message: str = ""
    eta_s: float | None = None
    sample: dict[str, Any] | None = None
    status: str = ""

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


ProgressFn = Callable[[Progress], None]
TokenFn = Callable[[str, str, int, str], None]


def plan(settings: RunSettings, prompts: PromptSet) -> list[Step]:
    """Every request of the run, in execution order."""
    steps = []
    for model in settings.models:
        for rnd in range(-settings.warmup, settings.rounds):
            steps.extend(Step(model, prompt, rnd) for prompt in prompts.prompts)
    return steps


@dataclass
class _Clock:
    """Estimates time left from the mean seconds per request so far."""

    started: float = field(default_factory=time.perf_counter)
    requests: int = 0

    def tick(self) -> None:
        self.requests += 1

    def eta(self, remaining: int) -> float | None:
        if not self.requests:
            return None
        return (time.perf_counter() - self.started) / self.requests * remaining


class Runner:
    """Executes one run. Construct with :meth:`start` (new run) or :meth:`resume`."""

    def __init__(
        self,
        store: Store,
        run_id: str,
        settings: RunSettings,
        prompts: PromptSet,
        progress: ProgressFn | None = None,
        on_token: TokenFn | None = None,
        cancel: threading.Event | None = None,
        backend: Backend | None = None,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.settings = settings
        self.prompts = prompts
        self.progress = progress or (lambda _p: None)
        self.on_token = on_token
        self.cancel = cancel or threading.Event()
        self._backend = backend
        self.steps = plan(settings, prompts)
        self.done_keys = store.done_keys(run_id)
        self.done = len(self.done_keys)
        self.clock = _Clock()

    # ---- construction ---------------------------------------------------------------------------
    @classmethod
    def start(cls, store: Store, settings: RunSettings, prompts: PromptSet, **kwargs: Any) -> Runner:
        meta = provenance.run_meta()
        meta["transport"] = "http" if settings.endpoint else "in-process"
        run_id = store.create_run(settings.model_dump(), prompts.model_dump(), meta, label=settings.label)
        return cls(store, run_id, settings, prompts, **kwargs)

    @classmethod
    def resume(cls, store: Store, run_id: str, **kwargs: Any) -> Runner:
        run = store.get_run(run_id)
        if run is None:
            known = ", ".join(r["id"] for r in store.list_runs(5)) or "none"
            raise BenchError(run_id, "no such run in " + str(store.path), f"recent runs: {known}")
        if run["status"] == "completed":
            raise BenchError(run_id, "is already completed", "start a new run instead of resuming")
        settings = RunSettings.model_validate(run["settings"])
        prompts = PromptSet.model_validate(run["prompts"])
        return cls(store, run_id, settings, prompts, **kwargs)

    # ---- execution ------------------------------------------------------------------------------
    @property
    def backend(self) -> Backend:
        if self._backend is None:
            from bench.backends.openai_compat import api_key_from_env

            key = api_key_from_env(self.settings.api_key_env)
            self._backend = backend_for(self.settings.endpoint, key)
        return self._backend

    def _emit(self, event: str, **kwargs: Any) -> None:
        remaining = len(self.steps) - self.done
        self.progress(
            Progress(
                self.run_id,
                event,
                self.done,
                len(self.steps),
                eta_s=self.clock.eta(remaining),
                **kwargs,
            )
        )

    def run(self) -> str:
        """Execute every step not yet stored. Returns the final run status."""
        self.store.set_run_status(self.run_id, "running", pid=_pid())
        self._emit("run_started")
        status, error = "completed", None
        try:
            for model in self.settings.models:
                if self.cancel.is_set():
                    break
                self._run_model(model)
            if self.cancel.is_set():
                status = "cancelled"
        except BaseException as exc:  # Ctrl-C, Streamlit's rerun, or a bug: keep what was stored
            status = "cancelled" if isinstance(exc, KeyboardInterrupt) or self.cancel.is_set() else "failed"
            error = f"{type(exc).__name__}: {exc}"
            self.store.set_run_status(self.run_id, status, error)
            raise
        failed = [m["model"] for m in self.store.run_models(self.run_id) if m["status"] == "failed"]
        if status == "completed" and failed and len(failed) == len(self.settings.models):
            status, error = "failed", "every model failed"
        self.store.set_run_status(self.run_id, status, error)
        self._emit("run_finished", status=status, message=error or "")
        return status

    def _model_steps(self, model: str) -> list[Step]:
        return [s for s in self.steps if s.model == model and s.key not in self.done_keys]

    def _run_model(self, model: str) -> None:
        todo = self._model_steps(model)
        if not todo:
            return
        backend = self.backend
        self.store.upsert_run_model(
            self.run_id, model, backend=backend.kind, transport=backend.transport, status="loading"
        )
        self._emit("model_loading", model=model, message=f"loading {model}")
        pid = backend.server_pid()
        baseline = rss_bytes(pid) if pid else None
        try:
            if backend.transport == "in-process":
                backend.unload(model)  # we own it: measure a real cold load, not a leftover one
            info = backend.load(model)
        except Exception as exc:
            self._fail_model(model, exc, len(todo))
            return
        self.store.upsert_run_model(
            self.run_id,
            model,
            status="running",
            model_id=info.model_id,
            load_seconds=None if info.already_loaded else info.seconds,
            size_bytes=info.size_bytes,
            execution_provider=info.execution_provider,
            baseline_rss_bytes=baseline,
            rss_source=_rss_source(backend, pid),
        )
        self._emit("model_loaded", model=model, message=f"loaded in {info.seconds:.2f}s")
        peak = baseline
        for index, step in enumerate(todo):
            if self.cancel.is_set():
                return
            sample = self._execute(backend, step, cold=index == 0 and not info.already_loaded, pid=pid)
            rss = sample["metrics"].get("rss_peak_bytes")
            peak = max(p for p in (peak, rss) if p is not None) if (peak or rss) else None
            self.store.upsert_run_model(self.run_id, model, peak_rss_bytes=peak)
            if not sample["ok"]:
                self._fail_model(model, sample["error"], len(todo) - index - 1)
                break
        else:
            self.store.upsert_run_model(self.run_id, model, status="done")
        with contextlib.suppress(Exception):  # unloading is best effort: never lose the run over it
            backend.unload(model)

    def _fail_model(self, model: str, exc: BaseException | str, skipped: int) -> None:
        if isinstance(exc, str):
            reason = exc
        else:
            reason = exc.message if isinstance(exc, BenchError) else f"{type(exc).__name__}: {exc}"
        self.store.upsert_run_model(self.run_id, model, status="failed", error=reason)
        self.done += skipped
        self._emit("model_failed", model=model, message=reason)

    def _execute(self, backend: Backend, step: Step, cold: bool, pid: int | None) -> dict[str, Any]:
        request = ChatRequest(
            model=step.model,
            prompt=step.prompt.prompt,
            system=step.prompt.system,
            max_tokens=self.settings.max_tokens,
            temperature=self.settings.temperature,
            seed=self.settings.seed,
            stream=self.settings.stream,
        )
        started_at = utc_now()
        events: list[StreamEvent] = []
        error = None
        with PeakRss(pid) if pid else _NoRss() as rss, energy.measure() as joules:
            t_send = now_ns()
            try:
                for event in self._watch(backend.stream_chat(request), step):
                    events.append(event)
            except Exception as exc:
                error = exc.message if isinstance(exc, BenchError) else f"{type(exc).__name__}: {exc}"
                if not isinstance(exc, BenchError):
                    traceback.print_exc()
        if self.cancel.is_set() and error is None and not _finished(events):
            raise _Cancelled()
        counter = None if error else (lambda text: backend.count_tokens(step.model, text))
        metrics = summarize(events, t_send, count_tokens=counter, streamed=request.stream).to_dict()
        metrics["rss_peak_bytes"] = rss.peak
        metrics.update(joules.as_metrics())  # energy_j (None: no sensor) and where it came from
        sample = {
            "run_id": self.run_id,
            "model": step.model,
            "prompt_id": step.prompt.id,
            "round": step.round,
            "warmup": step.warmup,
            "cold": cold,
            "ok": error is None,
            "error": error,
            "stream": request.stream,
            "transport": backend.transport,
            "started_at": started_at,
            "metrics": metrics,
            "answer": "".join(e.text for e in events if e.kind == "content"),
            "reasoning": "".join(e.text for e in events if e.kind == "reasoning"),
            "server_timings": next((e.data for e in events if e.kind == "server_timings"), None),
        }
        self.store.add_sample(sample)
        self.done_keys.add(step.key)
        self.done += 1
        self.clock.tick()
        self._emit(
            "sample",
            model=step.model,
            prompt_id=step.prompt.id,
            round=step.round,
            warmup=step.warmup,
            sample=sample,
        )
        return sample

    def _watch(self, events: Iterator[StreamEvent], step: Step) -> Iterator[StreamEvent]:
        """Pass events through, feed live text to ``on_token``, stop early on cancel."""
        for event in events:
            yield event
            if self.on_token and event.kind in ("content", "reasoning") and event.text:
                self.on_token(step.model, step.prompt.id, step.round, event.text)
            if self.cancel.is_set():
                return


class _Cancelled(Exception):
    """The request in flight was abandoned by a cancel; it is not stored."""


class _NoRss:
    peak = None

    def __enter__(self) -> _NoRss:
        return self

    def __exit__(self, *_: object) -> None:
        return None


def _finished(events: list[StreamEvent]) -> bool:
    return any(e.kind in ("finish", "usage") for e in events)


def _pid() -> int:
    import os

    return os.getpid()


def _rss_source(backend: Backend, pid: int | None) -> str:
    if pid is None:
        return "unavailable (remote server)"
    return "this process (model in-process)" if backend.transport == "in-process" else f"server pid {pid}"


def run_benchmark(
    store: Store,
    settings: RunSettings,
    prompts: PromptSet,
    progress: ProgressFn | None = None,
    on_token: TokenFn | None = None,
    cancel: threading.Event | None = None,
) -> tuple[str, str]:
    """Start and execute a new run. Returns (run_id, status)."""
    runner = Runner.start(store, settings, prompts, progress=progress, on_token=on_token, cancel=cancel)
    try:
        return runner.run_id, runner.run()
    except _Cancelled:
        store.set_run_status(runner.run_id, "cancelled")
        return runner.run_id, "cancelled"


def resume_run(
    store: Store,
    run_id: str,
    progress: ProgressFn | None = None,
    on_token: TokenFn | None = None,
    cancel: threading.Event | None = None,
) -> str:
    """Finish an interrupted run without redoing stored samples. Returns the final status."""
    runner = Runner.resume(store, run_id, progress=progress, on_token=on_token, cancel=cancel)
    try:
        return runner.run()
    except _Cancelled:
        store.set_run_status(run_id, "cancelled")
        return "cancelled"
