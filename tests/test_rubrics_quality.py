"""Quality table: one score source at a time, items as the unit, reproducible intervals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.errors import BenchError
from bench.quality.score_sources import quality_summary, quality_table, score_sources
from bench.store.store import Store, utc_now
from rubrics.annotate import save_scores
from rubrics.quality import bootstrap_interval

PROMPTS = {"name": "t", "prompts": [{"id": f"p{i}", "prompt": f"Q{i}", "aspects": ["acc"]} for i in range(4)]}


def _sample(run_id: str, model: str, prompt_id: str) -> dict:
    return {
        "run_id": run_id, "model": model, "prompt_id": prompt_id, "round": 0, "warmup": False,
        "cold": False, "ok": True, "error": None, "stream": True, "transport": "http",
        "started_at": "2026-01-01T00:00:00Z", "metrics": {}, "answer": f"{model} {prompt_id}",
        "reasoning": "", "server_timings": None,
    }  # fmt: skip


def _judge(store: Store, run_id: str, model: str, prompt_id: str, score: int | None) -> None:
    with store.connect() as conn:
        conn.execute(
            "INSERT INTO judgments (run_id, model, prompt_id, aspect, judge, score, created_at)"
            " VALUES (?, ?, ?, 'acc', 'j', ?, ?)",
            (run_id, model, prompt_id, score, utc_now()),
        )


@pytest.fixture
def scored(tmp_path: Path) -> tuple[Store, str]:
    """m1 and m2 answer p0..p3; two people score every answer; the judge misses one."""
    store = Store(tmp_path / "bench.db")
    run_id = store.create_run({}, PROMPTS, {})
    people = {"m1": ([5, 4, 4, 5], [5, 5, 4, 4]), "m2": ([2, 3, 2, 1], [2, 2, 2, 1])}
    judge = {"m1": [5, 5, None, 4], "m2": [1, 1, 1, 1]}
    for model, (ana, ben) in people.items():
        for i in range(4):
            store.add_sample(_sample(run_id, model, f"p{i}"))
            save_scores(store, run_id, f"p{i}", model, "ana", {"acc": ana[i]})
            save_scores(store, run_id, f"p{i}", model, "ben", {"acc": ben[i]})
            _judge(store, run_id, model, f"p{i}", judge[model][i])
    return store, run_id


def test_people_table_averages_annotators_per_item(scored: tuple[Store, str]):
    store, run_id = scored
    table = quality_table(store, [run_id], "people").set_index("model")
    # m1 items: (5+5)/2, (4+5)/2, (4+4)/2, (5+4)/2 = 5, 4.5, 4, 4.5 -> mean 4.5 over n = 4 items
    assert table.loc["m1", "mean"] == pytest.approx(4.5)
    assert table.loc["m1", "n"] == 4 and table.loc["m1", "missing"] == 0
    assert table.loc["m1", "low"] <= 4.5 <= table.loc["m1", "high"]
    assert set(table["scored_by"]) == {"people"}


def test_judge_table_is_separate_and_counts_missing(scored: tuple[Store, str]):
    store, run_id = scored
    table = quality_table(store, [run_id], "judge:j").set_index("model")
    assert table.loc["m1", "mean"] == pytest.approx((5 + 5 + 4) / 3)
    assert table.loc["m1", "n"] == 3 and table.loc["m1", "missing"] == 1
    assert table.loc["m2", "mean"] == 1.0
    assert np.isclose(table.loc["m2", "low"], 1.0) and np.isclose(table.loc["m2", "high"], 1.0)
    overall = quality_summary(store, [run_id], "judge:j").set_index("model")  # every item and aspect
    assert overall.loc["m2", "n"] == 4 and overall.loc["m2", "mean"] == 1.0
    assert [s.name for s in score_sources(store, [run_id])] == ["people", "judge:j"]
    with pytest.raises(BenchError, match="not a score source"):
        quality_table(store, [run_id], "mixed")
    assert quality_table(store, [run_id], "judge:other").empty


def test_bootstrap_is_reproducible_and_needs_two_values():
    values = np.array([1, 2, 3, 4, 5, 3, 4], dtype=float)
    assert bootstrap_interval(values) == bootstrap_interval(values)
    low, high = bootstrap_interval(values)
    assert low < values.mean() < high
    assert all(np.isnan(bootstrap_interval(np.array([3.0]))))
