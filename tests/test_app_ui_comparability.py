"""Runs measured with different settings are never compared silently (bench.stats.comparability + pages).

Seen: Results' "Fastest p50 latency" and Decide ranked a 48-token run against a 128-token run
without a word. The pure function says which settings differ and which numbers that spoils.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.stats.comparability import compare_runs

PROMPTS = {"name": "workshop", "prompts": [{"id": "a", "prompt": "Say hi."}, {"id": "b", "prompt": "Bye."}]}
HW = {"processor": "AMD EPYC", "cpu_count_logical": 2, "memory_total_bytes": 8 * 10**9, "gpu": []}


def run(run_id: str, **settings: Any) -> dict[str, Any]:
    base = {"models": ["m"], "max_tokens": 128, "temperature": 0.0, "stream": True, "endpoint": None}
    return {
        "id": run_id,
        "settings": {**base, **settings},
        "prompts": PROMPTS,
        "meta": {"hardware": dict(HW)},
    }


def test_identical_settings_are_comparable() -> None:
    result = compare_runs([run("20261201-100000-aaaa"), run("20261201-110000-bbbb")])
    assert result.comparable and result.headline() == "" and result.not_comparable == []


def test_one_run_is_always_comparable() -> None:
    assert compare_runs([run("20261201-100000-aaaa", max_tokens=4)]).comparable


def test_max_tokens_names_both_values_and_the_spoiled_numbers() -> None:
    result = compare_runs([run("20261201-100000-aaaa", max_tokens=48), run("20261201-110000-bbbb")])
    assert not result.comparable
    assert [d.setting for d in result.differences] == ["max_tokens"]
    line = result.lines()[0]
    assert "48 in 100000-aaaa" in line and "128 in 110000-bbbb" in line
    assert result.not_comparable == ["latency", "output_tokens", "quality"]
    head = result.headline()
    assert "max tokens" in head and "end-to-end latency" in head and "decode tokens/s" not in head


def test_every_setting_is_detected() -> None:
    other = run("20261201-110000-bbbb", temperature=0.7, stream=False, endpoint="http://127.0.0.1:1/v1")
    other["prompts"] = {"name": "workshop", "prompts": [{"id": "a", "prompt": "Say hello."}]}
    other["meta"]["hardware"]["processor"] = "Apple M3"
    result = compare_runs([run("20261201-100000-aaaa"), other])
    assert [d.setting for d in result.differences] == [
        "prompts", "temperature", "stream", "backend", "machine",
    ]  # fmt: skip
    assert set(result.not_comparable) == {
        "latency",
        "ttft",
        "throughput",
        "memory",
        "output_tokens",
        "quality",
    }


def test_backend_comes_from_the_models_rows_when_given() -> None:
    rows = [
        {"run_id": "20261201-100000-aaaa", "model": "m", "backend": "foundry", "transport": "in-process"},
        {"run_id": "20261201-110000-bbbb", "model": "m", "backend": "openai", "transport": "http"},
    ]
    result = compare_runs([run("20261201-100000-aaaa"), run("20261201-110000-bbbb")], rows)
    assert [d.setting for d in result.differences] == ["backend"]
    assert "foundry in-process in 100000-aaaa" in result.lines()[0]


def test_a_setting_a_run_did_not_record_is_not_called_a_difference() -> None:
    old = run("20261201-100000-aaaa")
    old["meta"] = {}
    assert compare_runs([old, run("20261201-110000-bbbb")]).comparable


# ---- the pages ------------------------------------------------------------------------------------
def test_results_and_decide_say_so_at_the_top(tmp_path: Path, monkeypatch: Any, tiny_model: str) -> None:
    from streamlit.testing.v1 import AppTest

    from bench.inputs.config import PromptSet, RunSettings
    from bench.run.runner import run_benchmark
    from bench.store.store import Store

    monkeypatch.setenv("SLM_BENCH_DB", str(tmp_path / "bench.db"))
    monkeypatch.setenv("SLM_BENCH_APP_DIR", str(tmp_path / "app"))
    store = Store(tmp_path / "bench.db")
    prompts = PromptSet.model_validate(PROMPTS)
    ids = [
        run_benchmark(store, RunSettings(models=[tiny_model], rounds=1, warmup=0, max_tokens=cap), prompts)[0]
        for cap in (4, 12)
    ]
    for page in ("pages/results.py", "pages/decide.py"):
        at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60)
        at.run()
        at.query_params["run"] = ids
        at.switch_page(page).run()
        assert not at.exception, [e.message for e in at.exception]
        warning = "\n".join(str(w.value) for w in at.warning)
        assert "measured with different settings (max tokens)" in warning, (page, warning)
        assert "end-to-end latency" in warning and "4 in" in warning and "12 in" in warning
        if page == "pages/results.py":
            from bench.report.exports import render_markdown

            assert "> **These 2 runs were measured with different settings (max tokens)" in render_markdown(
                store, ids
            )
            tile = next(m for m in at.metric if m.label == "Fastest p50 latency")
            assert tile.value == "—" and "Not comparable" in str(tile.help)
