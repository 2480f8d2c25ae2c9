"""Decisions as they were taken: the runs, weights, limits and outcome, stored (schema v6).

A recommendation is only as good as the limits it respected; saving them with it means the
Markdown/JSON/HTML reports of the same runs print the limits and weights the team agreed on,
not silently the defaults.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.store import Store, utc_now


@dataclass(frozen=True)
class SavedDecision:
    id: str
    created_at: str
    run_ids: list[str]
    criteria: dict[str, Any]
    limits: list[str]  # as the user wrote them (``p95=1.5s``)
    result: dict[str, Any]


def save(
    store: Store,
    run_ids: Sequence[str],
    criteria: dict[str, Any],
    limits: Sequence[str],
    result: dict[str, Any],
) -> str:
    """Store one decision; returns its id."""
    decision_id = uuid.uuid4().hex[:12]
    with store.connect() as conn:
        conn.execute(
            "INSERT INTO decisions (id, created_at, run_ids_json, criteria_json, limits_json, result_json)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                decision_id,
                utc_now(),
                json.dumps(sorted(run_ids)),
                json.dumps(criteria, sort_keys=True),
                json.dumps(list(limits)),
                json.dumps(result, sort_keys=True, default=str),
            ),
        )
    return decision_id


def latest(store: Store, run_ids: Sequence[str]) -> SavedDecision | None:
    """The newest decision taken on exactly these runs (in any order), or None."""
    key = json.dumps(sorted(run_ids))
    with store.connect() as conn:
        row = conn.execute(
            "SELECT * FROM decisions WHERE run_ids_json = ? ORDER BY created_at DESC, id DESC LIMIT 1", (key,)
        ).fetchone()
    if row is None:
        return None
    data = dict(row)
    return SavedDecision(
        data["id"],
        data["created_at"],
        json.loads(data["run_ids_json"]),
        json.loads(data["criteria_json"]),
        json.loads(data["limits_json"]),
        json.loads(data["result_json"]),
    )
