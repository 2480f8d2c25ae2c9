"""Every SQL statement on the quality tables: annotations, judgments, pairwise verdicts, votes.

The tables are created by ``bench.store.store`` migrations (v1, and v3 for the ``aspect`` column of
``pairwise_judgments`` and the ``votes`` table); this module is the only place that reads or writes
them, so a schema change touches one file. Writes are upserts (``INSERT ... ON CONFLICT DO
UPDATE``, portable to PostgreSQL), each one short transaction: two people annotating or voting at
once never overwrite each other (keys include the annotator) and a re-run replaces its own row.

Functions take and return plain values (tuples, dicts); pandas frames and the rules about what a
score means live in the modules that use them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bench.errors import BenchError
from bench.store.store import Store, utc_now

ANNOTATION_COLUMNS = ["run_id", "model", "prompt_id", "aspect", "annotator", "score", "comment", "created_at"]
VOTE_COLUMNS = [
    "run_id",
    "prompt_id",
    "model_a",
    "model_b",
    "aspect",
    "annotator",
    "verdict",
    "left_model",
    "created_at",
]
VERDICTS = ("A", "B", "tie", "skip")


def _in_runs(table: str, run_ids: Sequence[str], order: str, columns: str = "*") -> tuple[str, list[str]]:
    marks = ", ".join("?" * len(run_ids))
    return f"SELECT {columns} FROM {table} WHERE run_id IN ({marks}) ORDER BY {order}", list(run_ids)


def _records(
    store: Store, table: str, run_ids: Iterable[str], order: str, columns: str = "*"
) -> list[dict[str, Any]]:
    ids = list(run_ids)
    if not ids:
        return []
    sql, params = _in_runs(table, ids, order, columns)
    with store.connect() as conn:
        return [dict(r) for r in conn.execute(sql, params).fetchall()]


def has_answer(store: Store, run_id: str, model: str, prompt_id: str) -> bool:
    """True when the run holds an ok, non-warm-up answer of ``model`` to ``prompt_id``."""
    with store.connect() as conn:
        row = conn.execute(
            "SELECT 1 FROM samples WHERE run_id = ? AND model = ? AND prompt_id = ? AND ok = 1"
            " AND round >= 0 LIMIT 1",
            (run_id, model, prompt_id),
        ).fetchone()
    return row is not None


def _require_answer(store: Store, run_id: str, model: str, prompt_id: str) -> None:
    if not has_answer(store, run_id, model, prompt_id):
        raise BenchError(
            f"run {run_id}",
            f"has no answer of {model!r} to prompt {prompt_id!r}",
            "score only the answers the page lists",
        )


# ---- annotations (people's 1..5 scores) ----------------------------------------------------------
def upsert_annotations(
    store: Store,
    key: tuple[str, str, str, str],
    scores: Mapping[str, int],
    comment: str = "",
) -> None:
    """Save one annotator's scores of one answer, all aspects in one transaction.

    ``key`` is (run_id, prompt_id, model, annotator); the answer must exist in the run.
    """
    run_id, prompt_id, model, annotator = key
    _require_answer(store, run_id, model, prompt_id)
    now = utc_now()
    with store.connect() as conn:
        conn.executemany(
            "INSERT INTO annotations (run_id, model, prompt_id, aspect, annotator, score, comment,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (run_id, model, prompt_id, aspect, annotator) DO UPDATE SET"
            " score = excluded.score, comment = excluded.comment, created_at = excluded.created_at",
            [
                (run_id, model, prompt_id, aspect, annotator, score, comment, now)
                for aspect, score in scores.items()
            ],
        )


def annotations_of(store: Store, run_id: str, prompt_id: str, annotator: str) -> list[dict[str, Any]]:
    """(model, aspect, score, comment) rows one annotator saved on one prompt."""
    with store.connect() as conn:
        rows = conn.execute(
            "SELECT model, aspect, score, comment FROM annotations WHERE run_id = ? AND prompt_id = ? AND annotator = ?",
            (run_id, prompt_id, annotator),
        ).fetchall()
    return [dict(r) for r in rows]


def annotated_keys(store: Store, run_id: str, annotator: str) -> set[tuple[str, str, str]]:
    """(model, prompt_id, aspect) this annotator has scored in the run."""
    with store.connect() as conn:
        rows = conn.execute(
            "SELECT model, prompt_id, aspect FROM annotations WHERE run_id = ? AND annotator = ?",
            (run_id, annotator),
        ).fetchall()
    return {(r[0], r[1], r[2]) for r in rows}


def annotation_records(store: Store, run_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Every annotation of the runs (:data:`ANNOTATION_COLUMNS`), in a stable order."""
    order = "run_id, prompt_id, model, aspect, annotator"
    return _records(store, "annotations", run_ids, order, ", ".join(ANNOTATION_COLUMNS))


# ---- judgments (a judge model's 1..5 scores) -----------------------------------------------------
def judged_keys(store: Store, run_id: str, judge: str) -> set[tuple[str, str, str]]:
    """(model, prompt_id, aspect) already judged by ``judge`` in the run (score or missing)."""
    with store.connect() as conn:
        rows = conn.execute(
            "SELECT model, prompt_id, aspect FROM judgments WHERE run_id = ? AND judge = ?",
            (run_id, judge),
        ).fetchall()
    return {(r[0], r[1], r[2]) for r in rows}


