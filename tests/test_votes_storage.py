"""Schema v3 and rubrics.storage: pairwise aspect split in place, votes stored per annotator.

The migration test writes a database the way the v1 schema did (its DDL, a ``"model|aspect"``
judge column), then opens it with today's :class:`Store` and checks every row moved.
"""

from __future__ import annotations

import sqlite3

import pytest

from bench.errors import BenchError
from bench.store.store import _MIGRATIONS, Store
from rubrics import storage

V1_PAIRWISE = [
    # (prompt, judge column as v1 wrote it, final)
    ("p1", "qwen2.5-coder-1.5b|overall", "A"),
    ("p1", "qwen2.5-coder-1.5b|accuracy", "tie"),
    ("p2", "org/judge|with|pipes|concision", "B"),  # a judge name holding "|": split at the last
    ("p3", "legacy-judge", None),  # no "|" at all: the judge kept, aspect overall
]


def _v1_database(path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(_MIGRATIONS[1])
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (1)")
    for prompt, judge, final in V1_PAIRWISE:
        conn.execute(
            "INSERT INTO pairwise_judgments (run_id, prompt_id, model_a, model_b, judge, verdict_ab,"
            " verdict_ba, final, raw_ab, raw_ba, created_at) VALUES ('r1', ?, 'm1', 'm2', ?, ?, ?, ?,"
            " 'raw ab', 'raw ba', '2026-11-30T10:00:00')",
            (prompt, judge, final, final, final),
        )
    conn.execute(
        "INSERT INTO annotations VALUES ('r1', 'm1', 'p1', 'accuracy', 'ana', 4, 'ok', '2026-11-30T10:00:00')"
    )
    conn.commit()
    conn.close()


def test_v1_database_migrates_in_place(tmp_path) -> None:
    path = tmp_path / "v1.db"
    _v1_database(path)
    store = Store(path)
    rows = storage.pairwise_records(store, ["r1"])
    got = sorted((r["prompt_id"], r["judge"], r["aspect"], r["final"]) for r in rows)
    assert got == [
        ("p1", "qwen2.5-coder-1.5b", "accuracy", "tie"),
        ("p1", "qwen2.5-coder-1.5b", "overall", "A"),
        ("p2", "org/judge|with|pipes", "concision", "B"),
        ("p3", "legacy-judge", "overall", None),
    ]
    assert {r["raw_ab"] for r in rows} == {"raw ab"}
    assert storage.annotation_records(store, ["r1"])[0]["score"] == 4  # other tables untouched
    with sqlite3.connect(path) as conn:
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")]
        assert 3 in versions
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    Store(path)  # opening again runs nothing twice
    assert len(storage.pairwise_records(store, ["r1"])) == 4


def test_pairwise_upsert_keys_on_aspect(tmp_path) -> None:
    store = Store(tmp_path / "b.db")
    base = {"run_id": "r", "prompt_id": "p", "model_a": "a", "model_b": "b", "judge": "j"}
    for aspect, final in (("overall", "A"), ("accuracy", "B"), ("overall", "tie")):
        storage.upsert_pairwise(store, {**base, "aspect": aspect, "final": final, "created_at": "t"})
    rows = {r["aspect"]: r["final"] for r in storage.pairwise_records(store, ["r"])}
    assert rows == {"overall": "tie", "accuracy": "B"}
    assert storage.pairwise_done(store, "r", ("a", "b"), "j", "accuracy") == {"p"}
    assert storage.pairwise_done(store, "r", ("a", "b"), "j", "concision") == set()


def _answered_store(tmp_path) -> Store:
    store = Store(tmp_path / "v.db")
    run_id = store.create_run({}, {"name": "t", "prompts": []}, {})
    for model in ("m1", "m2"):
        store.add_sample(
            {
                "run_id": run_id,
                "model": model,
                "prompt_id": "p1",
                "round": 0,
                "warmup": 0,
                "cold": 0,
                "ok": 1,
                "stream": 1,
                "transport": "test",
                "started_at": "t",
                "metrics": {},
                "answer": f"answer of {model}",
            }
        )
    store.run_id = run_id  # type: ignore[attr-defined]
    return store


def test_votes_are_per_annotator_and_changeable(tmp_path) -> None:
    store = _answered_store(tmp_path)
    run_id = store.run_id  # type: ignore[attr-defined]
    vote = {"run_id": run_id, "prompt_id": "p1", "model_a": "m1", "model_b": "m2", "aspect": "overall"}
    storage.upsert_vote(store, {**vote, "annotator": "ana", "verdict": "A", "left_model": "m2"})
    storage.upsert_vote(store, {**vote, "annotator": "bo", "verdict": "tie", "left_model": "m1"})
    storage.upsert_vote(store, {**vote, "annotator": "ana", "verdict": "B", "left_model": "m2"})  # changed
    rows = {(r["annotator"], r["verdict"]) for r in storage.vote_records(store, [run_id])}
    assert rows == {("ana", "B"), ("bo", "tie")}
    assert storage.voted_pairs(store, run_id, "ana", "overall") == {("p1", "m1", "m2")}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"verdict": "C"}, "verdict"),
        ({"annotator": " "}, "annotator"),
        ({"model_a": "m2", "model_b": "m1"}, "vote"),
        ({"prompt_id": "nope"}, "run"),
    ],
)
def test_bad_votes_are_refused(tmp_path, change, field) -> None:
    store = _answered_store(tmp_path)
    vote = {
        "run_id": store.run_id,  # type: ignore[attr-defined]
        "prompt_id": "p1",
        "model_a": "m1",
        "model_b": "m2",
        "aspect": "overall",
        "annotator": "ana",
        "verdict": "A",
        "left_model": "m1",
    }
    with pytest.raises(BenchError) as info:
        storage.upsert_vote(store, vote | change)
    assert str(info.value).startswith(field)
    assert storage.vote_records(store, [vote["run_id"]]) == []
