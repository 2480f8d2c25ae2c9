"""Runs a benchmark: models x rounds x prompts, every sample stored the moment it ends.

Order per model: unload whatever this process loaded elsewhere (Race, judge, Load button) -> take
the memory baseline -> load (timed, cold) -> warm-up rounds (stored, flagged, excluded from
statistics) -> measured rounds, prompts in their fixed order. The first request after a load is
flagged ``cold``.

Every request ends in exactly one outcome (:mod:`bench.measure.samples`): ok, failed, incomplete or
cancelled. A request-level fault (HTTP 429/503, a dropped connection, a timeout, a cut stream) is
retried with exponential backoff (``Retry-After`` honoured), each try logged on the sample; after
the last try the sample is stored with its outcome and the run goes on with the NEXT request. Only
a model that cannot be loaded is marked ``failed`` as a whole. A run with any non-ok or missing
sample ends ``partial``; ``--resume`` retries exactly those (one row per step: an upsert).
Progress goes to one callback that the CLI and the Streamlit page both subscribe to; ``on_token``
receives streamed text for live display.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Collection, Iterator
from dataclasses import asdict, fields
from typing import Any

import psutil

from bench.backends import Backend, ChatRequest, backend_for, unload_all
from bench.backends.base import RequestCancelled, StreamEvent
from bench.backends.http_support import strip_credentials
from bench.backends.keys import endpoint_key
from bench.errors import BenchError
from bench.inputs.config import PromptSet, RunSettings
from bench.inputs.workloads import request_fields
from bench.measure import provenance
from bench.measure.request_metrics import summarize
from bench.measure.samples import Attempt, Sample
from bench.measure.sysmon import MemoryProbe
from bench.run.plan import Clock, Progress, ProgressFn, Step, TokenFn, plan
from bench.run.request_try import try_once
from bench.store.store import Store

#: the longest a single wait between tries may be, whatever Retry-After says
MAX_WAIT_S = 60.0


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
        unload_others: bool = True,
        confirmed_keys: Collection[tuple[str, str]] = (),
    ) -> None:
        self.store = store
        #: (key variable, URL) pairs the person confirmed for this runner; nothing else is sent
        self.confirmed_keys = frozenset(confirmed_keys)
        self.unload_others = unload_others
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
        self.clock = Clock()

    # ---- construction ---------------------------------------------------------------------------
    @classmethod
    def start(cls, store: Store, settings: RunSettings, prompts: PromptSet, **kwargs: Any) -> Runner:
        """A new run. The stored settings carry the endpoint without ``user:pass@``; this runner
        keeps the full URL in memory for its own requests. ``extra_meta`` joins the run's meta."""
        meta = provenance.run_meta() | (kwargs.pop("extra_meta", None) or {})  # e.g. bench run --repeat
        meta["transport"] = "http" if settings.endpoint else "in-process"
        if settings.model_endpoints:
            meta["transport"] = "mixed"  # each model says where it ran (run_models.transport, samples)
        where = {m: e.model_copy(update={"endpoint": strip_credentials(e.endpoint)})
                 for m, e in settings.model_endpoints.items()}  # fmt: skip
        stored = settings.model_copy(
            update={"endpoint": strip_credentials(settings.endpoint), "model_endpoints": where}
        )
        run_id = store.create_run(stored.model_dump(), prompts.model_dump(), meta, label=settings.label)
        kwargs.setdefault("confirmed_keys", own_keys(settings))  # a new run's settings are the person's own
        return cls(store, run_id, settings, prompts, **kwargs)

    @classmethod
    def resume(cls, store: Store, run_id: str, **kwargs: Any) -> Runner:
        run = store.get_run(run_id)
        if run is None:
            known = ", ".join(r["id"] for r in store.list_runs(5)) or "none"
            raise BenchError(run_id, "no such run in " + str(store.path), f"recent runs: {known}")
        if run["status"] == "completed":
            raise BenchError(run_id, "is already completed", "start a new run instead of resuming")
        if run["meta"].get("load"):
            raise BenchError(
                run_id, "is a load run: its levels cannot be resumed", "start a new `python -m bench load`"
            )
        owner = run.get("pid")
        if run["status"] == "running" and owner and owner != os.getpid() and psutil.pid_exists(owner):
            raise BenchError(
                run_id,
                f"is being run right now by process {owner}",
                f"wait for it to end (or stop it: kill {owner}), then resume",
            )
        settings = RunSettings.model_validate(run["settings"])
        prompts = PromptSet.model_validate(run["prompts"])
        return cls(store, run_id, settings, prompts, **kwargs)

    # ---- execution ------------------------------------------------------------------------------
    @property
    def backend(self) -> Backend:
        if self._backend is None:
            key = self._key(self.settings.api_key_env, self.settings.endpoint)
            self._backend = backend_for(self.settings.endpoint, key)
        return self._backend

    def _key(self, env_name: str | None, url: str | None) -> str | None:
        """The key for ``url`` through the key guard: only a pair confirmed for this runner is sent."""
        return endpoint_key(env_name, url, self.confirmed_keys, trust_prefix=False) if url else None

    def backend_of(self, model: str) -> Backend:
        """The run's backend, or the model's own endpoint in a mixed run (``settings.model_endpoints``)."""
        where = self.settings.model_endpoints.get(model)
        if where is None:
            return self.backend
        return backend_for(where.endpoint, self._key(where.api_key_env, where.endpoint))

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
        """Execute every step without an ok sample; the final status. One store connection in all."""
        with self.store.session():
            return self._run()

    def _run(self) -> str:
        self.store.set_run_status(self.run_id, "running", pid=os.getpid())
        self._emit("run_started")
        error = None
        try:
            if self.unload_others:
                unload_all()  # models the Race, the judge or a Load button left resident
            for model in self.settings.models:
                if self.cancel.is_set():
                    break
                self._run_model(model)
        except BaseException as exc:  # Ctrl-C, Streamlit's rerun, or a bug: keep what was stored
            status = "cancelled" if isinstance(exc, KeyboardInterrupt) or self.cancel.is_set() else "failed"
            self.store.set_run_status(self.run_id, status, f"{type(exc).__name__}: {exc}")
            raise
        status, error = self._final_status()
        self.store.set_run_status(self.run_id, status, error)
        self._emit("run_finished", status=status, message=error or "")
        return status

    def _final_status(self) -> tuple[str, str | None]:
        """completed | partial (some request or model did not end ok) | failed | cancelled."""
        if self.cancel.is_set():
            return "cancelled", None
        models = self.store.run_models(self.run_id)
        failed = [m["model"] for m in models if m["status"] == "failed"]
        if failed and len(failed) == len(self.settings.models):
            return "failed", "every model failed"
        ok = self.store.done_keys(self.run_id)
        missing = [s for s in self.steps if s.key not in ok]
        if not missing:
            return "completed", None
        counts = self.store.outcome_counts(self.run_id)
        bad = {o: sum(c.get(o, 0) for c in counts.values()) for o in ("failed", "incomplete", "cancelled")}
        parts = [f"{n} {o}" for o, n in bad.items() if n]
        not_run = len(missing) - sum(bad.values())
        if not_run > 0:
            parts.append(f"{not_run} not run")
        if failed:
            parts.append(f"model failed: {', '.join(failed)}")
        return "partial", "; ".join(parts) + " (resume retries them)"

    def _model_steps(self, model: str) -> list[Step]:
        return [s for s in self.steps if s.model == model and s.key not in self.done_keys]

    def _run_model(self, model: str) -> None:
        todo = self._model_steps(model)
        if not todo:
            return
        backend = self.backend_of(model)
        self.store.upsert_run_model(
            self.run_id, model, backend=backend.kind, transport=backend.transport, status="loading"
        )
        self._emit("model_loading", model=model, message=f"loading {model}")
        probe = MemoryProbe(backend)
        try:
            if backend.transport == "in-process":
                backend.unload(model)  # we own it: measure a real cold load, not a leftover one
            probe.take_baseline()
            info = backend.load(model)
        except Exception as exc:
            self._fail_model(model, exc, len(todo))
            return
        probe.after_load(already_loaded=info.already_loaded)
        self.store.upsert_run_model(
            self.run_id,
            model,
            status="running",
            model_id=info.model_id,
            load_seconds=None if info.already_loaded else info.seconds,
            size_bytes=info.size_bytes,
            execution_provider=info.execution_provider,
            **probe.columns(),
        )
        self._emit("model_loaded", model=model, message=f"loaded in {info.seconds:.2f}s")
        try:
            stored = probe.peaks()
            for index, step in enumerate(todo):
                if self.cancel.is_set():
                    return
                self._execute(backend, step, cold=index == 0 and not info.already_loaded, probe=probe)
                if probe.peaks() != stored:  # a new peak is stored at once; an unchanged one is not rewritten
                    stored = probe.peaks()
                    self.store.upsert_run_model(self.run_id, model, **stored)
            self._finish_model(model)
        finally:
            try:
                backend.unload(model)  # a Cancel unloads too: the next baseline starts clean
            except Exception as exc:  # unloading is best effort: never lose the run over it
                self._emit("model_unload_failed", model=model, message=f"{type(exc).__name__}: {exc}")

    def _finish_model(self, model: str) -> None:
        """``done``, or ``failed`` when not one of its requests ended ok (a model that only errs)."""
        counts = self.store.outcome_counts(self.run_id).get(model, {})
        if counts.get("ok") or counts.get("refused") == sum(counts.values()):  # all refused: not its failure
            self.store.upsert_run_model(self.run_id, model, status="done")
            return
        errors = [s["error"] for s in self.store.samples([self.run_id]) if s["model"] == model and s["error"]]
        self._fail_model(model, f"every request failed; the first: {errors[0] if errors else 'no answer'}", 0)

    def _fail_model(self, model: str, exc: BaseException | str, skipped: int) -> None:
        if isinstance(exc, str):
            reason = exc
        else:
            reason = exc.message if isinstance(exc, BenchError) else f"{type(exc).__name__}: {exc}"
        self.store.upsert_run_model(self.run_id, model, status="failed", error=reason)
        self.done += skipped
        self._emit("model_failed", model=model, message=reason)

    def _request(self, step: Step) -> ChatRequest:
        return ChatRequest(
            model=step.model,
            prompt=step.prompt.prompt,
            system=step.prompt.system,
            max_tokens=self.settings.max_tokens,
            temperature=self.settings.temperature,
            seed=self.settings.seed,
            stream=self.settings.stream,
            timeout_s=self.settings.request_timeout_s,
            cancel=self.cancel,
            prompt_cache=self.settings.prompt_cache,
            **request_fields(step.prompt),  # earlier turns, tools, response_format (bench.inputs.workloads)
        )

    def _execute(self, backend: Backend, step: Step, cold: bool, probe: MemoryProbe) -> Sample:
        """One step, retried on transient faults, stored with exactly one outcome."""
        request = self._request(step)
        log: list[Attempt] = []
        while True:
            tried = try_once(backend, request, lambda events: self._watch(events, step), probe)
            retry = tried.retryable and len(log) < self.settings.retries and not self.cancel.is_set()
            if not retry:
                break
            wait = self._backoff(len(log) + 1, tried.retry_after)
            log.append(Attempt(len(log) + 1, tried.error or "", tried.http_status, wait, tried.outcome))
            self._emit("retry", model=step.model, prompt_id=step.prompt.id, round=step.round,
                       message=f"try {len(log)} {tried.outcome}: {tried.error}; again in {wait:.1f}s")  # fmt: skip
            if self.cancel.wait(wait):
                break
        counter = (lambda text: backend.count_tokens(step.model, text)) if tried.outcome == "ok" else None
        metrics = summarize(tried.events, tried.t_send, count_tokens=counter, streamed=request.stream)
        row = metrics.to_dict()
        row["rss_peak_bytes"] = tried.rss_peak
        row["rss_peak_basis"] = tried.rss_basis
        row["gpu_peak_bytes"] = tried.gpu_peak
        row.update(tried.energy)
        sample = Sample(
            run_id=self.run_id,
            model=step.model,
            prompt_id=step.prompt.id,
            round=step.round,
            warmup=step.warmup,
            cold=cold,
            outcome=tried.outcome,
            error=tried.error,
            http_status=tried.http_status,
            attempts=len(log) + 1,
            retry_log=log,
            stream=request.stream,
            transport=backend.transport,
            started_at=tried.started_at,
            metrics=row,
            answer="".join(e.text for e in tried.events if e.kind == "content"),
            reasoning="".join(e.text for e in tried.events if e.kind == "reasoning"),
            server_timings=next((e.data for e in tried.events if e.kind == "server_timings"), None),
        )
        self.store.add_sample(sample)
        if sample.ok:
            self.done_keys.add(step.key)
        self.done += 1
        self.clock.tick()
        self._emit("sample", model=step.model, prompt_id=step.prompt.id, round=step.round,
                   warmup=step.warmup, sample=progress_view(sample))  # fmt: skip
        return sample

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """The server's Retry-After when it sent one, else base * 2^(attempt-1); at most MAX_WAIT_S."""
        wait = retry_after if retry_after is not None else self.settings.retry_backoff_s * 2 ** (attempt - 1)
        return min(max(wait, 0.0), MAX_WAIT_S)

    def _watch(self, events: Iterator[StreamEvent], step: Step) -> Iterator[StreamEvent]:
        """Pass events through, feed live text to ``on_token``, stop early on cancel."""
        for event in events:
            yield event
            if self.on_token and event.kind in ("content", "reasoning") and event.text:
                self.on_token(step.model, step.prompt.id, step.round, event.text)
            if self.cancel.is_set():
                raise RequestCancelled()


