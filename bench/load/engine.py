"""Load against an OpenAI-compatible server: how many requests it holds within its latency targets.

Two ways to raise the load, one level at a time:

- **concurrency** (closed loop): N workers, each sends its next request the moment the previous
  one ends. A request is *scheduled* when its worker becomes free.
- **rate** (open loop): requests arrive as a seeded Poisson process at R requests/s whether or not
  earlier ones have ended — what many independent users do. A request is *scheduled* at its
  arrival time.

Every request records when it was scheduled and when its bytes actually left (httpcore's
``send_request_headers`` trace, after any wait for a free connection in the pool): the gap is the
harness's own lag (the event loop was busy, the pool was full), the number that says whether SLM
Bench, not the server, was the bottleneck; the server's TTFT starts when the bytes left. One asyncio loop on one thread with ``httpx.AsyncClient`` streams
every request; the request body and the chunk parsing are the OpenAI backend's own
(:mod:`bench.backends.openai_wire`), and the metrics (TTFT, ITL, e2e) are
computed after each level with ``bench.measure.request_metrics.summarize`` — off the hot path, same definitions as
every other run. Statistics, SLOs and capacity live in :mod:`bench.load.levels`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import random
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.backends.base import ChatRequest, StreamEvent, now_ns
from bench.backends.openai_compat import normalize_base_url
from bench.backends.openai_wire import StreamCut, chat_body, sse_events
from bench.errors import BenchError
from bench.inputs.config import PromptItem


@dataclass(frozen=True)
class Level:
    """One load level: ``kind`` is ``concurrency`` or ``rate`` (requests/s)."""

    kind: str
    value: float

    @property
    def label(self) -> str:
        return f"c={self.value:g}" if self.kind == "concurrency" else f"rate={self.value:g}/s"


@dataclass
class Record:
    """One request of a level, as the engine saw it (times in ns on the monotonic clock)."""

    index: int
    prompt_id: str
    scheduled_ns: int
    sent_ns: int = 0
    events: list[StreamEvent] = field(default_factory=list)
    raw: list[tuple[int, str]] = field(default_factory=list)  # (arrival ns, "data: ..." line)
    end_ns: int = 0
    error: str | None = None
    http_status: int | None = None
    started_at: float = 0.0  # wall clock (epoch s) when it was sent, for the stored sample
    incomplete: bool = False  # the stream was cut after it began (kept, never measured)

    @property
    def lag_s(self) -> float:
        return max(0, self.sent_ns - self.scheduled_ns) / 1e9

    @property
    def outcome(self) -> str:
        """``ok``, ``incomplete`` (cut after it began) or ``failed``, as every stored sample says."""
        if self.error is None:
            return "ok"
        return "incomplete" if self.incomplete else "failed"

    async def trace(self, name: str, _info: dict[str, Any]) -> None:
        """httpcore's trace hook: the send time is when the request's headers start to leave,
        after the wait for a pooled connection (a full pool is the harness's lag, not the server's)."""
        if name.endswith("send_request_headers.started"):
            self.sent_ns = now_ns()
            self.started_at = time.time()


# ---- parsing the command line's values ----------------------------------------------------------
LOOKAHEAD_S = 0.05  # open loop: a request's task exists this long before its arrival time
OPEN_LOOP_POOLS, OPEN_LOOP_PER_POOL = 32, 16  # open loop: up to 512 requests in flight
_UNITS = {"ms": 1e-3, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "": 1.0}


def parse_seconds(text: str, what: str) -> float:
    """``60s``, ``1.5m``, ``50ms`` or a bare number of seconds."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(ms|s|min|m|h)?\s*", text or "")
    if not match:
        raise BenchError(what, f"{text!r} is not a duration", "write it like 60s, 1.5m, 50ms or 2h")
    return float(match.group(1)) * _UNITS[match.group(2) or ""]


def parse_levels(text: str, kind: str) -> list[Level]:
    """``1,2,4,8`` -> levels in ascending order; every value must be positive."""
    flag = "--concurrency" if kind == "concurrency" else "--rate"
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise BenchError(flag, f"{text!r} is not a comma list of numbers", f"e.g. {flag} 1,2,4,8") from None
    if not values or any(v <= 0 for v in values):
        raise BenchError(flag, "every level must be a number above 0", f"e.g. {flag} 1,2,4,8")
    if kind == "concurrency" and any(v != int(v) for v in values):
        raise BenchError(flag, "concurrency counts requests in flight: whole numbers only", "e.g. 1,2,4,8")
    return [Level(kind, v) for v in sorted(set(values))]


