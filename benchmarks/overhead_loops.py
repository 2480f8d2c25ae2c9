"""The loops ``benchmarks/overhead.py`` times: the SDK's stream with nothing of ours in it, SLM Bench's
pipeline on a live stream, and both backends replaying a recorded stream (part 2 of that benchmark).

Kept apart from the script so each file holds one idea: this one *measures*, the script drives the
Foundry Local service and writes the report. Not a script itself: run ``overhead.py``.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

from bench.backends.base import ChatRequest, now_ns
from bench.backends.foundry import FoundryBackend
from bench.backends.openai_compat import OpenAIBackend
from bench.measure.request_metrics import summarize

TINY_PROMPT = "Say hello."


def median(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def fmt(value: float | None, spec: str = ".1f") -> str:
    return "n/a" if value is None else format(value, spec)


def raw_sdk_loop(
    model: Any, max_tokens: int, prompt: str = TINY_PROMPT
) -> tuple[int, int, int, list[Any], Any]:
    """The SDK's stream with nothing of ours in it.

    Returns (t_first, t_last, n_text_items) in ns, plus the items and the final usage/finish (kept
    for the replay; ``done.t_send``/``done.t_end`` bracket the request).
    """
    from foundry_local_sdk import ChatSession, MessageItem, Request, RequestOptions, SearchOptions, TextItem

    options = RequestOptions(search=SearchOptions(temperature=0.0, max_output_tokens=max_tokens, seed=42))
    items: list[Any] = []
    with ChatSession(model) as session, Request() as req:
        req.add_item(MessageItem.user(prompt))
        session.set_options(options)
        session.set_streaming(True)
        t_send = time.perf_counter_ns()
        stream = session.process_streaming_request(req)
        t_first = t_last = 0
        n = 0
        for item in stream:
            t_last = time.perf_counter_ns()
            items.append(item)
            if isinstance(item, TextItem) and item.text:
                n += 1
                if n == 1:
                    t_first = t_last
        with stream.final_response as final:
            usage = final.get_usage()
            done = SimpleNamespace(
                usage=SimpleNamespace(
                    prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens
                ),
                finish_reason=final.finish_reason,
                t_send=t_send,
                t_end=time.perf_counter_ns(),
            )
    return t_first, t_last, n, items, done


class _ReplayFinal:
    def __init__(self, done: Any) -> None:
        self.done = done
        self.finish_reason = done.finish_reason

    def get_usage(self) -> Any:
        return self.done.usage

    def __enter__(self) -> _ReplayFinal:
        return self

    def __exit__(self, *_: object) -> None:
        return None


class _ReplayStream:
    def __init__(self, items: list[Any], done: Any) -> None:
        self.items = items
        self.final_response = _ReplayFinal(done)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)


class _ReplaySession:
    """Stands in for a ChatSession: hands FoundryBackend._streamed the items of a real stream."""

    def __init__(self, items: list[Any], done: Any) -> None:
        self.items, self.done = items, done

    def set_streaming(self, _: bool) -> None:
        pass

    def process_streaming_request(self, _: Any) -> _ReplayStream:
        return _ReplayStream(self.items, self.done)


def per_token_us(t_first: int, t_last: int, n: int) -> float | None:
    return (t_last - t_first) / 1e3 / (n - 1) if n > 1 else None


def ours_live(backend: Any, request: ChatRequest) -> tuple[float | None, float]:
    """SLM Bench's pipeline on a live stream: (µs per token in the timed window, summarize() µs)."""
    t_send = now_ns()
    events = list(backend.stream_chat(request))
    t0 = time.perf_counter_ns()
    summarize(events, t_send)
    t_summary = (time.perf_counter_ns() - t0) / 1e3
    tokens = [e for e in events if e.kind == "content" and e.text]
    per = per_token_us(tokens[0].t_ns, tokens[-1].t_ns, len(tokens)) if tokens else None
    return per, t_summary


