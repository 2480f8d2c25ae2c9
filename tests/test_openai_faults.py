"""OpenAIBackend against faults, and the timing rules on odd but legal streams.

The server here is a fake: a real ``http.server`` on 127.0.0.1 in a thread, standing in for faults
and server dialects a real server cannot be made to produce on demand (an HTML page where the API
should be, an HTTP 500, a broken SSE chunk, a stream without usage, llama.cpp ``timings``,
reasoning deltas). The real server is exercised in ``test_openai_backend.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bench.backends.base import ChatRequest, RequestError, now_ns
from bench.backends.http_support import retry_after_seconds, strip_credentials
from bench.backends.openai_compat import OpenAIBackend
from bench.errors import EndpointError
from bench.inputs.config import RunSettings, prompt_set_from_data
from bench.measure.request_metrics import summarize
from bench.run.runner import run_benchmark
from bench.store.store import Store
from tests.fault_server import closed_port

MODEL = "fake-model"
GAP_S = 0.03  # between chunks, so first-token times are distinguishable


@dataclass
class Reply:
    """A canned response: a whole body, or SSE ``events`` sent one by one with a pause between."""

    status: int = 200
    content_type: str = "application/json"
    body: bytes = b""
    events: list[Any] | None = None  # dicts (sent as JSON) or raw strings; "[DONE]" is appended


class FakeServer:
    """Routes ``(method, path)`` to a :class:`Reply`; anything else is a 404."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Reply] = {
            ("GET", "/v1/models"): Reply(body=json.dumps({"data": [{"id": MODEL}]}).encode()),
        }
        self.requests: list[tuple[str, str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def _reply(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                server.requests.append((method, self.path, body))
                reply = server.routes.get((method, self.path))
                if reply is None:
                    reply = Reply(404, "text/plain", b"not found")
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                if reply.events is None:
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                    return
                self.end_headers()  # HTTP/1.0: the stream ends when the connection closes
                for event in [*reply.events, "[DONE]"]:
                    data = event if isinstance(event, str) else json.dumps(event)
                    self.wfile.write(f"data: {data}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(GAP_S)

            def do_GET(self) -> None:
                self._reply("GET")

            def do_POST(self) -> None:
                self._reply("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def chat(self, reply: Reply) -> None:
        self.routes[("POST", "/v1/chat/completions")] = reply

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    server = FakeServer()
    yield server
    server.close()


def delta(
    content: str | None = None, role: str | None = None, finish: str | None = None, **extra: Any
) -> dict:
    d: dict[str, Any] = {}
    if role:
        d["role"] = role
    if content is not None:
        d["content"] = content
    d.update(extra)
    return {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": d, "finish_reason": finish}]}


def usage_chunk(prompt: int, completion: int) -> dict:
    return {"choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": completion}}


def run_stream(fake: FakeServer, events: list[Any]) -> tuple[list, Any]:
    fake.chat(Reply(content_type="text/event-stream", events=events))
    backend = OpenAIBackend(fake.url)
    t_send = now_ns()
    got = list(backend.stream_chat(ChatRequest(MODEL, "hi", max_tokens=8)))
    return got, summarize(got, t_send, count_tokens=lambda t: backend.count_tokens(MODEL, t))


# --------------------------------------------------------------------------- faults


def test_connection_refused_names_the_url_and_the_fix():
    with closed_port() as port, pytest.raises(EndpointError) as err:
        OpenAIBackend(f"http://127.0.0.1:{port}").health()
    text = err.value.message
    assert f"http://127.0.0.1:{port}/v1" in text and "unreachable" in text
    assert "start the server" in err.value.fix


def test_html_page_is_not_an_openai_endpoint(fake: FakeServer):
    fake.routes[("GET", "/v1/models")] = Reply(
        content_type="text/html", body=b"<html><body>Welcome</body></html>"
    )
    with pytest.raises(EndpointError) as err:
        OpenAIBackend(fake.url).health()
    assert "does not speak the OpenAI API" in err.value.message and "non-JSON" in err.value.message
    assert "/v1/models" in err.value.fix


def test_http_500_on_chat_is_a_request_error_with_its_status(fake: FakeServer):
    fake.chat(Reply(500, "application/json", b'{"error": {"message": "engine crashed"}}'))
    with pytest.raises(RequestError) as err:
        list(OpenAIBackend(fake.url).stream_chat(ChatRequest(MODEL, "hi")))
    assert "HTTP 500" in err.value.message and "engine crashed" in err.value.message
    assert err.value.http_status == 500 and not err.value.retryable  # 500 is a bug, not a blip


def test_malformed_sse_chunk_is_a_failed_request_not_a_wrong_server(fake: FakeServer):
    fake.chat(Reply(content_type="text/event-stream", events=[delta("Hi", role="assistant"), "{not json"]))
    with pytest.raises(RequestError) as err:
        list(OpenAIBackend(fake.url).stream_chat(ChatRequest(MODEL, "hi")))
    assert "malformed chunk from server" in err.value.message and "{not json" in err.value.message
    assert "does not speak the OpenAI API" not in err.value.message
    assert err.value.outcome == "failed"


def test_error_object_mid_stream_is_a_request_error(fake: FakeServer):
    fake.chat(Reply(content_type="text/event-stream", events=[delta("Hi"), {"error": {"message": "OOM"}}]))
    with pytest.raises(RequestError, match="mid-stream"):
        list(OpenAIBackend(fake.url).stream_chat(ChatRequest(MODEL, "hi")))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2", 2.0), ("0.5", 0.5), ("-3", 0.0), ("soon", None), ("", None), (None, None)],
)
def test_retry_after_seconds(value: str | None, expected: float | None):
    assert retry_after_seconds(value) == expected


def test_retry_after_as_an_http_date_is_seconds_from_now():
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    target = (datetime.now(UTC) + timedelta(seconds=30)).replace(microsecond=0)  # the header has no fraction
    before = datetime.now(UTC)
    got = retry_after_seconds(format_datetime(target, usegmt=True))
    after = datetime.now(UTC)
    # between the seconds left when it was read and when it returned, however long that took
    assert got is not None and (target - after).total_seconds() <= got <= (target - before).total_seconds()


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("http://alice:s3cret@host:8080/v1", "http://host:8080/v1"),
        ("https://tok@example.com/v1", "https://example.com/v1"),
        ("http://127.0.0.1:5273/v1", "http://127.0.0.1:5273/v1"),
        (None, None),
    ],
)
def test_url_credentials_are_stripped(url: str | None, stored: str | None):
    assert strip_credentials(url) == stored


# --------------------------------------------------------------------------- stream dialects


def test_request_asks_for_usage_in_the_stream(fake: FakeServer):
    run_stream(fake, [delta("a"), delta(finish="stop")])
    body = next(b for m, p, b in fake.requests if p == "/v1/chat/completions")
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["temperature"] == 0.0 and body["seed"] == 42 and body["max_tokens"] == 8


def test_stream_without_usage_falls_back_to_chunks(fake: FakeServer):
    events, m = run_stream(
        fake,
        [delta("", role="assistant"), delta("one"), delta(" two"), delta(" three"), delta(finish="stop")],
    )
    assert not any(e.kind == "usage" for e in events)
    # no usage, no server timings, no /tokenize on this server: chunk count, marked approximate
    assert m.output_token_source == "chunks" and m.output_tokens == 3
    assert m.prompt_tokens is None and m.prompt_token_source == ""
    assert m.finish_reason == "stop"


def test_usage_chunk_is_the_token_count(fake: FakeServer):
    _, m = run_stream(fake, [delta("one"), delta(" two"), delta(finish="length"), usage_chunk(12, 5)])
    assert m.output_token_source == "usage" and m.output_tokens == 5 and m.content_chunks == 2
    assert m.prompt_tokens == 12 and m.prompt_token_source == "usage"


TIMINGS = {
    "prompt_n": 9,
    "prompt_ms": 12.5,
    "predicted_n": 4,
    "predicted_ms": 80.0,
    "predicted_per_second": 50.0,
    "cache_n": 0,
}


def test_llama_cpp_timings_are_read_and_stored(fake: FakeServer, tmp_path: Path):
    last = delta(finish="stop")
    last["timings"] = TIMINGS  # llama-server puts them in the last chunk
    chunks = [delta("", role="assistant"), delta("a"), delta("b"), delta("c"), last]
    events, m = run_stream(fake, chunks)
    assert any(e.kind == "server_timings" and e.data == TIMINGS for e in events)
    assert m.output_token_source == "server_timings" and m.output_tokens == 4
    assert m.prompt_token_source == "server_timings" and m.prompt_tokens == 9

    # the runner stores the server's own report beside ours
    fake.chat(Reply(content_type="text/event-stream", events=chunks))
    store = Store(tmp_path / "bench.db")
    settings = RunSettings(models=[MODEL], rounds=1, warmup=0, max_tokens=8, endpoint=fake.url)
    run_id, status = run_benchmark(store, settings, prompt_set_from_data(["hi"], "test"))
    assert status == "completed"
    (sample,) = store.samples([run_id])
    assert sample["ok"] and sample["transport"] == "http"
    assert sample["server_timings"] == TIMINGS
    assert sample["metrics"]["output_token_source"] == "server_timings"
    assert sample["answer"] == "abc"


def test_reasoning_deltas_make_ttft_earlier_than_ttfc(fake: FakeServer):
    events, m = run_stream(
        fake,
        [
            delta("", role="assistant"),
            delta(None, reasoning_content="Let me think"),
            delta(None, reasoning_content=" about it."),
            delta("Answer"),
            delta(finish="stop"),
            usage_chunk(5, 4),
        ],
    )
    assert [e.kind for e in events if e.kind in ("reasoning", "content")] == [
        "reasoning",
        "reasoning",
        "content",
    ]
    assert m.reasoning_chunks == 2 and m.content_chunks == 1
    assert m.ttft_s is not None and m.ttfc_s is not None
    first_reasoning = next(e for e in events if e.kind == "reasoning")
    first_content = next(e for e in events if e.kind == "content")
    assert m.ttfc_s - m.ttft_s == pytest.approx((first_content.t_ns - first_reasoning.t_ns) / 1e9)
    assert m.ttft_s < m.ttfc_s  # the server sent them two chunk gaps apart
    assert m.ttfb_s <= m.ttft_s < m.e2e_s


def test_role_only_first_chunk_is_not_a_token(fake: FakeServer):
    events, m = run_stream(
        fake,
        [
            delta("", role="assistant"),
            delta("Hello"),
            delta(" there"),
            delta(finish="stop"),
            usage_chunk(3, 2),
        ],
    )
    first_byte = next(e for e in events if e.kind == "first_byte")
    role = next(e for e in events if e.kind == "role")
    first_content = next(e for e in events if e.kind == "content")
    assert first_byte.t_ns <= role.t_ns < first_content.t_ns
    # ttft is the first content chunk, one gap after the role chunk (which only counts as a byte)
    assert m.ttft_s - m.ttfb_s == pytest.approx((first_content.t_ns - first_byte.t_ns) / 1e9)
    assert m.ttft_s > m.ttfb_s
    assert m.content_chunks == 2 and m.output_tokens == 2


# --------------------------------------------------------------------------- the CLI


def test_cli_run_against_a_dead_endpoint_exits_2_without_traceback(tmp_path: Path):
    env = {**os.environ, "SLM_BENCH_DB": str(tmp_path / "bench.db")}
    with closed_port() as port:
        proc = subprocess.run(
            [sys.executable, "-m", "bench", "run", "--endpoint", f"http://127.0.0.1:{port}", "--models", "x"],
            capture_output=True,
            text=True,
            env=env,
            cwd=Path(__file__).resolve().parent.parent,
            timeout=120,
        )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    err = " ".join(proc.stderr.split())  # undo the console's line wrapping
    assert f"http://127.0.0.1:{port}/v1" in err and "unreachable" in err
    assert "fix: start the server" in err