def poisson_schedule(rate: float, count: int | None, duration_s: float | None, seed: int) -> list[float]:
    """Arrival offsets (s) of a Poisson process at ``rate``/s: ``count`` of them, or all within
    ``duration_s``. Seeded, so two runs offer the same load."""
    rng = random.Random(seed)
    times, t = [], 0.0
    while True:
        t += rng.expovariate(rate)
        if (count is not None and len(times) >= count) or (duration_s is not None and t > duration_s):
            return times
        times.append(t)


# ---- the engine -----------------------------------------------------------------------------------
class Engine:
    """Streams chat requests to one endpoint; one event loop, one shared connection pool."""

    def __init__(
        self,
        endpoint: str,
        model: str,
        prompts: list[PromptItem],
        max_tokens: int = 128,
        temperature: float = 0.0,
        seed: int | None = 42,
        api_key: str | None = None,
        timeout_s: float = 300.0,
        prompt_cache: bool = True,
    ) -> None:
        self.url = normalize_base_url(endpoint) + "/chat/completions"
        self.model = model
        self.prompts = prompts
        requests = [
            ChatRequest(
                model, p.prompt, max_tokens, temperature, seed, system=p.system, prompt_cache=prompt_cache
            )
            for p in prompts
        ]
        self.bodies = [json.dumps(chat_body(r)).encode() for r in requests]  # the hot path only sends bytes
        self.headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"
        self.timeout_s = timeout_s
        self.live: list[Record] = []  # the level in progress (read by the progress ticker)
        self._ssl: Any = None

    async def _one(self, client: httpx.AsyncClient, rec: Record) -> None:
        body = self.bodies[rec.index % len(self.bodies)]
        called_ns, called_at = now_ns(), time.time()
        trace = {"trace": rec.trace}
        try:
            async with client.stream(
                "POST", self.url, content=body, headers=self.headers, extensions=trace
            ) as resp:
                if resp.status_code != 200:
                    rec.http_status = resp.status_code
                    text = (await resp.aread())[:200].decode("utf-8", "replace")
                    rec.error = f"HTTP {resp.status_code}: {text}"
                    return
                await self._read(resp, rec)
        except httpx.HTTPError as exc:
            rec.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            rec.incomplete = bool(rec.raw)  # the answer had begun: cut short, not failed
        finally:
            rec.end_ns = now_ns()
            if not rec.sent_ns:  # it never left (no connection): its send time is when it was tried
                rec.sent_ns, rec.started_at = called_ns, called_at

    @staticmethod
    async def _read(resp: httpx.Response, rec: Record) -> None:
        """The hot path: timestamp each ``data:`` line and keep it; parsing waits (see parse_stream)."""
        raw = rec.raw
        async for line in resp.aiter_lines():  # read to the end: a drained response keeps its connection
            if line.startswith("data:"):
                raw.append((now_ns(), line))

    def _client(self, max_conn: int) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=max_conn, max_keepalive_connections=max_conn)
        if self._ssl is None:  # one TLS context for every pool: building one loads the CA store (~50 ms)
            self._ssl = httpx.create_ssl_context()
        timeout = httpx.Timeout(self.timeout_s, connect=10.0)
        return httpx.AsyncClient(limits=limits, timeout=timeout, verify=self._ssl)

    @contextlib.asynccontextmanager
    async def _clients(self, count: int, per_client: int) -> AsyncIterator[list[httpx.AsyncClient]]:
        """``count`` small connection pools instead of one big one: httpx's pool scans every
        connection on every request, which costs milliseconds per request with hundreds open."""
        async with contextlib.AsyncExitStack() as stack:
            yield [await stack.enter_async_context(self._client(per_client)) for _ in range(count)]

    async def closed_loop(
        self, workers: int, count: int | None, duration_s: float | None, first_index: int = 0
    ) -> tuple[list[Record], float]:
        """``workers`` requests always in flight until ``count`` sent or ``duration_s`` passed."""
        records: list[Record] = []
        self.live = records
        next_index = first_index
        start = now_ns()
        stop_at = start + int(duration_s * 1e9) if duration_s else None

        async def worker(client: httpx.AsyncClient) -> None:
            nonlocal next_index
            scheduled = now_ns()
            while True:
                if count is not None and next_index - first_index >= count:
                    return
                if stop_at is not None and scheduled >= stop_at:
                    return
                rec = Record(next_index, self.prompts[next_index % len(self.prompts)].id, scheduled)
                next_index += 1
                records.append(rec)
                await self._one(client, rec)
                scheduled = now_ns()

        async with self._clients(workers, 1) as clients:  # one keep-alive connection per worker
            await asyncio.gather(*(worker(c) for c in clients))
        return records, (now_ns() - start) / 1e9

    async def open_loop(
        self, rate: float, count: int | None, duration_s: float | None, seed: int, first_index: int = 0
    ) -> tuple[list[Record], float]:
        """Requests at Poisson arrival times, each sent on time however many are in flight.

        Each request's task is created a little ahead (``LOOKAHEAD_S``) and sleeps until its own
        arrival, so it is sent straight from the timer wake-up, not one more loop turn later.
        """
        arrivals = poisson_schedule(rate, count, duration_s, seed)
        records: list[Record] = []
        self.live = records
        loop = asyncio.get_running_loop()
        tasks = []

        busy: list[int] = []

        async def fire(rec: Record, due: float) -> None:
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            pool = busy.index(min(busy))  # the least busy pool: warm connections get reused
            busy[pool] += 1
            try:
                await self._one(clients[pool], rec)
            finally:
                busy[pool] -= 1

        async with self._clients(OPEN_LOOP_POOLS, OPEN_LOOP_PER_POOL) as clients:
            busy.extend(0 for _ in clients)
            start_ns, start_loop = now_ns(), loop.time()
            for i, offset in enumerate(arrivals):
                ahead = start_loop + offset - LOOKAHEAD_S - loop.time()
                if ahead > 0:
                    await asyncio.sleep(ahead)
                index = first_index + i
                rec = Record(index, self.prompts[index % len(self.prompts)].id, start_ns + int(offset * 1e9))
                records.append(rec)
                tasks.append(asyncio.create_task(fire(rec, start_loop + offset)))
            await asyncio.gather(*tasks)
        return records, (now_ns() - start_ns) / 1e9


