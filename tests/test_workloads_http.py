"""The workload sets through the real runner over HTTP: tools and response_format in the body, streamed
tool-call deltas assembled and scored, growing message lists with cached tokens per turn, and a prompt
longer than the context window refused before sending, never counted as a failure.

The server is tests/workload_server.py, a real HTTP server on 127.0.0.1 that stands in for a model able
to call tools (none runs here behind a server): it replies with scripted answers, so what is asserted
is what a correct program guarantees for those answers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.inputs.config import PromptSet, RunSettings, resolve_prompt_set
from bench.inputs.workloads import tools_body
from bench.quality.checks import store as check_store
from bench.quality.checks.tool_calls import unparsed_rate
from bench.run.runner import run_benchmark
from bench.store.store import Store
from tests.workload_server import MODEL, Script, WorkloadServer


def _subset(name: str, ids: list[str]) -> PromptSet:
    prompt_set = resolve_prompt_set(name)
    return prompt_set.model_copy(update={"prompts": [p for p in prompt_set.prompts if p.id in ids]})


def _run(server: WorkloadServer, db: Path, prompts: PromptSet, **settings: object) -> tuple[Store, str, str]:
    store = Store(db)
    values = {"models": [MODEL], "rounds": 1, "warmup": 0, "endpoint": server.url, "retries": 0}
    run_id, status = run_benchmark(store, RunSettings(**{**values, **settings}), prompts)
    return store, run_id, status


def _passed(store: Store, run_id: str) -> dict[str, bool]:
    """prompt id -> every check passed."""
    frame = check_store.frame(store, [run_id])
    return {pid: bool(group["passed"].all()) for pid, group in frame.groupby("prompt_id")}


@pytest.mark.parametrize("stream", [True, False])
def test_tool_calls_are_sent_assembled_and_scored(db_path: Path, stream: bool) -> None:
    prompts = _subset("tool-calls", ["weather-02", "currency-01", "two-05", "none-02", "timer-01", "shop-02"])
    by_id = prompts.by_id()
    answers = {p.prompt: p.reference or "" for p in prompts.prompts}
    wrong = by_id["timer-01"].reference.replace('"minutes": 15', '"minutes": 51')  # type: ignore[union-attr]
    answers[by_id["timer-01"].prompt] = wrong
    answers[by_id["shop-02"].prompt] = (
        '<tool_call>{"name": "search_products", "arguments": {"query": </tool_call>'
    )
    with WorkloadServer(Script(answers)) as server:
        store, run_id, status = _run(server, db_path, prompts, stream=stream)
        bodies = {b["messages"][-1]["content"]: b for b in server.script.bodies}
    assert status == "completed"
    for item in prompts.prompts:
        assert bodies[item.prompt]["tools"] == tools_body(item.tools)  # the OpenAI tools list, as written
    samples = {s["prompt_id"]: s for s in store.samples([run_id])}
    assert samples["two-05"]["answer"] == by_id["two-05"].reference  # deltas assembled into both calls
    assert _passed(store, run_id) == {
        "weather-02": True, "currency-01": True, "two-05": True, "none-02": True,
        "timer-01": False, "shop-02": False,
    }  # fmt: skip
    assert unparsed_rate(s["answer"] for s in samples.values()) == (1, 6)  # shop-02's broken call
    if stream:  # a tool call's first piece is a generated token: TTFT is measured, not n/a
        assert samples["currency-01"]["metrics"]["ttft_s"] is not None


def test_json_output_sends_its_schema_as_response_format(db_path: Path) -> None:
    prompts = _subset("json-output", ["person-01", "meeting-01"])
    answers = {p.prompt: p.reference or "" for p in prompts.prompts}
    with WorkloadServer(Script(answers)) as server:
        store, run_id, _ = _run(server, db_path, prompts)
        bodies = server.script.bodies
    for item, body in zip(prompts.prompts, bodies, strict=True):
        assert item.response_format is not None
        assert body["response_format"] == item.response_format.body()
        assert body["response_format"]["json_schema"]["schema"]["required"]
    assert _passed(store, run_id) == {"person-01": True, "meeting-01": True}


def test_multi_turn_sends_growing_lists_and_records_cached_tokens_per_turn(db_path: Path) -> None:
    prompts = _subset("multi-turn", [f"trip-t{n}" for n in range(1, 5)])
    answers = {p.prompt: p.reference or "" for p in prompts.prompts}
    with WorkloadServer(Script(answers)) as server:
        store, run_id, _ = _run(server, db_path, prompts)
        lengths = [len(b["messages"]) for b in server.script.bodies]
    assert lengths == [2, 4, 6, 8]  # system + 2 per earlier exchange + the new user turn
    samples = sorted(store.samples([run_id]), key=lambda s: s["prompt_id"])
    cached = [s["metrics"]["cached_prompt_tokens"] for s in samples]
    assert cached[0] > 0 and cached == sorted(cached) and len(set(cached)) == 4  # grows turn by turn
    assert _passed(store, run_id)["trip-t4"] is True


def test_a_prompt_over_the_context_window_is_refused_not_failed(db_path: Path) -> None:
    prompts = _subset("long-context", ["lc-512-d25", "lc-2k-d50"])
    answers = {p.prompt: p.reference or "" for p in prompts.prompts}
    with WorkloadServer(Script(answers, n_ctx=1200)) as server:  # the 2k document does not fit
        store, run_id, status = _run(server, db_path, prompts)
        sent = [b["messages"][-1]["content"] for b in server.script.bodies]
    assert sent == [prompts.by_id()["lc-512-d25"].prompt]  # the long one never reached the server
    samples = {s["prompt_id"]: s for s in store.samples([run_id])}
    refused = samples["lc-2k-d50"]
    assert refused["outcome"] == "refused" and "context window of 1,200 tokens" in refused["error"]
    assert status == "completed"  # refused is not a failure and resume has nothing to retry
    assert store.outcome_counts(run_id)[MODEL]["failed"] == 0
    assert set(_passed(store, run_id)) == {"lc-512-d25"}  # no check verdict for a refused prompt
    assert json.dumps(refused["metrics"])  # stored like any sample


def test_in_process_history_tool_refusal_and_context_window(tiny_model: str, db_path: Path) -> None:
    """Real Foundry Local with the tiny test model (2,048-token window, no tool-call format)."""
    ids = {"multi-turn": ["trip-t1", "trip-t2"], "tool-calls": ["weather-01"],
           "long-context": ["lc-512-d25", "lc-4k-d50"]}  # fmt: skip
    items = [p for name, keep in ids.items() for p in _subset(name, keep).prompts]
    prompts = PromptSet(name="mixed", prompts=items)
    store = Store(db_path)
    settings = RunSettings(models=[tiny_model], rounds=1, warmup=0, max_tokens=4)
    run_id, status = run_benchmark(store, settings, prompts)
    samples = {s["prompt_id"]: s for s in store.samples([run_id])}
    assert status == "completed"
    assert samples["trip-t1"]["outcome"] == samples["trip-t2"]["outcome"] == "ok"
    turn1, turn2 = (samples[f"trip-t{n}"]["metrics"]["prompt_tokens"] for n in (1, 2))
    assert turn2 > turn1 + 20  # turn 2 carries turn 1's exchange
    tools = samples["weather-01"]
    assert tools["outcome"] == "refused" and tools["error"].startswith("not supported:")
    assert "no tool-call format" in tools["error"]
    assert samples["lc-512-d25"]["outcome"] == "ok"
    long = samples["lc-4k-d50"]
    assert long["outcome"] == "refused" and "context window of 2,048 tokens" in long["error"]
    assert store.outcome_counts(run_id)[tiny_model]["failed"] == 0


def test_a_server_that_rejects_tools_makes_them_not_supported_not_failed(db_path: Path) -> None:
    prompts = _subset("tool-calls", ["weather-01", "none-02"])
    with WorkloadServer(Script({}, reject_tools=True)) as server:
        store, run_id, status = _run(server, db_path, prompts, retries=2)
        sent = len(server.script.bodies)
    samples = store.samples([run_id])
    assert sent == 2  # one try each: a refusal is not retried
    assert {s["outcome"] for s in samples} == {"refused"} and status == "completed"
    assert all(s["error"].startswith("not supported: the server refused tools") for s in samples)
    assert "does not support tools" in samples[0]["error"]
    assert store.outcome_counts(run_id)[MODEL]["failed"] == 0


def test_in_process_json_output_is_constrained_by_the_schema(tiny_model: str, db_path: Path) -> None:
    """Real Foundry Local: a json_schema response_format becomes the runtime's guidance, so even the
    tiny random-weight model can only write JSON the schema allows (a prefix of it when cut by the cap)."""
    prompts = _subset("json-output", ["person-01", "order-01"])
    store = Store(db_path)
    settings = RunSettings(models=[tiny_model], rounds=1, warmup=0, max_tokens=48)
    run_id, status = run_benchmark(store, settings, prompts)
    samples = store.samples([run_id])
    assert status == "completed" and len(samples) == 2
    for sample in samples:
        answer = sample["answer"]
        assert sample["outcome"] == "ok"
        assert answer.lstrip().startswith("{"), answer[:80]  # the schema's object, nothing before it
        rest = answer.lstrip()[1:].lstrip()  # JSON allows whitespace; the next token must open a key
        assert rest == "" or rest.startswith('"'), answer[:80]
        if sample["metrics"].get("finish_reason") == "stop":
            keys = prompts.by_id()[sample["prompt_id"]].response_format.json_schema.schema_["properties"]
            assert set(json.loads(answer)) <= set(keys)
