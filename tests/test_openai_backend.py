"""OpenAIBackend against the real Foundry Local web service serving the tiny test model.

The service runs in its own process (``python -m bench serve``, started by
:func:`bench.acquire.foundry_service.start_service_process`) on a free port; this process never
initialises Foundry Local for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.acquire import foundry_service
from bench.backends.base import ChatRequest, RequestError, now_ns
from bench.backends.openai_compat import OpenAIBackend
from bench.inputs.config import RunSettings, load_prompt_set
from bench.measure.request_metrics import summarize
from bench.run.runner import run_benchmark
from bench.store.store import Store
from tests import service_ports


@pytest.fixture(scope="module")
def service(tiny_model: str) -> Iterator[foundry_service.ServiceHandle]:
    handle = service_ports.start_on_a_free_port([tiny_model])
    yield handle
    assert handle.stop() == 0, "serve did not exit cleanly on SIGTERM"


@pytest.fixture(scope="module")
def model_id(service: foundry_service.ServiceHandle) -> str:
    (mid,) = service.model_ids
    return mid


@pytest.fixture(scope="module")
def backend(service: foundry_service.ServiceHandle) -> OpenAIBackend:
    return OpenAIBackend(service.base_url)


@pytest.fixture(scope="module")
def loaded(backend: OpenAIBackend, model_id: str) -> str:
    backend.load(model_id)
    return model_id


def test_health_lists_the_model(backend: OpenAIBackend, model_id: str, tiny_model: str):
    health = backend.health()
    assert health["ok"] and health["latency_s"] > 0
    assert health["models"] == [model_id]
    assert model_id.split(":")[0] == tiny_model  # served as "<name>:1", loaded by name


def test_no_auto_load_then_load_is_timed(backend: OpenAIBackend, model_id: str):
    backend.unload(model_id)
    assert backend._foundry_loaded() == []
    with pytest.raises(RequestError, match="not loaded"):
        list(backend.stream_chat(ChatRequest(model_id, "hi", max_tokens=4)))
    info = backend.load(model_id)
    assert not info.already_loaded and info.seconds > 0 and info.model_id == model_id
    assert backend._foundry_loaded() == [model_id]
    assert backend.load(model_id).already_loaded


def test_streaming_has_chunks_usage_and_finish(backend: OpenAIBackend, loaded: str):
    t_send = now_ns()
    events = list(backend.stream_chat(ChatRequest(loaded, "Say hello.", max_tokens=16)))
    kinds = [e.kind for e in events]
    assert kinds[0] == "first_byte" and "role" in kinds
    assert kinds.count("content") >= 2 and "usage" in kinds and "finish" in kinds
    m = summarize(events, t_send)
    assert m.output_token_source == "usage" and m.output_tokens == 16
    assert m.prompt_token_source == "usage" and m.prompt_tokens > 0
    assert 0 < m.ttfb_s <= m.ttft_s < m.e2e_s
    assert m.finish_reason == "length"
    assert m.decode_tps and m.decode_tps > 0


def test_non_streaming_returns_usage(backend: OpenAIBackend, loaded: str):
    t_send = now_ns()
    events = list(backend.stream_chat(ChatRequest(loaded, "Say hello.", max_tokens=8, stream=False)))
    m = summarize(events, t_send, streamed=False)
    assert m.output_token_source == "usage" and m.output_tokens == 8
    assert m.ttft_s is None and m.e2e_s > 0
    assert m.finish_reason == "length" and m.content_chunks == 1


def test_server_pid_is_the_service_process(backend: OpenAIBackend, service: foundry_service.ServiceHandle):
    assert backend.server_pid() == service.pid


def test_full_run_over_http(
    service: foundry_service.ServiceHandle, model_id: str, db_path: Path, prompt_file: Path
):
    store = Store(db_path)
    settings = RunSettings(
        models=[model_id], rounds=2, warmup=1, max_tokens=16, stream=True, endpoint=service.base_url
    )
    run_id, status = run_benchmark(store, settings, load_prompt_set(prompt_file))
    assert status == "completed"
    samples = store.samples([run_id])
    assert len(samples) == 2 * 3  # 2 prompts x (1 warm-up + 2 rounds)
    for s in samples:
        assert s["ok"], s["error"]
        assert s["transport"] == "http" and s["stream"]
        m = s["metrics"]
        assert m["output_token_source"] == "usage" and m["output_tokens"] == 16
        assert 0 < m["ttft_s"] < m["e2e_s"]
        assert m["rss_peak_bytes"] and m["rss_peak_bytes"] > 0  # the server's memory, read by pid
    (row,) = store.run_models(run_id)
    assert row["status"] == "done" and row["transport"] == "http"
    assert row["rss_source"].startswith(f"server pid {service.pid} and its children (")
    assert row["memory_comparable"] == 1  # the run loaded the model on the service: baseline without it
    assert store.get_run(run_id)["meta"]["transport"] == "http"
