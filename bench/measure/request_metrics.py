"""Per-request metrics from a timed event stream — the metric definitions in code.

The definitions in words, with the aggregates, memory and intervals: ``docs/metrics.md``.

Every backend yields :class:`~bench.backends.base.StreamEvent`s; this module is the only place
that turns them into numbers, so in-process and HTTP backends are measured by the same rules:

- ``ttfb``: first event of any kind; ``ttft``: first event carrying at least one generated token
  (reasoning or content); ``ttfc``: first content token; ``e2e``: last event. A role-only or empty
  chunk is not a token.
- output tokens: server ``usage`` > server timings (llama.cpp ``predicted_n``, Ollama
  ``eval_count``) > the model's own tokenizer > chunk count (approximate). The source is kept.
- decode tokens/s = (output_tokens - 1) / (e2e - ttft); TPOT is its inverse; prefill tokens/s =
  prompt_tokens / ttft; end-to-end output tokens/s = output_tokens / e2e.
- inter-token latency is token-weighted: a chunk of k tokens counts as k gaps of gap/k, i.e.
  (t_last_token - t_first_token) / (output_tokens - tokens_in_first_chunk). Inter-chunk latency is
  kept separately.
- prompt cache: ``cached_prompt_tokens`` is what the server says it reused (OpenAI-style
  ``usage.prompt_tokens_details.cached_tokens``, llama.cpp ``timings.cache_n``); a TTFT with
  cached tokens > 0 is a cache hit (``ttft_cache_hit``), not a cold prefill.
- ``server_decode_tps`` is the server's own decode rate (llama.cpp ``predicted_per_second``,
  Ollama ``eval_count / eval_duration``) and ``decode_tps_vs_server_pct`` how far ours is from it.
- without streaming nothing arrives before the whole answer: ttfb, ttft, decode rate and ITL are
  None (n/a), never the end-to-end time.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.backends.base import StreamEvent

NS = 1e9
TOKEN_KINDS = ("content", "reasoning")
#: the percentiles every table reports, one home for the aggregates (stats) and the load levels (load)
PERCENTILES = (50, 90, 95, 99)


@dataclass(frozen=True)
class RequestMetrics:
    """The numbers of one request. Times in seconds from just before the request was sent."""

    ttfb_s: float | None = None
    ttft_s: float | None = None
    ttfc_s: float | None = None
    e2e_s: float | None = None
    output_tokens: int | None = None
    output_token_source: str = ""  # usage | server_timings | tokenizer | chunks
    prompt_tokens: int | None = None
    prompt_token_source: str = ""
    reasoning_chunks: int = 0
    content_chunks: int = 0
    decode_tps: float | None = None
    tpot_s: float | None = None
    prefill_tps: float | None = None
    e2e_tps: float | None = None
    itl_s: float | None = None
    ici_mean_s: float | None = None
    ici_max_s: float | None = None
    finish_reason: str = ""
    usage_tokens: dict[str, int] = field(default_factory=dict)
    rss_peak_bytes: int | None = None
    gpu_peak_bytes: int | None = None
    cached_prompt_tokens: int | None = None
    cached_token_source: str = ""  # usage | server_timings
    ttft_cache_hit: bool | None = None  # None: the server does not say
    server_decode_tps: float | None = None
    decode_tps_vs_server_pct: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _rel(t_ns: int, t_send_ns: int) -> float:
    return (t_ns - t_send_ns) / NS


def _is_token(event: StreamEvent) -> bool:
    return event.kind in TOKEN_KINDS and (bool(event.text) or bool(event.n_tokens))


def _server_counts(events: list[StreamEvent]) -> tuple[int | None, int | None]:
    """(output, prompt) token counts from llama.cpp ``timings`` or Ollama durations."""
    for event in events:
        if event.kind != "server_timings":
            continue
        data = event.data
        out = data.get("predicted_n", data.get("eval_count"))
        prompt = data.get("prompt_n", data.get("prompt_eval_count"))
        return (
            int(out) if out is not None else None,
            int(prompt) if prompt is not None else None,
        )
    return None, None


def _usage(events: list[StreamEvent]) -> dict[str, int]:
    for event in reversed(events):
        if event.kind == "usage" and event.data:
            return {k: int(v) for k, v in event.data.items() if isinstance(v, (int, float))}
    return {}


def _count_output(
    events: list[StreamEvent],
    tokens: list[StreamEvent],
    count: Callable[[str], int | None] | None,
) -> tuple[int | None, str]:
    usage = _usage(events)
    if usage.get("completion_tokens") is not None:
        return usage["completion_tokens"], "usage"
    server_out, _ = _server_counts(events)
    if server_out is not None:
        return server_out, "server_timings"
    if count is not None:
        counted = count("".join(e.text for e in tokens))
        if counted is not None:
            return counted, "tokenizer"
    if tokens:
        return sum(e.n_tokens or 1 for e in tokens), "chunks"
    return 0, "chunks"


def _count_prompt(events: list[StreamEvent], prompt_count: int | None) -> tuple[int | None, str]:
    usage = _usage(events)
    if usage.get("prompt_tokens") is not None:
        return usage["prompt_tokens"], "usage"
    _, server_prompt = _server_counts(events)
    if server_prompt is not None:
        return server_prompt, "server_timings"
    if prompt_count is not None:
        return prompt_count, "tokenizer"
    return None, ""


def _server_timings(events: list[StreamEvent]) -> dict[str, Any]:
    return next((e.data for e in events if e.kind == "server_timings"), {})


def _cached(events: list[StreamEvent]) -> tuple[int | None, str]:
    """Prompt tokens the server reused from its cache, and who said so."""
    cached = _usage(events).get("cached_tokens")
    if cached is not None:
        return int(cached), "usage"
    value = _server_timings(events).get("cache_n")
    if isinstance(value, (int, float)):
        return int(value), "server_timings"
    return None, ""


def _server_decode_tps(events: list[StreamEvent]) -> float | None:
    """The server's own decode rate: llama.cpp ``predicted_per_second``, Ollama count / duration (ns)."""
    timings = _server_timings(events)
    rate = timings.get("predicted_per_second")
    if isinstance(rate, (int, float)) and rate > 0:
        return float(rate)
    count, duration = timings.get("eval_count"), timings.get("eval_duration")
    if isinstance(count, (int, float)) and isinstance(duration, (int, float)) and duration > 0:
        return float(count) / (float(duration) / NS)
    return None


