"""How fast a judge really grades, measured from its own stored judgments.

Why: the first estimate of a judging run came from the judge model's *benchmark* decode speed, but a
judge reads a long prompt (aspect, five anchors, the answer) and writes a rationale before its score:
seen (issue 20) "about 26 s (at most 55 s)" for a run that took 3 min 12 s. Every judgment is stored
with its time, so the gap between one judgment and the next of the same judge in the same run is the
time one grading took on this machine, prompt reading included. Gaps longer than :data:`MAX_GAP_S`
are pauses (a later session, a model load), not grading, and are left out.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from bench.store.store import Store

MAX_GAP_S = 600.0
MIN_GAPS = 3  # fewer measured gradings than this say too little to plan by


@dataclass(frozen=True)
class Pace:
    """Seconds per judge request (median and 90th percentile) over ``n`` measured gradings."""

    judge: str
    median_s: float
    p90_s: float
    n: int

    def words(self) -> str:
        return f"this judge's own pace here: median {self.median_s:.1f} s per request over {self.n} gradings"


def _gaps(rows: list[tuple[str, str, int]]) -> list[float]:
    """Seconds per request between consecutive judgments of one run (rows sorted by run, time)."""
    gaps = []
    for (run_a, at_a, _), (run_b, at_b, samples) in pairwise(rows):
        if run_a != run_b:
            continue
        seconds = (datetime.fromisoformat(at_b) - datetime.fromisoformat(at_a)).total_seconds()
        if 0 < seconds <= MAX_GAP_S:
            gaps.append(seconds / max(1, int(samples or 1)))
    return gaps


def measured_pace(store: Store, judge: str) -> Pace | None:
    """The judge's measured seconds per request, or None when it graded too little here to tell."""
    with store.connect() as conn:
        rows = conn.execute(
            "SELECT run_id, created_at, samples FROM judgments WHERE judge = ? ORDER BY run_id, created_at",
            (judge,),
        ).fetchall()
    gaps = sorted(_gaps([(str(r[0]), str(r[1]), int(r[2] or 1)) for r in rows]))
    if len(gaps) < MIN_GAPS:
        return None
    p90 = gaps[min(len(gaps) - 1, round(0.9 * (len(gaps) - 1)))]
    return Pace(judge, statistics.median(gaps), p90, len(gaps))
