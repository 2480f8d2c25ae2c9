"""One chat-completions wire format for the run and the load engine: the same request body, and one
rule for "the stream ended properly" (a finish reason, usage or ``[DONE]``).

The server is the fake of ``test_openai_faults.py`` (a real ``http.server`` on 127.0.0.1 in a thread,
standing in for stream dialects a real server cannot be made to produce on demand).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.backends.base import ChatRequest
from bench.backends.openai_compat import OpenAIBackend
from bench.inputs.config import PromptItem, RunSettings, prompt_set_from_data
from bench.load.engine import Engine, Level, run_level
from bench.run.runner import run_benchmark
from bench.store.store import Store
from tests.test_openai_faults import MODEL, FakeServer, Reply, delta


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    server = FakeServer()
    yield server
    server.close()


def _bodies(fake: FakeServer) -> list[dict]:
    return [b for m, p, b in fake.requests if m == "POST" and p == "/v1/chat/completions"]


@pytest.mark.parametrize("prompt_cache", [True, False])
def test_load_engine_sends_the_body_the_backend_sends(fake: FakeServer, prompt_cache: bool):
    fake.chat(Reply(content_type="text/event-stream", events=[delta("a"), delta(finish="stop")]))
    item = PromptItem(id="p", prompt="Say hi.", system="Be brief.")
    request = ChatRequest(
        MODEL,
        item.prompt,
        max_tokens=7,
        temperature=0.5,
        seed=3,
        system=item.system,
        prompt_cache=prompt_cache,
    )
    list(OpenAIBackend(fake.url).stream_chat(request))
    engine = Engine(fake.url, MODEL, [item], max_tokens=7, temperature=0.5, seed=3, prompt_cache=prompt_cache)
    records, _ = run_level(engine, Level("concurrency", 1), 1, None)
    assert records[0].error is None
    from_backend, from_engine = _bodies(fake)
    assert from_engine == from_backend
    assert ("cache_prompt" in from_engine) is (not prompt_cache)


def test_a_stream_ended_by_done_alone_is_a_complete_answer_in_a_run(fake: FakeServer, tmp_path: Path):
    # content, then [DONE] (the fake appends it) with no finish reason and no usage: the server said it ended
    fake.chat(Reply(content_type="text/event-stream", events=[delta("one"), delta(" two")]))
    store = Store(tmp_path / "bench.db")
    settings = RunSettings(models=[MODEL], rounds=1, warmup=0, max_tokens=8, endpoint=fake.url)
    run_id, status = run_benchmark(store, settings, prompt_set_from_data(["hi"], "test"))
    assert status == "completed"
    (sample,) = store.samples([run_id])
    assert sample["outcome"] == "ok", sample["error"]
    assert sample["answer"] == "one two"


def test_the_load_engine_reads_done_alone_as_the_run_does(fake: FakeServer):
    fake.chat(Reply(content_type="text/event-stream", events=[delta("one"), delta(" two")]))
    engine = Engine(fake.url, MODEL, [PromptItem(id="p", prompt="hi")], max_tokens=8)
    records, _ = run_level(engine, Level("concurrency", 1), 1, None)
    assert records[0].error is None
    assert "".join(e.text for e in records[0].events if e.kind == "content") == "one two"