def _ratio(num: float | None, den: float | None) -> float | None:
    if num is None or den is None or den <= 0:
        return None
    return num / den


def summarize(
    events: Iterable[StreamEvent],
    t_send_ns: int,
    count_tokens: Callable[[str], int | None] | None = None,
    prompt_tokens_fallback: int | None = None,
    streamed: bool = True,
) -> RequestMetrics:
    """Compute one request's metrics from its events (see the module docstring).

    A non-streamed answer arrives whole, so time to first token, decode rate and inter-token
    latency are not measurable: they stay ``None`` rather than echo the end-to-end latency.
    """
    events = sorted(events, key=lambda e: e.t_ns)
    tokens = [e for e in events if _is_token(e)]
    content = [e for e in tokens if e.kind == "content"]
    output, out_source = _count_output(events, tokens, count_tokens)
    prompt, prompt_source = _count_prompt(events, prompt_tokens_fallback)
    ttfb = _rel(events[0].t_ns, t_send_ns) if events and streamed else None
    ttft = _rel(tokens[0].t_ns, t_send_ns) if tokens and streamed else None
    ttfc = _rel(content[0].t_ns, t_send_ns) if content and streamed else None
    e2e = _rel(events[-1].t_ns, t_send_ns) if events else None
    decode_window = (e2e - ttft) if (e2e is not None and ttft is not None) else None
    decode_tps = None
    if output and output > 1 and len(tokens) > 1:
        decode_tps = _ratio(output - 1, decode_window)
    gaps = [(b.t_ns - a.t_ns) / NS for a, b in itertools.pairwise(tokens)]
    first_k = (tokens[0].n_tokens or 1) if tokens else 1
    itl = None
    if streamed and len(tokens) > 1 and output is not None and output > first_k:
        itl = ((tokens[-1].t_ns - tokens[0].t_ns) / NS) / (output - first_k)
    finish = next((e.data.get("finish_reason", "") for e in events if e.kind == "finish"), "")
    cached, cached_source = _cached(events)
    server_tps = _server_decode_tps(events)
    return RequestMetrics(
        ttfb_s=ttfb,
        ttft_s=ttft,
        ttfc_s=ttfc,
        e2e_s=e2e,
        output_tokens=output,
        output_token_source=out_source,
        prompt_tokens=prompt,
        prompt_token_source=prompt_source,
        reasoning_chunks=sum(1 for e in tokens if e.kind == "reasoning"),
        content_chunks=len(content),
        decode_tps=decode_tps,
        tpot_s=(1 / decode_tps) if decode_tps else None,
        prefill_tps=_ratio(prompt, ttft) if prompt else None,
        e2e_tps=_ratio(output, e2e),
        itl_s=itl,
        ici_mean_s=(sum(gaps) / len(gaps)) if gaps else None,
        ici_max_s=max(gaps) if gaps else None,
        finish_reason=str(finish or ""),
        usage_tokens=_usage(events),
        cached_prompt_tokens=cached,
        cached_token_source=cached_source,
        ttft_cache_hit=(cached > 0) if cached is not None and ttft is not None else None,
        server_decode_tps=server_tps,
        decode_tps_vs_server_pct=(
            (decode_tps - server_tps) / server_tps * 100 if decode_tps and server_tps else None
        ),
    )
