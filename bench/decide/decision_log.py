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

from bench.store.store import Store, utc_now
from bench.units import is_missing


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


# ---- a decision end to end: inputs -> table, recommendation, record ----------------------------------
def take(
    store: Store,
    run_ids: Sequence[str],
    criteria: Any = None,
    limit_texts: Sequence[str] = (),
    info: dict[str, Any] | None = None,
    results: Any = None,
    accept_differences: bool = False,
) -> tuple[Any, Any, dict[str, Any]]:
    """(decision table, recommendation, JSON record) for these runs, weights and limits.

    The record is what is saved and what report.json carries: the verdict with its uncertainty, the
    weights, the limits in words and as written, and every ranked row with its numbers.
    """
    from bench import results as results_mod
    from bench.decide import hard_limits, recommend

    criteria = criteria or recommend.Criteria()
    limits = hard_limits.with_default(hard_limits.parse_limits(limit_texts))
    results = results or results_mod.load_results(store, run_ids)
    table = recommend.decision_table(
        store,
        run_ids,
        criteria,
        results=results,
        limits=limits,
        info=info,
        accept_differences=accept_differences,
    )
    prompts = {len(run["prompts"].get("prompts", [])) for run in results.runs}
    table.attrs["prompts"] = prompts.pop() if len(prompts) == 1 else None
    rec = recommend.recommendation(table)
    record = _record(table, rec, criteria, limits)
    return table, rec, record


def _record(table: Any, rec: Any, criteria: Any, limits: Sequence[Any]) -> dict[str, Any]:
    data = {k: v for k, v in rec.to_dict().items() if k not in ("run_id", "series")}
    data["model"] = rec.series or rec.model
    data["criteria"] = criteria.model_dump()
    data["limits"] = [{"text": lim.text, "words": lim.words()} for lim in limits]
    data["differences"] = list(table.attrs.get("differences") or [])
    data["differences_accepted"] = bool(table.attrs.get("accepted"))
    keep = (
        "series",
        "rank",
        "score",
        "p_best",
        "rank_low",
        "rank_high",
        "missing",
        "out",
        "out_reasons",
        "flags",
    )
    ranking = []
    for row in table.to_dict("records"):
        item = {k: row.get(k) for k in keep}
        item["model"] = item.pop("series")
        for k in ("rank", "rank_low", "rank_high"):
            item[k] = None if is_missing(item[k]) else int(item[k])
        item["p_best"] = None if is_missing(item["p_best"]) else float(item["p_best"])
        ranking.append(item)
    data["ranking"] = ranking
    return data


def info_of(saved: SavedDecision | None) -> dict[str, Any] | None:
    """The licenses and tags a saved decision was taken with (from its models file), if any."""
    from bench.decide.candidates import ModelInfo

    raw = (saved.result.get("info") if saved else None) or {}
    return {name: ModelInfo(**fields) for name, fields in raw.items()} or None
