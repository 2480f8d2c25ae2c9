"""``python -m bench serve MODEL`` loads what it serves: a plain HTTP request works at once.

Seen (issue 20): after ``bench serve``, ``curl .../v1/chat/completions`` got "Model not loaded", so
any OpenAI client in a demo failed until something called ``/models/load``. Here the real CLI runs
in a child process with no flags but the port (real Foundry Local web service, the tiny test model),
and the very first request is a plain HTTP POST, nothing loaded by hand.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import httpx

from bench import paths
from bench.acquire import foundry_service
from tests import processes


def test_a_plain_chat_request_works_right_after_serve(tiny_model: str) -> None:
    port = foundry_service.free_port()
    url = f"http://127.0.0.1:{port}/v1"
    cmd = [sys.executable, "-m", "bench", "serve", tiny_model, "--port", str(port)]
    child = subprocess.Popen(cmd, cwd=paths.REPO_ROOT, env=dict(os.environ), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        lines: list[str] = []
        while True:  # "serving at URL" is printed once the models are served (and, by default, loaded)
            assert child.poll() is None, "serve exited:\n" + "".join(lines)
            assert time.monotonic() < deadline, "serve not ready:\n" + "".join(lines)
            line = child.stdout.readline()  # type: ignore[union-attr]
            lines.append(line)
            if "try: curl" in line:
                break
        assert f"{tiny_model}:1  (loaded)" in "".join(lines)
        reply = httpx.post(
            f"{url}/chat/completions",
            json={
                "model": f"{tiny_model}:1",
                "messages": [{"role": "user", "content": "Hi"}],
                "max_tokens": 4,
            },
            timeout=120,
        )
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["choices"][0]["message"]["role"] == "assistant"
        assert "not loaded" not in reply.text.lower()
    finally:
        processes.end(child, grace_s=30)
        shutil.rmtree(foundry_service.service_cache_path(port), ignore_errors=True)  # its links and logs
