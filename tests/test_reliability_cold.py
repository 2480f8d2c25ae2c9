"""Cold handling is the same in every table: per-model and per-prompt figures leave the cold request
out alike (``--warmup 0``), and a run whose only measured request is cold (a saved Race) keeps its
statistics. Synthetic samples with known values, so the expected numbers are exact.
"""

from __future__ import annotations

import pytest

from bench.stats import aggregates


def _sample(prompt: str, rnd: int, e2e: float, cold: bool = False, outcome: str = "ok") -> dict:
    return {
        "run_id": "r", "model": "m", "prompt_id": prompt, "round": rnd, "warmup": rnd < 0, "cold": cold,
        "ok": outcome == "ok", "outcome": outcome, "transport": "http",
        "metrics": {"e2e_s": e2e, "output_token_source": "usage"},
    }  # fmt: skip


def test_with_no_warmup_the_cold_request_is_out_of_every_table():
    samples = [
        _sample("p1", 0, 9.0, cold=True),
        _sample("p2", 0, 1.0),
        _sample("p1", 1, 2.0),
        _sample("p2", 1, 3.0),
    ]
    frame = aggregates.samples_frame(samples)
    per_model = aggregates.model_summary(frame).iloc[0]
    per_prompt = aggregates.prompt_summary(frame).set_index("prompt_id")
    assert per_model["n"] == 3 and per_model["e2e_s_mean"] == pytest.approx(2.0)
    assert per_model["cold_e2e_s"] == 9.0  # shown apart
    assert per_prompt.loc["p1", "n"] == 1 and per_prompt.loc["p1", "e2e_s_mean"] == 2.0
    assert per_prompt["n"].sum() == per_model["n"]  # the same samples behind both tables


def test_a_run_whose_only_requests_are_cold_keeps_its_statistics():
    frame = aggregates.samples_frame([_sample("race", 0, 1.5, cold=True)])
    per_model = aggregates.model_summary(frame).iloc[0]
    assert per_model["n"] == 1 and per_model["e2e_s_mean"] == 1.5
    assert aggregates.measured(frame)["cold_only"].tolist() == [True]
    assert aggregates.prompt_summary(frame)["n"].tolist() == [1]


def test_only_ok_samples_enter_statistics_and_each_outcome_is_counted():
    samples = [
        _sample("p1", 0, 1.0),
        _sample("p2", 0, 50.0, outcome="incomplete"),
        _sample("p3", 0, 70.0, outcome="failed"),
        _sample("p4", 0, 90.0, outcome="cancelled"),
    ]
    per_model = aggregates.model_summary(aggregates.samples_frame(samples)).iloc[0]
    assert per_model["e2e_s_n"] == 1 and per_model["e2e_s_mean"] == 1.0
    counts = {k: per_model[f"n_{k}"] for k in ("ok", "failed", "incomplete", "cancelled")}
    assert counts == {"ok": 1, "failed": 1, "incomplete": 1, "cancelled": 1}
