"""A small fault-injecting OpenAI-compatible server for the reliability tests (stdlib only).

It is a real ``http.server`` on 127.0.0.1 (HTTP/1.1, chunked SSE like llama-server and vLLM),
standing in for faults a real server cannot be made to produce on demand. Each chat request takes
the next mode from ``plan`` (then ``default``):

- ``ok``: a well-formed stream (role chunk, content chunks, finish, usage, ``[DONE]``), or one JSON
  body when the request is not streamed; ``timings`` adds llama.cpp's ``timings`` (with ``cache_n``)
- ``429`` / ``503``: that status, with ``Retry-After: retry_after`` on 429
- ``die``: two content chunks, then the socket is closed mid-chunk (a server crash)
- ``truncate``: two content chunks, then a clean end of body without finish, usage or ``[DONE]``
- ``stall``: one content chunk, then nothing for ``stall_s`` seconds (then ``stall_ended`` is set)
- ``malformed``: one content chunk, then ``data: {not json``

``require_key`` makes every route answer 401 unless ``Authorization: Bearer <key>`` is sent.
Run as a script (``python tests/fault_server.py --mode ok``) it prints its port and serves until
killed, for tests that need the server in a process of its own.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "fault-model"
WORDS = ["Hello", " there", ",", " friend", "."]


@contextlib.contextmanager
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 that refuses connections while the block runs: bound here and never
    listening, so no other process (another xdist worker's server) can take it meanwhile, as one can
    take a port that ``free_port()`` found free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


@dataclass
class Seen:
    """One request as the server saw it (the key is recorded only as present/absent and matched)."""

    method: str
    path: str
    authorized: bool
    auth_header: str
    body: Any


@dataclass
class FaultConfig:
    default: str = "ok"
    plan: deque[str] = field(default_factory=deque)
    retry_after: str | None = "0"
    stall_s: float = 30.0
    gap_s: float = 0.0
    require_key: str | None = None
    words: list[str] = field(default_factory=lambda: list(WORDS))

    def next_mode(self) -> str:
        return self.plan.popleft() if self.plan else self.default


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "object": "chat.completion.chunk",
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


TIMINGS = {
    "prompt_n": 5,
    "prompt_ms": 4.0,
    "cache_n": 41,
    "predicted_n": len(WORDS),
    "predicted_ms": 50.0,
    "predicted_per_second": 100.0,
}


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-answer (a killed run, a cancel) is normal here, not an error."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class FaultServer:
    """Serve on 127.0.0.1 in a thread; ``config`` may be changed between requests."""

    def __init__(self, config: FaultConfig | None = None, port: int = 0) -> None:
        self.config = config or FaultConfig()
        self.seen: list[Seen] = []
        self.stall_ended = threading.Event()  # a stalled answer's stall_s ran out
        self._lock = threading.Lock()
        self.httpd = _QuietServer(("127.0.0.1", port), self._handler())
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True, name="fault-server")

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def start(self) -> FaultServer:
        return self.__enter__()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def chat_requests(self) -> list[Seen]:
        return [s for s in self.seen if s.path.endswith("/chat/completions")]

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: Any) -> None:
                pass

            def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(raw)

            def _authorized(self) -> bool:
                want = server.config.require_key
                return want is None or self.headers.get("Authorization") == f"Bearer {want}"

            def _start(self, method: str) -> tuple[bool, Any]:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                ok = self._authorized()
                server._record(Seen(method, self.path, ok, self.headers.get("Authorization") or "", body))
                if not ok:
                    self._json(401, {"error": {"message": "invalid api key", "type": "auth"}})
                return ok, body

            def do_GET(self) -> None:
                ok, _ = self._start("GET")
                if not ok:
                    return
                if self.path == "/v1/models":
                    self._json(200, {"object": "list", "data": [{"id": MODEL, "object": "model"}]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                ok, body = self._start("POST")
                if not ok:
                    return
                if self.path != "/v1/chat/completions":
                    self._json(404, {"error": {"message": "not found"}})
                    return
                self._chat(server.config.next_mode(), body if isinstance(body, dict) else {})

            # ---- chat ---------------------------------------------------------------------
            def _chat(self, mode: str, body: dict[str, Any]) -> None:
                cfg = server.config
                if mode == "429":
                    headers = {"Retry-After": cfg.retry_after} if cfg.retry_after is not None else {}
                    self._json(429, {"error": {"message": "rate limited", "type": "rate_limit"}}, headers)
                    return
                if mode == "503":
                    self._json(503, {"error": {"message": "overloaded, try again"}})
                    return
                if not body.get("stream"):
                    self._whole(mode)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self._event(_chunk({"role": "assistant", "content": ""}))
                words = cfg.words
                if mode in ("die", "truncate", "stall", "malformed"):
                    words = words[: 1 if mode in ("stall", "malformed") else 2]
                for word in words:
                    self._event(_chunk({"content": word}))
                    if cfg.gap_s:
                        time.sleep(cfg.gap_s)
                if mode == "die":
                    self.wfile.write(b'40\r\ndata: {"cho')  # a chunk cut short, then the socket dies
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if mode == "truncate":
                    self._end()
                    return
                if mode == "stall":
                    time.sleep(cfg.stall_s)
                    server.stall_ended.set()
                    self._end()
                    return
                if mode == "malformed":
                    self._raw("data: {not json\n\n")
                    self._end()
                    return
                last = _chunk({}, finish="stop")
                if mode == "timings":
                    last["timings"] = TIMINGS
                self._event(last)
                usage = {"prompt_tokens": 5, "completion_tokens": len(words)}
                if mode == "timings":
                    usage["prompt_tokens_details"] = {"cached_tokens": TIMINGS["cache_n"]}
                self._event({"object": "chat.completion.chunk", "choices": [], "usage": usage})
                self._raw("data: [DONE]\n\n")
                self._end()

            def _whole(self, mode: str) -> None:
                text = "".join(server.config.words)
                self._json(
                    200,
                    {
                        "object": "chat.completion",
                        "model": MODEL,
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": text},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 5, "completion_tokens": len(server.config.words)},
                    },
                )

            def _event(self, data: dict[str, Any]) -> None:
                self._raw(f"data: {json.dumps(data)}\n\n")

            def _raw(self, text: str) -> None:
                raw = text.encode()
                try:
                    self.wfile.write(f"{len(raw):x}\r\n".encode() + raw + b"\r\n")
                    self.wfile.flush()
                except OSError:
                    self.close_connection = True

            def _end(self) -> None:
                try:
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except OSError:
                    self.close_connection = True

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="ok")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--gap-s", type=float, default=0.0)
    parser.add_argument("--require-key-env", default=None)
    args = parser.parse_args()
    import os

    key = os.environ.get(args.require_key_env) if args.require_key_env else None
    server = FaultServer(FaultConfig(default=args.mode, gap_s=args.gap_s, require_key=key), port=args.port)
    print(server.port, flush=True)
    server.httpd.serve_forever()


if __name__ == "__main__":
    main()