def parse_stream(rec: Record) -> None:
    """Turn a request's timestamped ``data:`` lines into events with the OpenAI backend's reader,
    and name what went wrong (a malformed chunk, a mid-stream error, a stream cut short)."""
    if rec.error or rec.events:
        return
    try:
        for event in sse_events(rec.raw):
            rec.events.append(event)
    except StreamCut as exc:
        rec.error, rec.incomplete = str(exc), True
    except ValueError as exc:
        rec.error = str(exc)
    rec.raw = []


def run_level(
    engine: Engine,
    level: Level,
    count: int | None,
    duration_s: float | None,
    seed: int = 42,
    first_index: int = 0,
    tick: TickFn | None = None,
) -> tuple[list[Record], float]:
    """One level on a fresh event loop: (records, wall seconds from first schedule to last end).

    ``tick(done, sent, elapsed_s)`` is called about once a second while the level runs."""
    if level.kind == "concurrency":
        coro = engine.closed_loop(int(level.value), count, duration_s, first_index)
    else:
        coro = engine.open_loop(level.value, count, duration_s, seed, first_index)
    # The heap that exists before the level (the app, pandas, the models' objects) leaves the cyclic
    # collector's scans for the level's duration: a full collection of it paused the event loop for
    # tens of ms, which was the whole send-lag p99 at 800 requests/s (40 ms -> 2 ms, harness.md).
    # New objects are still collected, so memory does not grow.
    gc.collect()
    gc.freeze()
    try:
        records, wall = asyncio.run(_ticking(engine, coro, tick))
    finally:
        gc.unfreeze()
    for rec in records:  # after the level: parsing never competes with the load
        parse_stream(rec)
    return records, wall


TickFn = Callable[[int, int, float], None]


async def _ticking(engine: Engine, coro: Any, tick: TickFn | None) -> Any:
    task = asyncio.ensure_future(coro)
    started = time.perf_counter()
    while not task.done():
        await asyncio.wait({task}, timeout=1.0)
        if tick and not task.done():
            live = engine.live
            tick(sum(1 for r in live if r.end_ns), len(live), time.perf_counter() - started)
    return task.result()
