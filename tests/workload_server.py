"""A fake OpenAI-compatible server that stands in for a model that can call tools (stdlib only).

No model that runs here calls tools through an HTTP server, so this real ``http.server`` on 127.0.0.1
plays one: it answers each chat request with a scripted reply chosen by the last user message
(``answers``: message -> reply text, where a reply may hold ``<tool_call>{...}</tool_call>`` parts).
Tool-call parts are sent the way OpenAI, vLLM and llama-server send them: as ``delta.tool_calls``
pieces (the name first, the arguments JSON split into small pieces), or as ``message.tool_calls``
when the request is not streamed; the rest of the reply is sent as content. Usage reports
``cached_tokens`` equal to the tokens of the earlier turns (a perfect prompt cache, so each turn of a
conversation shows what the cache could save). ``/tokenize`` (one token per word) and ``/props``
(``n_ctx``) are llama-server's routes, so the context-window refusal can be tested over HTTP.
Every request body is recorded.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "tool-model"
_CALL = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)
_PARTS = re.compile(r'^\{"name": "(?P<name>[^"]+)", "arguments": (?P<args>.*?)\}?$', re.DOTALL)


def words(text: str) -> int:
    return len(text.split())


@dataclass
class Script:
    answers: dict[str, str] = field(default_factory=dict)
    default: str = "I do not know."
    n_ctx: int = 4096
    #: answer every request that carries tools with HTTP 400, as Ollama does for a model without tools
    reject_tools: bool = False
    bodies: list[dict[str, Any]] = field(default_factory=list)


def _pieces(reply: str) -> tuple[str, list[tuple[str, str]]]:
    """(content without the calls, [(name, arguments text)]): a broken call is sent as written."""
    calls = []
    for raw in _CALL.findall(reply):
        parts = _PARTS.match(raw.strip())
        if parts:
            calls.append((parts["name"], parts["args"]))
    return _CALL.sub("", reply).strip(), calls


class WorkloadServer:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WorkloadServer:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        script = self.script

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: Any) -> None:
                pass

            def _json(self, data: Any) -> None:
                raw = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                if self.path == "/v1/models":
                    self._json({"object": "list", "data": [{"id": MODEL, "object": "model"}]})
                elif self.path == "/props":
                    self._json({"default_generation_settings": {"n_ctx": script.n_ctx}})
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if self.path == "/tokenize":
                    self._json({"tokens": list(range(words(body.get("content", ""))))})
                    return
                script.bodies.append(body)
                if script.reject_tools and body.get("tools"):
                    raw = json.dumps({"error": {"message": f"{MODEL} does not support tools"}}).encode()
                    self.send_response(400)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                    return
                messages = body["messages"]
                reply = script.answers.get(messages[-1]["content"], script.default)
                earlier = sum(words(m["content"]) for m in messages[:-1])
                usage = {"prompt_tokens": earlier + words(messages[-1]["content"]), "completion_tokens": 7,
                         "prompt_tokens_details": {"cached_tokens": earlier}}  # fmt: skip
                if body.get("stream"):
                    self._stream(reply, usage)
                else:
                    self._whole(reply, usage)

            def _whole(self, reply: str, usage: dict[str, Any]) -> None:
                content, calls = _pieces(reply)
                message: dict[str, Any] = {"role": "assistant", "content": content or None}
                if calls:
                    message["tool_calls"] = [
                        {"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": a}}
                        for i, (n, a) in enumerate(calls)
                    ]
                finish = "tool_calls" if calls else "stop"
                self._json(
                    {"choices": [{"index": 0, "message": message, "finish_reason": finish}], "usage": usage}
                )

            def _event(self, data: Any) -> None:
                raw = f"data: {data if isinstance(data, str) else json.dumps(data)}\n\n".encode()
                self.wfile.write(f"{len(raw):x}\r\n".encode() + raw + b"\r\n")
                self.wfile.flush()

            def _stream(self, reply: str, usage: dict[str, Any]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                content, calls = _pieces(reply)

                def delta(d: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
                    return {"choices": [{"index": 0, "delta": d, "finish_reason": finish}]}

                self._event(delta({"role": "assistant"}))
                for word in content.split(" ") if content else []:
                    self._event(delta({"content": word + " "}))
                for i, (name, args) in enumerate(calls):
                    head = {
                        "index": i,
                        "id": f"c{i}",
                        "type": "function",
                        "function": {"name": name, "arguments": ""},
                    }
                    self._event(delta({"tool_calls": [head]}))
                    for start in range(0, len(args), 5):
                        piece = {"index": i, "function": {"arguments": args[start : start + 5]}}
                        self._event(delta({"tool_calls": [piece]}))
                self._event(delta({}, "tool_calls" if calls else "stop"))
                self._event({"choices": [], "usage": usage})
                self._event("[DONE]")
                self.wfile.write(b"0\r\n\r\n")

        return Handler
