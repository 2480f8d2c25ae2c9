"""The one interval function on seeded synthetic data whose truth is known (the fast part of benchmarks/stats.py).

Each check runs the real functions of :mod:`bench.stats.bootstrap` and :mod:`bench.compare.gate` on
draws from a known model: prompts with real effects, rounds within a prompt, a planted change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.compare import gate as gates
from bench.compare.rows import Comparison, from_change
from bench.stats import aggregates, bootstrap


def run(rng: np.random.Generator, effects: np.ndarray, rounds: int, factor: float = 1.0, noise: float = 0.1):
    """Latencies of one run: prompt j's requests are lognormal around effects[j] * factor."""
    ids = np.repeat([f"p{j}" for j in range(effects.size)], rounds)
    values = np.repeat(effects * factor, rounds) * rng.lognormal(0, noise, effects.size * rounds)
    return values, ids


def test_a_paired_change_covers_the_truth_and_names_its_n() -> None:
    hits = 0
    for seed in range(100):
        rng = np.random.default_rng(seed)
        effects = rng.lognormal(0, 0.5, 5)
        a, ids = run(rng, effects, 20)
        b, _ = run(rng, effects, 20, factor=1.10)
        ch = bootstrap.change(a, b, seed=seed, base_groups=ids, new_groups=ids, n_boot=500)
        assert ch is not None and ch.paired and ch.prompts == 5
        hits += ch.low <= 10.0 <= ch.high
    assert hits >= 88  # nominal 95 of 100; the benchmark runs 1,000 trials


def test_p95_below_its_minimum_n_gets_no_interval_and_no_change() -> None:
    values = np.linspace(0.3, 0.5, 19)
    assert bootstrap.interval(values, "p95") is None and bootstrap.change(values, values, "p95") is None
    assert bootstrap.interval(np.r_[values, 0.4], "p95") is not None


def test_zeros_are_kept_in_a_change() -> None:
    """bootstrap.change dropped values <= 0: a prompt scored 0 vanished from the mean."""
    base, new = np.array([1.0, 1.0, 1.0, 1.0]), np.array([1.0, 0.0, 0.0, 1.0])
    ch = bootstrap.change(base, new)
    assert ch is not None and ch.new == pytest.approx(0.5) and ch.n_new == 4


def test_proportions_wilson_and_newcombe_keep_zeros() -> None:
    iv = bootstrap.proportion(0, 100)
    assert iv is not None and iv.estimate == 0 and iv.low == 0 and 0.03 < iv.high < 0.04
    ch = bootstrap.proportion_change(0, 100, 20, 100)
    assert ch is not None and ch.pct == pytest.approx(20.0) and 10 < ch.low < 15 and ch.kind == "pp"
    assert bootstrap.p_beyond(ch, 2.0, worse_is_up=True) < 0.001
    same = bootstrap.proportion_change(5, 100, 5, 100)
    assert same is not None and same.low < 0 < same.high and bootstrap.p_beyond(same, 0.0, True) > 0.4


def test_holm_keeps_a_15_row_gate_at_its_level() -> None:
    """Two same-distribution runs, 15 gated rows at threshold 0: without a correction ~30% of gates fail.

    benchmarks/stats.py measures the rate on 1,000 trials (at most 5%); 60 trials here are a guard
    against losing the correction: 6 of 60 is above the 99% binomial bound of a 5% rate's count minus slack.
    """
    failed = 0
    trials = 60
    for trial in range(trials):
        rng = np.random.default_rng(10_000 + trial)
        rows = []
        for model in range(15):
            effects = rng.lognormal(0, 0.3, 5)
            a, ids = run(rng, effects, 4)
            b, _ = run(rng, effects, 4)
            ch = bootstrap.change(a, b, seed=model, base_groups=ids, new_groups=ids, n_boot=400)
            rows.append(from_change(f"m{model}", "e2e_p50", ch, ("x", "s", "e2e_s", "mean", False)))
        comparison = Comparison("a", "b", rows=rows)
        failed += bool(gates.gate(comparison, {"e2e_p50": 0.0}))
    assert failed <= 6  # 30% uncorrected would be ~18


def test_a_chunk_burst_is_flagged_and_left_out_of_speed() -> None:
    """Issue 16: all 9 chunks of one answer within 0.1 ms read as 18,343 tok/s and entered the mean."""
    rows = [
        {"run_id": "r", "model": "m", "prompt_id": f"p{i}", "round": 0, "warmup": False, "cold": False, "ok": True,
         "outcome": "ok", "transport": "http",
         "metrics": {"e2e_s": 0.3, "ttft_s": 0.05, "output_tokens": 25, "decode_tps": 96.0, "ici_max_s": 0.02}}
        for i in range(5)
    ]  # fmt: skip
    rows.append({**rows[0], "prompt_id": "burst", "metrics": {"e2e_s": 0.2, "ttft_s": 0.1999, "output_tokens": 9,
                                                              "decode_tps": 18343.0, "ici_max_s": 1e-5}})  # fmt: skip
    frame = aggregates.samples_frame(rows)
    assert frame["decode_burst"].tolist() == [False] * 5 + [True]
    summary = aggregates.model_summary(frame).iloc[0]
    assert summary["n_decode_burst"] == 1 and summary["decode_tps_mean"] == pytest.approx(96.0)
    assert summary["decode_tps_n"] == 5 and summary["e2e_s_n"] == 6  # its latency still counts


def test_outcome_rates_count_every_failure() -> None:
    frame = pd.DataFrame(
        {"warmup": [True, False, False, False, False], "ok": [True, True, False, False, True],
         "outcome": ["ok", "ok", "failed", "cancelled", "ok"], "finish_reason": ["", "length", "", "", "stop"]}
    )  # fmt: skip
    rates = aggregates.outcome_rates(frame)
    assert rates["requests"] == 3 and rates["errors"] == 1 and rates["error_rate"] == pytest.approx(1 / 3)
    assert rates["truncated"] == 1 and rates["truncation_rate"] == pytest.approx(0.5)
    assert 0 < rates["error_rate_low"] < rates["error_rate"] < rates["error_rate_high"] < 1
