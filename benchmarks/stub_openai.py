"""A tiny OpenAI-compatible streaming server (stdlib only) for load tests and the harness benchmark.

It answers ``/v1/chat/completions`` with ``tokens`` one-word chunks, a finish chunk, a usage chunk
and ``[DONE]``, optionally waiting ``delay_s`` before each token, over HTTP/1.1 keep-alive with
chunked transfer encoding (what real servers do). With ``delay_s=0`` it answers as fast as Python
can, which makes the load generator's own limits visible. ``max_in_flight`` makes it queue requests
beyond a number in flight, like a server with a fixed number of slots, so a load test can see it
saturate. ``fail_every`` answers every N-th request with HTTP 500.

Run it alone: ``python benchmarks/stub_openai.py --port 8765 --tokens 16 --delay-ms 0``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class StubConfig:
    def __init__(
        self, tokens: int = 16, delay_s: float = 0.0, max_in_flight: int = 0, fail_every: int = 0
    ) -> None:
        self.tokens = tokens
        self.delay_s = delay_s
        self.fail_every = fail_every
        self.slots = threading.BoundedSemaphore(max_in_flight) if max_in_flight else None
        self.counter = itertools.count(1)
        self.requests = 0
        self.in_flight = 0
        self.peak_in_flight = 0  # the most requests it was answering at once
        self.lock = threading.Lock()


def _handler(cfg: StubConfig) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # small writes go out at once, as real servers (uvicorn, llama-server) do; without it Nagle
            # and the client's delayed ACK add ~40 ms to every reused keep-alive connection
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *_: Any) -> None:
            return None

        def _json(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                self._json(200, {"object": "list", "data": [{"id": "stub", "object": "model"}]})
            else:
                self._json(200, {"status": "ok"})

        def _chunk(self, payload: str) -> None:
            data = f"data: {payload}\n\n".encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            n = next(cfg.counter)
            cfg.requests = n
            if cfg.fail_every and n % cfg.fail_every == 0:
                self._json(500, {"error": {"message": "stub failure"}})
                return
            with cfg.lock:
                cfg.in_flight += 1
                cfg.peak_in_flight = max(cfg.peak_in_flight, cfg.in_flight)
            if cfg.slots:
                cfg.slots.acquire()
            try:
                self._stream(body)
            finally:
                if cfg.slots:
                    cfg.slots.release()
                with cfg.lock:
                    cfg.in_flight -= 1

        def _stream(self, body: dict[str, Any]) -> None:
            tokens = min(cfg.tokens, int(body.get("max_tokens") or cfg.tokens))
            model = body.get("model", "stub")
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            head = {"id": "c", "object": "chat.completion.chunk", "model": model}
            self._chunk(json.dumps(head | {"choices": [{"index": 0, "delta": {"role": "assistant"}}]}))
            wait = threading.Event()
            for i in range(tokens):
                if cfg.delay_s:
                    wait.wait(cfg.delay_s)
                delta = {"content": f" w{i}"}
                self._chunk(json.dumps(head | {"choices": [{"index": 0, "delta": delta}]}))
                self.wfile.flush()
            finish = {"index": 0, "delta": {}, "finish_reason": "length" if tokens < cfg.tokens else "stop"}
            self._chunk(json.dumps(head | {"choices": [finish]}))
            usage = {"prompt_tokens": 8, "completion_tokens": tokens, "total_tokens": 8 + tokens}
            self._chunk(json.dumps(head | {"choices": [], "usage": usage}))
            self._chunk("[DONE]")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # listen() backlog: the default 5 drops SYNs (a 1 s stall) under load

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client hanging up is normal
            super().handle_error(request, client_address)


class StubServer:
    """``with StubServer(tokens=8, delay_s=0.01) as url: ...`` — the base URL ends in ``/v1``."""

    def __init__(self, port: int = 0, **config: Any) -> None:
        self.config = StubConfig(**config)
        self.httpd = _Server(("127.0.0.1", port), _handler(self.config))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> str:
        self.thread.start()
        return self.url

    def __exit__(self, *_: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--tokens", type=int, default=16)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--max-in-flight", type=int, default=0)
    args = parser.parse_args()
    server = StubServer(
        args.port, tokens=args.tokens, delay_s=args.delay_ms / 1000, max_in_flight=args.max_in_flight
    )
    print(server.url, flush=True)
    server.httpd.serve_forever()


if __name__ == "__main__":
    main()
