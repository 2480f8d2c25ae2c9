"""Reasons never contradict the numbers (bench.decide.recommend.recommendation on synthetic tables).

Seen: "memory added 1323 MB" listed as a reason for a winner that used *more* memory, and "the
highest among the candidates" for a quality tied with another model.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from bench.decide import recommend

MB = 10**6


def _row(model: str, **values: Any) -> dict[str, Any]:
    base = {
        "order": 0, "run_id": "r", "model": model, "series": model, "status": "done", "error": None,
        "n": 10, "candidate": True, "quality": 3.0, "quality_n": 10, "quality_low": 2.5, "quality_high": 3.5,
        "scored_by": "people", "latency": 1.0, "latency_n": 20, "latency_stat": "p95", "throughput": 50.0,
        "throughput_n": 20, "memory": 500 * MB, "memory_basis": "added by the model (peak - baseline RSS)",
        "size": 300 * MB,
    }  # fmt: skip
    return {**base, **values}


def _recommend(rows: list[dict[str, Any]], **weights: float) -> recommend.Recommendation:
    criteria = recommend.Criteria(**weights)
    return recommend.recommendation(recommend.score_table(pd.DataFrame(rows), criteria))


def test_a_criterion_the_winner_is_worse_on_is_a_trade_off_not_a_reason() -> None:
    rec = _recommend(
        [
            _row("big", quality=4.5, memory=1323 * MB, order=0),
            _row("small", quality=2.0, memory=400 * MB, order=1),
        ],
        quality=0.8, latency=0.0, throughput=0.0, memory=0.2, size=0.0,
    )  # fmt: skip
    assert rec.model == "big"
    reasons = " | ".join(rec.reasons)
    assert "1.3 GB" not in reasons and "memory" not in reasons, reasons
    assert "big uses more memory than small (1.3 GB vs 400 MB)" in rec.caveats, rec.caveats


def test_a_tie_is_called_a_tie_not_the_highest() -> None:
    rec = _recommend(
        [_row("a", quality=3.1, latency=0.5, order=0), _row("b", quality=3.1, latency=0.9, order=1)],
        quality=0.5, latency=0.5, throughput=0.0, memory=0.0, size=0.0,
    )  # fmt: skip
    assert rec.model == "a"
    quality = next(r for r in rec.reasons if r.startswith("quality"))
    assert "the highest" not in quality and "tied with b" in quality, quality
    assert any("fastest" in r for r in rec.reasons)
