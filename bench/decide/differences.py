"""Can these candidates be decided between? Runs or models measured differently get no recommendation.

A 24-token cap against a 96-token cap, one model over HTTP and another in-process, two machines,
two prompt sets: a ranking then mixes the setup's difference with the models'. The differences come
from :mod:`bench.stats.comparability` (between runs) plus the transports of the candidates within a
run. Unless the person accepts them (``--accept-differences``, a checkbox on the page) Decide
recommends nothing and says why; when accepted, the recommendation states them as a caveat. A quality
source not validated against people (an unchecked judge) is labelled in the caveats when picked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bench.stats import comparability
from bench.store.store import Store

BLOCKED = "No recommendation: the candidates were measured differently"


def differences(store: Store, run_ids: Sequence[str], results: Any) -> list[str]:
    """One sentence per difference between the runs or the candidates' transports."""
    runs = [r for r in (store.get_run(run_id) for run_id in run_ids) if r]
    models = [row for run_id in run_ids for row in store.run_models(run_id)]
    lines = comparability.compare_runs(runs, models).lines() if len(runs) > 1 else []
    transports: dict[str, list[str]] = {}
    for m in results.models:
        if m.candidate and m.transport:
            transports.setdefault("in-process" if m.transport == "in-process" else "HTTP", []).append(
                m.series
            )
    if len(transports) > 1:
        parts = "; ".join(f"{kind} for {', '.join(names)}" for kind, names in transports.items())
        lines.append(f"transport differs: {parts} (HTTP adds its own overhead; memory is another process's)")
    return lines


def blocking(table: Any) -> list[str]:
    """The caveats that stop a recommendation (empty when comparable or accepted)."""
    lines = table.attrs.get("differences") or []
    if not lines or table.attrs.get("accepted"):
        return []
    return [f"{BLOCKED} (accept the differences to decide anyway):", *lines]


def accepted_lines(table: Any) -> list[str]:
    """The caveats a recommendation carries: differences the person accepted, an unvalidated score source."""
    out = [table.attrs["unvalidated"]] if table.attrs.get("unvalidated") else []
    lines = table.attrs.get("differences") or []
    if not lines or not table.attrs.get("accepted"):
        return out
    return [*out, f"decided although the candidates were measured differently (accepted): {'; '.join(lines)}"]


def unvalidated(results: Any, source: str) -> str:
    """A caveat when the quality source picked was never validated against people (a judge nobody checked)."""
    info = next((s for s in results.sources if s.name == source), None)
    if info is None or info.validated:
        return ""
    why = f": {info.trust}" if info.trust else ""
    return f"quality by {source} is not validated against people's scores{why}; its ranking is only as good as it"
