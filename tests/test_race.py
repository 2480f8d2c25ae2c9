"""bench.run.race on the real tiny model: both modes, live events, metrics, a failing lane, saving."""

from __future__ import annotations

import threading
from collections import defaultdict
from pathlib import Path

import pytest

from bench.backends import StreamEvent, backend_for
from bench.errors import BenchError
from bench.run import race as races
from bench.store.store import Store

PROMPT = "Say hello."
UNKNOWN = "no-such-model-xyz"


def run_race(models: list[str], mode: str) -> tuple[dict[str, races.RaceResult], dict, list]:
    events: dict[str, list[StreamEvent]] = defaultdict(list)
    statuses: list[tuple[str, str]] = []
    lock = threading.Lock()

    def on_event(model: str, event: StreamEvent) -> None:
        with lock:
            events[model].append(event)

    def on_status(model: str, status: str, _info: dict) -> None:
        with lock:
            statuses.append((model, status))

    results = races.race(
        lambda _m: backend_for(),
        models,
        PROMPT,
        max_tokens=16,
        temperature=0.0,
        seed=42,
        on_event=on_event,
        mode=mode,
        on_status=on_status,
    )
    return results, events, statuses


def check_finished(result: races.RaceResult, events: list[StreamEvent]) -> None:
    assert result.ok, result.error
    assert result.status == "done"
    assert any(e.kind == "content" for e in events)
    assert any(e.kind == "usage" for e in events)
    m = result.metrics
    assert m is not None
    assert m.ttft_s is not None and m.e2e_s is not None and 0 < m.ttft_s < m.e2e_s
    assert m.output_token_source == "usage"
    assert m.output_tokens == m.usage_tokens.get("completion_tokens") and m.output_tokens > 0
    assert m.decode_tps is not None and m.decode_tps > 0
    assert result.answer.strip()
    assert result.answer == "".join(e.text for e in events if e.kind == "content")
    assert result.load is not None


@pytest.mark.parametrize("mode", [races.SEQUENTIAL, races.TOGETHER])
def test_race_streams_and_a_bad_model_fails_alone(tiny_model: str, mode: str) -> None:
    results, events, statuses = run_race([UNKNOWN, tiny_model], mode)
    assert list(results) == [UNKNOWN, tiny_model]  # the order given
    check_finished(results[tiny_model], events[tiny_model])
    bad = results[UNKNOWN]
    assert not bad.ok and bad.status == "failed"
    assert UNKNOWN in (bad.error or "") and "is not a Foundry Local model" in (bad.error or "")
    assert not events[UNKNOWN]
    assert (tiny_model, "running") in statuses and (tiny_model, "done") in statuses
    assert (UNKNOWN, "failed") in statuses
    wins = races.winners(results)
    assert [w.title for w in wins] == ["Fastest first token", "Fastest decoding"]
    assert all(w.model == tiny_model and w.token_source == "usage" for w in wins)


def test_sequential_runs_one_lane_at_a_time(tiny_model: str) -> None:
    backend = backend_for()
    active, overlap = [0], [False]

    class Counting:
        kind, transport = backend.kind, backend.transport

        def __getattr__(self, name: str):
            return getattr(backend, name)

        def stream_chat(self, request):
            active[0] += 1
            overlap[0] |= active[0] > 1
            try:
                yield from backend.stream_chat(request)
            finally:
                active[0] -= 1

    lanes = {"a": (Counting(), tiny_model), "b": (Counting(), tiny_model)}
    results = races.race(lambda lane: lanes[lane], ["a", "b"], PROMPT, max_tokens=8)
    assert all(r.ok for r in results.values()), [r.error for r in results.values()]
    assert not overlap[0]
    first, second = results["a"], results["b"]
    assert first.t_send_ns is not None and second.t_send_ns is not None
    assert first.t_send_ns + int(first.metrics.e2e_s * 1e9) <= second.t_send_ns


@pytest.mark.parametrize(
    ("models", "prompt", "mode", "fix"),
    [
        ([], PROMPT, races.SEQUENTIAL, "no model chosen"),
        (["a", "b", "c", "d", "e"], PROMPT, races.SEQUENTIAL, "at most 4"),
        (["a", "a"], PROMPT, races.SEQUENTIAL, "listed twice"),
        (["a"], "  ", races.SEQUENTIAL, "blank"),
        (["a"], PROMPT, "relay", "unknown mode"),
    ],
)
def test_bad_input_is_a_bench_error(models: list[str], prompt: str, mode: str, fix: str) -> None:
    with pytest.raises(BenchError, match=fix):
        races.race(lambda _m: backend_for(), models, prompt, mode=mode)


def test_saved_race_is_a_normal_run_with_the_race_numbers(tiny_model: str, tmp_path: Path) -> None:
    backend_for().unload(tiny_model)  # so the race loads it and its one request is cold
    results, _, _ = run_race([tiny_model, UNKNOWN], races.SEQUENTIAL)
    store = Store(tmp_path / "bench.db")
    saved = races.save_race(store, results, PROMPT, max_tokens=16, mode=races.SEQUENTIAL)
    assert len(saved) == 1
    run_id, status = saved[0]
    assert status == "partial"  # the unknown lane never loaded
    run = store.get_run(run_id)
    assert run is not None and run["label"] == "race"
    assert run["settings"]["rounds"] == 1 and run["settings"]["warmup"] == 0
    assert [p["prompt"] for p in run["prompts"]["prompts"]] == [PROMPT]
    (sample,) = store.samples([run_id])
    race_m = results[tiny_model].metrics
    assert sample["model"] == tiny_model and sample["ok"] and not sample["warmup"]
    assert sample["answer"] == results[tiny_model].answer
    assert sample["metrics"]["output_tokens"] == race_m.output_tokens
    assert sample["metrics"]["ttft_s"] == pytest.approx(race_m.ttft_s, abs=0.005)
    assert sample["metrics"]["e2e_s"] == pytest.approx(race_m.e2e_s, abs=0.005)
    # its one request is the cold one after the race's load, and still the run shows statistics
    assert sample["cold"]
    from bench.stats import aggregates as metrics

    summary = metrics.model_summary(metrics.samples_frame(store.samples([run_id]))).iloc[0]
    assert summary["n"] == 1 and summary["e2e_s_mean"] == pytest.approx(race_m.e2e_s, abs=0.005)
    assert metrics.prompt_summary(metrics.samples_frame(store.samples([run_id])))["n"].tolist() == [1]
    models = {m["model"]: m for m in store.run_models(run_id)}
    assert models[tiny_model]["status"] == "done"
    assert (
        models[UNKNOWN]["status"] == "failed" and "is not a Foundry Local model" in models[UNKNOWN]["error"]
    )


def test_a_together_race_is_labelled_unfair_when_saved(tiny_model: str, tmp_path: Path) -> None:
    results, _, _ = run_race([tiny_model], races.TOGETHER)
    store = Store(tmp_path / "bench.db")
    ((run_id, status),) = races.save_race(store, results, PROMPT, max_tokens=16, mode=races.TOGETHER)
    assert status == "completed"
    assert "not a fair speed comparison" in store.get_run(run_id)["label"]