def progress_view(sample: Sample) -> dict[str, Any]:
    """``sample.as_dict()`` without its deep copy of every metric (the sample is finished; subscribers read it)."""
    data = {f.name: getattr(sample, f.name) for f in fields(sample)}
    data["retry_log"] = [asdict(a) for a in sample.retry_log]
    data["ok"] = sample.ok
    return data


def run_benchmark(
    store: Store,
    settings: RunSettings,
    prompts: PromptSet,
    progress: ProgressFn | None = None,
    on_token: TokenFn | None = None,
    cancel: threading.Event | None = None,
    extra_meta: dict | None = None,
    allow_code: bool = False,
) -> tuple[str, str]:
    """Start and execute a new run. Returns (run_id, status). One store connection in all."""
    with store.session():
        options = {"progress": progress, "on_token": on_token, "cancel": cancel, "extra_meta": extra_meta}
        runner = Runner.start(store, settings, prompts, **options)
        status = runner.run()
        _evaluate_checks(store, runner, allow_code)
    return runner.run_id, status


def resume_run(
    store: Store,
    run_id: str,
    progress: ProgressFn | None = None,
    on_token: TokenFn | None = None,
    cancel: threading.Event | None = None,
    allow_code: bool = False,
    confirmed_keys: Collection[tuple[str, str]] = (),
) -> str:
    """Finish a run: every missing step and every step whose sample is not ok. Returns the status.

    A stored run may be someone else's (an imported bundle): its key variable is sent to its
    endpoint only when ``confirmed_keys`` holds that pair (the CLI's ``--api-key-env`` with
    ``--resume``, or the app's confirmation); naming a variable in a stored run is not consent.
    """
    with store.session():
        options = {"on_token": on_token, "cancel": cancel, "confirmed_keys": confirmed_keys}
        runner = Runner.resume(store, run_id, progress=progress, **options)
        status = runner.run()
        _evaluate_checks(store, runner, allow_code)
    return status


def _evaluate_checks(store: Store, runner: Runner, allow_code: bool = False) -> None:
    """Task checks of the prompts that carry them (bench.quality.checks); never fails the run.

    ``allow_code`` is the person's consent to run the answers' code for a set that is not built in.
    A set without checks skips the step and its imports (pandas: 0.4 s of every ``bench run``).
    """
    if not any(prompt.checks for prompt in runner.prompts.prompts):
        return
    from bench.quality.checks.run_checks import evaluate_after_run

    evaluate_after_run(store, runner.run_id, allow_code)


def own_keys(settings: RunSettings) -> set[tuple[str, str]]:
    """The (key variable, URL) pairs of settings the person gave for a new run (flags, the Run page)."""
    pairs = {(settings.api_key_env, settings.endpoint)}
    pairs |= {(e.api_key_env, e.endpoint) for e in settings.model_endpoints.values()}
    return {(env, url) for env, url in pairs if env and url}
