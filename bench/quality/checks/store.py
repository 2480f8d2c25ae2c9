"""Check verdicts in the database (table ``check_results``, migration v4): one row per sample and check.

Upserts keyed by (run, model, prompt, round, check index), so evaluating a run again replaces its
verdicts instead of adding rows. ``passed`` is 1, 0 or NULL (not run, with the reason in ``detail``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from bench.quality.checks.redact import redact
from bench.store.store import Store, utc_now

COLUMNS = [
    "run_id",
    "model",
    "prompt_id",
    "round",
    "check_index",
    "check_type",
    "passed",
    "detail",
    "created_at",
]
_KEY = ("run_id", "model", "prompt_id", "round", "check_index")


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check on one stored answer."""

    run_id: str
    model: str
    prompt_id: str
    round: int
    check_index: int
    check_type: str
    passed: bool | None
    detail: str


def save(store: Store, results: Iterable[CheckResult]) -> int:
    """Upsert verdicts in one transaction; returns how many. Details are redacted of secrets first."""
    now = utc_now()
    rows = [
        (r.run_id, r.model, r.prompt_id, r.round, r.check_index, r.check_type,
         None if r.passed is None else int(r.passed), redact(r.detail), now)
        for r in results
    ]  # fmt: skip
    if not rows:
        return 0
    updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c not in _KEY)
    sql = (
        f"INSERT INTO check_results ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        f" ON CONFLICT ({', '.join(_KEY)}) DO UPDATE SET {updates}"
    )
    with store.connect() as conn:
        for row in rows:
            conn.execute(sql, row)
    return len(rows)


def frame(store: Store, run_ids: Sequence[str]) -> pd.DataFrame:
    """Every verdict of these runs (:data:`COLUMNS`); ``passed`` as a nullable boolean."""
    ids = list(run_ids)
    if not ids:
        return pd.DataFrame(columns=COLUMNS)
    with store.connect() as conn:
        rows = conn.execute(
            f"SELECT {', '.join(COLUMNS)} FROM check_results WHERE run_id IN ({', '.join('?' * len(ids))})"
            " ORDER BY run_id, model, prompt_id, round, check_index",
            ids,
        ).fetchall()
    out = pd.DataFrame([tuple(r) for r in rows], columns=COLUMNS)
    out["passed"] = out["passed"].astype("boolean")
    return out


def any_results(store: Store, run_ids: Sequence[str]) -> bool:
    ids = list(run_ids)
    if not ids:
        return False
    with store.connect() as conn:
        row = conn.execute(
            f"SELECT COUNT(*) FROM check_results WHERE run_id IN ({', '.join('?' * len(ids))})", ids
        ).fetchone()
    return bool(row[0])