def upsert_judgment(
    store: Store,
    key: tuple[str, str, str, str, str],
    score: int | None,
    rationale: str,
    raw: str,
    attempts: int,
    samples: int = 1,
    spread: int | None = None,
) -> None:
    """Store one judgment; ``key`` is (run_id, model, prompt_id, aspect, judge); None = missing.

    ``samples`` judgments were asked for the item (their median is ``score``), ``spread`` is the
    highest minus the lowest of their readable scores (None for a single judgment).
    """
    with store.connect() as conn:
        conn.execute(
            "INSERT INTO judgments (run_id, model, prompt_id, aspect, judge, score, rationale, raw,"
            " attempts, samples, spread, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (run_id, model, prompt_id, aspect, judge) DO UPDATE SET"
            " score = excluded.score, rationale = excluded.rationale, raw = excluded.raw,"
            " attempts = excluded.attempts, samples = excluded.samples, spread = excluded.spread,"
            " created_at = excluded.created_at",
            (*key, score, rationale, raw, attempts, samples, spread, utc_now()),
        )


def judgment_records(store: Store, run_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Every judgment of the runs, in a stable order."""
    return _records(store, "judgments", run_ids, "run_id, prompt_id, model, aspect, judge")


# ---- pairwise verdicts of a judge ----------------------------------------------------------------
def pairwise_done(store: Store, run_id: str, pair: tuple[str, str], judge: str, aspect: str) -> set[str]:
    """Prompt ids of ``pair`` (model_a, model_b) the judge already compared on ``aspect``."""
    with store.connect() as conn:
        rows = conn.execute(
            "SELECT prompt_id FROM pairwise_judgments"
            " WHERE run_id = ? AND model_a = ? AND model_b = ? AND judge = ? AND aspect = ?",
            (run_id, *pair, judge, aspect),
        ).fetchall()
    return {r[0] for r in rows}


_PAIRWISE_KEY = ("run_id", "prompt_id", "model_a", "model_b", "judge", "aspect")


def upsert_pairwise(store: Store, row: Mapping[str, Any]) -> None:
    """Store one pairwise verdict row (key columns plus verdicts, raws and created_at)."""
    cols = list(row)
    missing = [c for c in _PAIRWISE_KEY if c not in row]
    if missing:
        raise BenchError("pairwise row", f"lacks {', '.join(missing)}", "pass every key column")
    updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in _PAIRWISE_KEY)
    with store.connect() as conn:
        conn.execute(
            f"INSERT INTO pairwise_judgments ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
            f" ON CONFLICT ({', '.join(_PAIRWISE_KEY)}) DO UPDATE SET {updates}",
            [row[c] for c in cols],
        )


def pairwise_records(store: Store, run_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Every pairwise verdict of the runs, in a stable order."""
    return _records(
        store, "pairwise_judgments", run_ids, "run_id, prompt_id, model_a, model_b, judge, aspect"
    )


# ---- votes (people's blind pairwise preferences) -------------------------------------------------
def upsert_vote(store: Store, vote: Mapping[str, Any]) -> None:
    """Store (or change) one annotator's vote on one pair of answers.

    ``vote`` has :data:`VOTE_COLUMNS` except ``created_at``; ``model_a`` < ``model_b`` and the
    verdict is about them (not about the sides shown); both answers must exist in the run.
    """
    if vote["verdict"] not in VERDICTS:
        raise BenchError("verdict", f"{vote['verdict']!r} is not a vote", f"use one of {', '.join(VERDICTS)}")
    if not str(vote["annotator"]).strip():
        raise BenchError("annotator", "is empty", "enter your name or initials before voting")
    if not vote["model_a"] < vote["model_b"]:
        raise BenchError("vote", "model_a must sort before model_b", "order the pair before storing it")
    for model in (vote["model_a"], vote["model_b"]):
        _require_answer(store, vote["run_id"], model, vote["prompt_id"])
    row = {c: vote[c] for c in VOTE_COLUMNS[:-1]} | {"created_at": utc_now()}
    with store.connect() as conn:
        conn.execute(
            f"INSERT INTO votes ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})"
            " ON CONFLICT (run_id, prompt_id, model_a, model_b, aspect, annotator) DO UPDATE SET"
            " verdict = excluded.verdict, left_model = excluded.left_model, created_at = excluded.created_at",
            list(row.values()),
        )


def vote_records(store: Store, run_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Every vote of the runs (:data:`VOTE_COLUMNS`), oldest first."""
    return _records(store, "votes", run_ids, "created_at, id", ", ".join(VOTE_COLUMNS))


def voted_pairs(store: Store, run_id: str, annotator: str, aspect: str) -> set[tuple[str, str, str]]:
    """(prompt_id, model_a, model_b) this annotator already voted on (skips included)."""
    with store.connect() as conn:
        rows = conn.execute(
            "SELECT prompt_id, model_a, model_b FROM votes WHERE run_id = ? AND annotator = ? AND aspect = ?",
            (run_id, annotator, aspect),
        ).fetchall()
    return {(r[0], r[1], r[2]) for r in rows}
