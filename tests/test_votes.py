"""People's blind pairwise votes on a real SQLite store: sides, mapping, order of pairs, ratings, source."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.quality.score_sources import quality_summary, quality_table, score_sources
from bench.store.store import Store, utc_now
from rubrics import storage
from rubrics.votes import left_share, next_pair, people_ratings, record_vote, vote_progress, votes_frame
from rubrics.votes_source import VotesProvider

MODELS = ("alpha", "beta", "gamma")
PROMPTS = {"name": "t", "prompts": [{"id": f"p{i}", "prompt": f"Question {i}?"} for i in range(4)]}


def _sample(run_id: str, model: str, prompt_id: str) -> dict:
    return {
        "run_id": run_id, "model": model, "prompt_id": prompt_id, "round": 0, "warmup": False,
        "cold": False, "ok": True, "error": None, "stream": True, "transport": "in-process",
        "started_at": "2026-01-01T00:00:00Z", "metrics": {}, "answer": f"{model} says {prompt_id}",
        "reasoning": "", "server_timings": None,
    }  # fmt: skip


@pytest.fixture
def run(tmp_path: Path) -> tuple[Store, str]:
    store = Store(tmp_path / "bench.db")
    run_id = store.create_run({"models": list(MODELS)}, PROMPTS, {})
    for model in MODELS:
        for prompt in PROMPTS["prompts"]:
            store.add_sample(_sample(run_id, model, prompt["id"]))
    return store, run_id


def test_pair_shows_answers_with_sides_shuffled_per_annotator(run) -> None:
    store, run_id = run
    pair = next_pair(store, run_id, "ana")
    assert pair is not None and pair.left_model != pair.right_model
    assert pair.left_text == f"{pair.left_model} says {pair.prompt_id}"
    assert next_pair(store, run_id, "ana") == pair  # stable across reruns
    lefts = set()
    for person in [f"person{i}" for i in range(20)]:
        shown = next_pair(store, run_id, person)
        lefts.add((shown.prompt_id, shown.models, shown.left_model))
    assert len({left for *_, left in lefts}) >= 2  # the left side differs between people


def test_vote_is_stored_about_the_models_not_the_sides(run) -> None:
    store, run_id = run
    pair = next_pair(store, run_id, "ana")
    verdict = record_vote(store, pair, "ana", "left")
    model_a, _ = pair.models
    assert verdict == ("A" if pair.left_model == model_a else "B")
    row = votes_frame(store, [run_id]).iloc[0]
    winner = row["model_a"] if row["verdict"] == "A" else row["model_b"]
    assert winner == pair.left_model and row["left_model"] == pair.left_model
    assert left_share(votes_frame(store, [run_id])) == (1.0, 1)  # the left answer won the one decisive vote
    assert record_vote(store, pair, "ana", "tie") == "tie"  # a changed mind replaces the vote
    assert len(votes_frame(store, [run_id])) == 1
    with pytest.raises(BenchError):
        record_vote(store, pair, "ana", "both")  # type: ignore[arg-type]


def test_every_comparison_once_then_done(run) -> None:
    store, run_id = run
    assert vote_progress(store, run_id, "ana") == (0, 4 * 3)
    seen = set()
    while (pair := next_pair(store, run_id, "ana")) is not None:
        seen.add((pair.prompt_id, pair.models))
        record_vote(store, pair, "ana", "skip" if len(seen) % 5 == 0 else "left")
    assert len(seen) == 12 and vote_progress(store, run_id, "ana") == (12, 12)
    assert vote_progress(store, run_id, "bo") == (0, 12)  # per annotator


def test_unvoted_model_pairs_come_first_then_the_least_certain(run) -> None:
    store, run_id = run
    first_three = []
    for _ in range(3):
        pair = next_pair(store, run_id, "ana")
        first_three.append(pair.models)
        record_vote(store, pair, "ana", "left")
    assert len(set(first_three)) == 3  # each model pair once before any pair twice
    # alpha beats gamma and beta clearly; beta vs gamma split: that order is the least certain
    base = {"run_id": run_id, "aspect": "overall", "left_model": ""}
    for i, (a, b, verdict) in enumerate(
        [("alpha", "beta", "A")] * 8
        + [("alpha", "gamma", "A")] * 8
        + [("beta", "gamma", "A"), ("beta", "gamma", "B")]
    ):
        storage.upsert_vote(store, base | {"prompt_id": f"p{i % 4}", "model_a": a, "model_b": b,
                                           "annotator": f"x{i}", "verdict": verdict})  # fmt: skip
    assert next_pair(store, run_id, "bo").models == ("beta", "gamma")


def test_ratings_and_the_votes_source(run) -> None:
    store, run_id = run
    base = {"run_id": run_id, "aspect": "overall", "left_model": ""}
    for i in range(4):
        for a, b, verdict in (("alpha", "beta", "A"), ("alpha", "gamma", "A"), ("beta", "gamma", "A")):
            storage.upsert_vote(store, base | {"prompt_id": f"p{i}", "model_a": a, "model_b": b,
                                               "annotator": "ana", "verdict": verdict})  # fmt: skip
    ratings = people_ratings(votes_frame(store, [run_id]), resamples=200)
    assert list(ratings["model"]) == ["alpha", "beta", "gamma"] and list(ratings["votes"]) == [8, 8, 8]
    names = [s.name for s in score_sources(store, [run_id])]
    assert "votes:people" in names
    summary = quality_summary(store, [run_id], "votes:people")
    assert list(summary.sort_values("mean", ascending=False)["model"]) == ["alpha", "beta", "gamma"]
    assert (summary["run_id"] == run_id).all() and (summary["n"] == 8).all()
    assert set(quality_table(store, [run_id], "votes:people")["aspect"]) == {"overall"}


def test_judge_pairwise_verdicts_are_a_separate_unvalidated_source(run) -> None:
    store, run_id = run
    for i in range(4):
        storage.upsert_pairwise(store, {"run_id": run_id, "prompt_id": f"p{i}", "model_a": "alpha", "model_b": "beta",
                                        "judge": "tiny", "aspect": "overall", "final": "B", "created_at": utc_now()})  # fmt: skip
    infos = {s.name: s for s in VotesProvider().sources(store, [run_id])}
    assert set(infos) == {"votes:judge:tiny"}  # no people votes yet: no people source
    assert infos["votes:judge:tiny"].validated is False  # never compared with people
    summary = VotesProvider().summary(store, [run_id], "votes:judge:tiny")
    assert summary.sort_values("mean")["model"].tolist() == ["alpha", "beta"]
