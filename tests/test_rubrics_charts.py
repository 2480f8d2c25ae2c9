"""The Bradley–Terry ranking chart: ranked best first, intervals, the source and the votes in the title."""

from __future__ import annotations

import pandas as pd

from bench.report.quality_charts import rating_chart
from rubrics.bradley_terry import ratings_table


def test_rating_chart_ranks_best_first_with_intervals():
    votes = [("a", "b", "A")] * 6 + [("b", "c", "A")] * 6 + [("a", "c", "tie")] * 2
    spec = rating_chart(ratings_table(votes, resamples=100), "votes:people").to_dict()
    assert spec["title"] == "Ranking from people (annotators) votes (14 votes, 95% intervals)"
    bars, points = spec["layer"]
    assert bars["encoding"]["y"]["sort"] == ["a", "b", "c"]
    assert bars["encoding"]["x"]["field"] == "low" and bars["encoding"]["x2"]["field"] == "high"
    assert points["encoding"]["x"]["field"] == "rating"


def test_rating_chart_reads_a_votes_source_summary_and_an_empty_frame():
    summary = pd.DataFrame(
        {"run_id": ["r", "r"], "model": ["x", "y"], "mean": [950.0, 1050.0], "low": [900.0, 1000.0],
         "high": [1000.0, 1100.0], "n": [4, 4], "missing": [0, 0], "scored_by": ["votes:judge:j"] * 2}
    )  # fmt: skip
    spec = rating_chart(summary, "votes:judge:j").to_dict()
    assert "judge model j" in spec["title"]
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["y", "x"]
    assert "No votes yet." in str(rating_chart(pd.DataFrame(), "votes:people").to_dict())
