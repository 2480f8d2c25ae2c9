"""A race: the same prompt streamed to 2-4 models, for live demos (no Streamlit here).

By default the models run **one after another** (``mode="sequential"``): on a small machine two
streams at once share the CPU and distort each other's speed. ``mode="together"`` starts them at
the same moment on threads — more fun to watch, but *not a fair speed comparison*.

Every model is loaded before its stream starts (loading is timed apart, never inside TTFT), then
one request is streamed with the same settings for every model; each event goes to
``on_event(model, event)`` as it arrives. Metrics come from :func:`bench.measure.request_metrics.summarize`, the
same rules as a benchmark. A model that fails (unknown name, load error, broken stream) gets a
per-model ``error``; the others still finish.

:func:`save_race` stores a finished race as a normal run (one round, no warm-up, a one-prompt set)
through :class:`bench.run.runner.Runner`, replaying the race's own timed events, so Results shows the
numbers the audience saw instead of a second, different measurement.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from bench.backends.base import Backend, ChatRequest, LoadInfo, ModelEntry, StreamEvent, now_ns
from bench.errors import BenchError
from bench.measure.request_metrics import RequestMetrics, summarize

SEQUENTIAL = "sequential"
TOGETHER = "together"
MODES = {
    SEQUENTIAL: "One after another (fair speed comparison)",
    TOGETHER: "Together (fun to watch — not a fair speed comparison)",
}
UNFAIR_NOTE = (
    "Together: the models ran at the same time and shared the CPU, so this is not a fair speed "
    "comparison. Race one after another (or make a benchmark run) for numbers to decide on."
)
MAX_MODELS = 4
RACE_LABEL = "race"

#: ``backend_for_model(model)`` -> the backend, or ``(backend, name the backend knows it by)``.
BackendFor = Callable[[str], "Backend | tuple[Backend, str]"]
EventFn = Callable[[str, StreamEvent], None]
#: ``on_status(model, status, info)``; status: waiting | loading | running | done | failed.
StatusFn = Callable[[str, str, dict[str, Any]], None]


@dataclass
class RaceResult:
    """One lane of the race: what the model answered, how fast, or why it failed."""

    model: str  # the lane's key, as passed in ``models``
    name: str = ""  # the name its backend knows it by
    backend_kind: str = ""
    transport: str = ""
    status: str = "waiting"  # waiting | loading | running | done | failed
    metrics: RequestMetrics | None = None
    answer: str = ""
    reasoning: str = ""
    error: str | None = None
    events: list[StreamEvent] = field(default_factory=list)
    t_send_ns: int | None = None
    load: LoadInfo | None = None
    count_tokens: Callable[[str], int | None] | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None and self.metrics is not None


@dataclass(frozen=True)
class Winner:
    """One banner line: who won ``title`` and by how much."""

    title: str  # "Fastest first token" | "Fastest decoding"
    model: str
    value: float
    unit: str
    token_source: str
    runner_up: str | None = None
    runner_up_value: float | None = None


def check(models: Sequence[str], prompt: str, mode: str) -> list[str]:
    """The lanes, validated: 1-4 distinct models, a prompt, a known mode (else BenchError)."""
    names = [m.strip() for m in models if m and m.strip()]
    if not names:
        raise BenchError("Models", "no model chosen", "pick one to four models")
    if len(names) > MAX_MODELS:
        raise BenchError("Models", f"{len(names)} chosen", f"a race has at most {MAX_MODELS} models")
    if len(set(names)) != len(names):
        raise BenchError("Models", "a model is listed twice", "pick each model once")
    if not prompt or not prompt.strip():
        raise BenchError("Prompt", "is blank", "type a prompt or pick one from the set")
    if mode not in MODES:
        raise BenchError("Mode", f"unknown mode {mode!r}", f"use one of: {', '.join(MODES)}")
    return names


def _reason(exc: BaseException) -> str:
    return exc.message if isinstance(exc, BenchError) else f"{type(exc).__name__}: {exc}"


def race(
    backend_for_model: BackendFor,
    models: Sequence[str],
    prompt: str,
    max_tokens: int = 128,
    temperature: float = 0.0,
    seed: int | None = 42,
    on_event: EventFn | None = None,
    *,
    mode: str = SEQUENTIAL,
    on_status: StatusFn | None = None,
    cancel: threading.Event | None = None,
    system: str | None = None,
) -> dict[str, RaceResult]:
    """Stream ``prompt`` to every model; return ``{model: RaceResult}`` in the order given.

    ``mode="sequential"`` (default) runs one model after another; ``mode="together"`` loads all
    models first, then streams them at once on threads (not a fair speed comparison).
    """
    lanes = check(models, prompt, mode)
    if max_tokens < 1:
        raise BenchError("Max tokens", f"{max_tokens}", "use 1 or more")
    cancel = cancel or threading.Event()
    results = {m: RaceResult(model=m) for m in lanes}
    status = on_status or (lambda _m, _s, _i: None)
    emit = on_event or (lambda _m, _e: None)

    def set_status(result: RaceResult, state: str, **info: Any) -> None:
        result.status = state
        status(result.model, state, info)

    def fail(result: RaceResult, exc: BaseException | str) -> None:
        result.error = exc if isinstance(exc, str) else _reason(exc)
        set_status(result, "failed", error=result.error)

    def prepare(result: RaceResult) -> Backend | None:
        set_status(result, "loading")
        try:
            got = backend_for_model(result.model)
            backend, name = got if isinstance(got, tuple) else (got, result.model)
            result.name, result.backend_kind, result.transport = name, backend.kind, backend.transport
            result.load = backend.load(name)
        except Exception as exc:
            fail(result, exc)
            return None
        result.count_tokens = lambda text, b=backend, n=name: b.count_tokens(n, text)
        return backend

    def stream(result: RaceResult, backend: Backend) -> None:
        request = ChatRequest(
            model=result.name,
            prompt=prompt,
            system=system,
            max_tokens=int(max_tokens),
            temperature=float(temperature),
            seed=seed,
            stream=True,
        )
        result.t_send_ns = now_ns()
        set_status(result, "running", t_send_ns=result.t_send_ns)
        error: str | None = None
        try:
            for event in backend.stream_chat(request):
                result.events.append(event)
                emit(result.model, event)
                if cancel.is_set():
                    error = "cancelled before the answer ended"
                    break
        except Exception as exc:
            error = _reason(exc)
        counter = None if error else result.count_tokens
        result.metrics = summarize(result.events, result.t_send_ns, count_tokens=counter, streamed=True)
        result.answer = "".join(e.text for e in result.events if e.kind == "content")
        result.reasoning = "".join(e.text for e in result.events if e.kind == "reasoning")
        if error:
            fail(result, error)
        else:
            set_status(result, "done", metrics=result.metrics)

    if mode == SEQUENTIAL:
        for result in results.values():
            if cancel.is_set():
                fail(result, "cancelled before it started")
                continue
            backend = prepare(result)
            if backend is not None:
                stream(result, backend)
        return results

    # together: load every model first (loads are not part of the race), then start at once
    ready = [(r, b) for r in results.values() if (b := prepare(r)) is not None]
    gate = threading.Barrier(len(ready)) if ready else None

    def lane(result: RaceResult, backend: Backend) -> None:
        try:
            assert gate is not None
            gate.wait(timeout=30)
        except threading.BrokenBarrierError:
            pass
        try:
            stream(result, backend)
        except Exception as exc:  # a callback failed: keep the lane's error, never lose the thread
            fail(result, exc)

    threads = [
        threading.Thread(target=lane, args=(r, b), name=f"slm-bench-race-{r.model}", daemon=True)
        for r, b in ready
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# ---- the winner banner ---------------------------------------------------------------------------
def _best(done: list[RaceResult], label: str, metric: str, unit: str, lowest: bool) -> Winner | None:
    """The lane with the best ``metric`` (and the runner-up's number), or None if no lane has it."""
    ranked = sorted(
        (r for r in done if getattr(r.metrics, metric) is not None),
        key=lambda r: getattr(r.metrics, metric) * (1 if lowest else -1),
    )
    if not ranked:
        return None
    best, nxt = ranked[0], ranked[1] if len(ranked) > 1 else None
    source = best.metrics.output_token_source if best.metrics else ""
    return Winner(
        label,
        best.model,
        getattr(best.metrics, metric),
        unit,
        source,
        nxt.model if nxt else None,
        getattr(nxt.metrics, metric) if nxt else None,
    )


def winners(results: Mapping[str, RaceResult]) -> list[Winner]:
    """Fastest first token and fastest decoding among the lanes that finished (with their numbers)."""
    done = [r for r in results.values() if r.ok and r.metrics is not None]
    found = [
        _best(done, "Fastest first token", "ttft_s", "s", lowest=True),
        _best(done, "Fastest decoding", "decode_tps", "tok/s", lowest=False),
    ]
    return [w for w in found if w is not None]


# ---- saving a race as a run ------------------------------------------------------------------------
class _RaceFailure(BenchError):
    """A lane's failure in the race, stored with its original message."""

    def __init__(self, message: str) -> None:
        self._text = message
        super().__init__("race", message)

    @property
    def message(self) -> str:
        return self._text


class _Replay:
    """A backend that plays back a race's recorded events, re-stamped to the runner's send time.

    The runner takes its send time just before calling ``stream_chat``; shifting every recorded
    timestamp by (now - the race's send time) reproduces the race's intervals, so the stored
    metrics are the race's own (to within microseconds). Loads report the race's load times.
    """

    def __init__(
        self, kind: str, transport: Literal["in-process", "http"], lanes: Mapping[str, RaceResult]
    ) -> None:
        self.kind = kind
        self.transport = transport
        self._lanes = dict(lanes)  # keyed by the backend's model name

    def _lane(self, model: str) -> RaceResult:
        return self._lanes[model]

    def list_models(self) -> list[ModelEntry]:
        return []

    def model_ids(self, refresh: bool = False) -> list[str]:
        return list(self._lanes)

    def resolve(self, name: str) -> str:
        return self._lane(name).name

    def load(self, model: str) -> LoadInfo:
        lane = self._lane(model)
        if lane.load is None:
            raise _RaceFailure(lane.error or f"{model}: not loaded")
        return lane.load

    def unload(self, model: str) -> None:
        return None

    def stream_chat(self, request: ChatRequest) -> Iterator[StreamEvent]:
        lane = self._lane(request.model)
        shift = now_ns() - (lane.t_send_ns or 0)
        for event in lane.events:
            yield StreamEvent(event.kind, event.t_ns + shift, event.text, event.n_tokens, dict(event.data))
        if lane.error:
            raise _RaceFailure(lane.error)

    def count_tokens(self, model: str, text: str) -> int | None:
        counter = self._lane(model).count_tokens
        return counter(text) if counter else None

    def server_pid(self) -> int | None:
        return None  # memory was not sampled during the race


def save_race(
    store: Any,
    results: Mapping[str, RaceResult],
    prompt: str,
    *,
    max_tokens: int,
    temperature: float = 0.0,
    seed: int | None = 42,
    mode: str = SEQUENTIAL,
    endpoint_for: Callable[[str], tuple[str | None, str | None]] | None = None,
    system: str | None = None,
    label: str = RACE_LABEL,
) -> list[tuple[str, str]]:
    """Store the race as normal runs (one per backend): 1 round, no warm-up, a one-prompt set.

    ``endpoint_for(model)`` gives ``(base_url, api_key_env)`` for a lane (``(None, None)`` =
    Foundry Local in-process). Returns ``[(run_id, status)]``. Goes through
    :class:`bench.run.runner.Runner`, so the run has the same provenance, samples and statuses as any
    other run; its label says ``race`` (and that a together race is not a fair speed comparison).
    """
    from bench.inputs.config import PromptItem, PromptSet, RunSettings
    from bench.run.runner import Runner

    if not results:
        raise BenchError("Race", "nothing to save", "run a race first")
    started = [r for r in results.values() if r.name]
    if not started:
        raise BenchError("Race", "no model could be started", "fix the model errors and race again")
    prompts = PromptSet(
        name="race",
        description="The prompt of a race on the Race page.",
        prompts=[PromptItem(id="race", prompt=prompt, system=system)],
    )
    groups: dict[tuple[str | None, str | None, str, str], list[RaceResult]] = {}
    for lane in results.values():
        if not lane.name:
            continue  # never reached a backend (e.g. an endpoint that was removed): nothing to store
        endpoint = endpoint_for(lane.model) if endpoint_for else (None, None)
        groups.setdefault((*endpoint, lane.backend_kind, lane.transport), []).append(lane)
    full_label = label if mode == SEQUENTIAL else f"{label} · together (not a fair speed comparison)"
    saved = []
    for (endpoint, key_env, kind, transport), lanes in groups.items():
        settings = RunSettings(
            models=[lane.name for lane in lanes],
            rounds=1,
            warmup=0,
            stream=True,
            max_tokens=int(max_tokens),
            temperature=float(temperature),
            seed=seed,
            endpoint=endpoint,
            api_key_env=key_env,
            label=full_label,
        )
        replay = _Replay(
            kind, "http" if transport == "http" else "in-process", {lane.name: lane for lane in lanes}
        )
        runner = Runner.start(store, settings, prompts, backend=replay, unload_others=False)
        saved.append((runner.run_id, runner.run()))
        for lane in lanes:
            if lane.load is not None:
                store.upsert_run_model(runner.run_id, lane.name, rss_source="not measured (race)")
    return saved