def _best_per_item(fn: Callable[[], Any], n_items: int, repeats: int) -> float:
    """µs per item of ``fn`` (the minimum over ``repeats``: the cost without interference)."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter_ns()
        fn()
        best = min(best, (time.perf_counter_ns() - t0) / 1e3 / n_items)
    return best


def replay_inproc(items: list[Any], done: Any, repeats: int) -> dict[str, float]:
    """FoundryBackend's own per-item work on a recorded stream, against a bare loop."""
    from foundry_local_sdk import TextItem

    def bare() -> int:
        n = 0
        for item in items:
            if isinstance(item, TextItem) and item.text:
                n += 1
        return n

    session = _ReplaySession(items, done)
    backend = FoundryBackend.__new__(FoundryBackend)  # _streamed needs no manager
    raw = _best_per_item(bare, len(items), repeats)
    # the per-token checks a real run makes (a deadline and a Cancel event, as the runner sets them)
    request = ChatRequest(model="replay", prompt="", timeout_s=300.0, cancel=threading.Event())
    ours = _best_per_item(lambda: list(backend._streamed(session, None, request)), len(items), repeats)
    return {"raw_us_per_token": raw, "ours_us_per_token": ours, "overhead_us_per_token": ours - raw}


def replay_http(body: bytes, model_id: str, max_tokens: int, repeats: int) -> dict[str, float]:
    """OpenAIBackend's SSE parsing on a recorded stream, against iter_lines + json.loads."""
    import httpx

    def respond(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    transport = httpx.MockTransport(respond)
    client = httpx.Client(transport=transport)
    n_chunks = sum(1 for line in body.splitlines() if line.startswith(b"data:"))

    def bare() -> None:
        with client.stream("POST", "http://replay/v1/chat/completions", json={}) as response:
            for line in response.iter_lines():
                if line.startswith("data:") and not line.endswith("[DONE]"):
                    json.loads(line[5:])

    backend = OpenAIBackend("http://replay", http_transport=transport)
    request = ChatRequest(model_id, TINY_PROMPT, max_tokens=max_tokens)
    raw = _best_per_item(bare, n_chunks, repeats)
    ours = _best_per_item(lambda: list(backend.stream_chat(request)), n_chunks, repeats)
    return {"raw_us_per_token": raw, "ours_us_per_token": ours, "overhead_us_per_token": ours - raw}


def record_sse(url: str, model_id: str, max_tokens: int) -> bytes:
    import httpx

    body = {
        "model": model_id,
        "messages": [{"role": "user", "content": TINY_PROMPT}],
        "max_tokens": max_tokens,
        "temperature": 0.0,
        "seed": 42,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    return httpx.post(f"{url}/chat/completions", json=body, timeout=60).content


def harness_overhead(
    inproc: FoundryBackend,
    http: OpenAIBackend,
    tiny_name: str,
    tiny_id: str,
    url: str,
    args: Any,
) -> dict[str, Any]:
    """Part 2: live loops on the tiny model, then both backends on a recorded stream.

    ``args`` is the parsed command line (``max_tokens``, ``warmup``, ``tiny_rounds``, ``replay_repeats``).
    """
    model = inproc.resolve(tiny_name)
    request = ChatRequest(tiny_name, TINY_PROMPT, max_tokens=args.max_tokens)
    for _ in range(args.warmup):
        raw_sdk_loop(model, args.max_tokens)
        ours_live(inproc, request)
    raw_us, ours_us, summary_us = [], [], []
    items: list[Any] = []
    done: Any = None
    for _ in range(args.tiny_rounds):
        first, last, n, items, done = raw_sdk_loop(model, args.max_tokens)
        raw_us.append(per_token_us(first, last, n))
        per, summ = ours_live(inproc, request)
        ours_us.append(per)
        summary_us.append(summ)
    r, o = median(raw_us), median(ours_us)
    live = {
        "raw_us_per_token": r,
        "ours_us_per_token": o,
        "overhead_us_per_token": (o - r) if (o is not None and r is not None) else None,
        "summarize_us": median(summary_us),
    }
    print(f"  live in-process   raw {fmt(r)} µs/token  ours {fmt(o)} µs/token", flush=True)
    replay_in = replay_inproc(items, done, args.replay_repeats)
    body = record_sse(url, tiny_id, args.max_tokens)
    replay_web = replay_http(body, tiny_id, args.max_tokens, args.replay_repeats)
    for label, row in (("replay in-process", replay_in), ("replay http", replay_web)):
        print(
            f"  {label:17s} raw {row['raw_us_per_token']:.2f} µs/token  ours {row['ours_us_per_token']:.2f} µs/token",
            flush=True,
        )
    return {"live in-process": live, "replay in-process": replay_in, "replay http": replay_web}
