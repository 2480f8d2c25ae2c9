"""Metric definitions on hand-made event streams with known answers (no model needed)."""

from __future__ import annotations

import pytest

from bench.backends.base import StreamEvent
from bench.measure.request_metrics import summarize

MS = 1_000_000  # nanoseconds per millisecond


def ev(kind: str, t_ms: float, text: str = "", n: int | None = None, **data) -> StreamEvent:
    return StreamEvent(kind=kind, t_ns=int(t_ms * MS), text=text, n_tokens=n, data=data)


def test_role_chunk_is_not_a_token_and_usage_wins():
    # sent at t=0; role chunk at 10 ms (first byte, no token); tokens at 50, 60, 70, 80 ms;
    # usage chunk at 90 ms says 4 completion tokens and 12 prompt tokens.
    events = [
        ev("role", 10),
        ev("content", 50, "Hel"),
        ev("content", 60, "lo"),
        ev("content", 70, " wor"),
        ev("content", 80, "ld"),
        ev("usage", 90, prompt_tokens=12, completion_tokens=4),
    ]
    m = summarize(events, t_send_ns=0)
    assert m.ttfb_s == pytest.approx(0.010)
    assert m.ttft_s == pytest.approx(0.050)  # not the role chunk (vllm #3759)
    assert m.ttfc_s == pytest.approx(0.050)
    assert m.e2e_s == pytest.approx(0.090)
    assert (m.output_tokens, m.output_token_source) == (4, "usage")
    assert (m.prompt_tokens, m.prompt_token_source) == (12, "usage")
    # decode: (4 - 1) tokens / (0.090 - 0.050) s = 75 tok/s; TPOT = 1/75
    assert m.decode_tps == pytest.approx(75.0)
    assert m.tpot_s == pytest.approx(1 / 75)
    assert m.prefill_tps == pytest.approx(12 / 0.050)
    assert m.e2e_tps == pytest.approx(4 / 0.090)
    # token-weighted ITL: (80 - 50) ms over 3 later tokens = 10 ms
    assert m.itl_s == pytest.approx(0.010)
    assert m.ici_mean_s == pytest.approx(0.010)


def test_multi_token_chunks_weight_inter_token_latency():
    # Chunks carry 1, 3 and 4 tokens (vllm #27485: ITL must not assume one token per chunk).
    events = [ev("content", 100, "a", n=1), ev("content", 160, "bcd", n=3), ev("content", 200, "efgh", n=4)]
    m = summarize(events, t_send_ns=0)
    assert (m.output_tokens, m.output_token_source) == (8, "chunks")
    # gaps 60 ms (3 tokens) + 40 ms (4 tokens) = 100 ms over 7 tokens
    assert m.itl_s == pytest.approx(0.100 / 7)
    # inter-chunk latency is per chunk: (60 + 40) / 2
    assert m.ici_mean_s == pytest.approx(0.050)
    assert m.ici_max_s == pytest.approx(0.060)


def test_reasoning_tokens_count_for_ttft_but_not_ttfc():
    events = [ev("reasoning", 30, "think"), ev("reasoning", 40, "more"), ev("content", 90, "Answer")]
    m = summarize(events, t_send_ns=0)
    assert m.ttft_s == pytest.approx(0.030)
    assert m.ttfc_s == pytest.approx(0.090)
    assert (m.reasoning_chunks, m.content_chunks) == (2, 1)


def test_server_timings_then_tokenizer_then_chunks():
    timings = ev("server_timings", 70, predicted_n=9, prompt_n=5)
    toks = [ev("content", 20, "x"), ev("content", 40, "y")]
    m = summarize([*toks, timings], t_send_ns=0)
    assert (m.output_tokens, m.output_token_source) == (9, "server_timings")
    assert (m.prompt_tokens, m.prompt_token_source) == (5, "server_timings")
    m = summarize(toks, t_send_ns=0, count_tokens=lambda text: 7, prompt_tokens_fallback=3)
    assert (m.output_tokens, m.output_token_source) == (7, "tokenizer")
    assert (m.prompt_tokens, m.prompt_token_source) == (3, "tokenizer")
    m = summarize(toks, t_send_ns=0, count_tokens=lambda text: None)
    assert (m.output_tokens, m.output_token_source) == (2, "chunks")
    assert m.prompt_tokens is None


def test_ollama_durations_are_read():
    m = summarize([ev("content", 5, "x"), ev("server_timings", 9, eval_count=3, prompt_eval_count=4)], 0)
    assert (m.output_tokens, m.prompt_tokens) == (3, 4)


def test_non_streamed_answer_has_no_ttft_or_decode_rate():
    events = [ev("content", 400, "whole answer"), ev("usage", 400, prompt_tokens=5, completion_tokens=20)]
    m = summarize(events, t_send_ns=0, streamed=False)
    assert m.e2e_s == pytest.approx(0.4)
    assert m.ttft_s is None and m.decode_tps is None and m.itl_s is None
    assert m.e2e_tps == pytest.approx(50.0)


def test_empty_chunks_and_send_offset():
    events = [
        ev("content", 1005, ""),
        ev("content", 1010, "a"),
        ev("content", 1030, "b"),
        ev("finish", 1031, finish_reason="stop"),
    ]
    m = summarize(events, t_send_ns=1000 * MS)
    assert m.ttfb_s == pytest.approx(0.005)
    assert m.ttft_s == pytest.approx(0.010)
    assert m.finish_reason == "stop"
    assert m.output_tokens == 2


def test_single_token_answer_has_no_decode_rate():
    m = summarize([ev("content", 10, "x"), ev("usage", 11, completion_tokens=1, prompt_tokens=2)], 0)
    assert m.decode_tps is None and m.itl_s is None
    assert m.output_tokens == 1
