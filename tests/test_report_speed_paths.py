"""The faster paths behind ``python -m bench report`` (issue 18) give the figures of the paths they replace.

Each test puts the fast path beside the plain computation it stands for, on seeded data, and asks
for equality to the bit (``==``, ``array_equal``, ``assert_frame_equal(check_exact=True)``): the
reports' bytes must not move because a report got faster. No timings here: they live in
``benchmarks/reports.py``.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bench.report import html
from bench.results import load_results
from bench.stats import aggregates, bootstrap, theil_sen
from bench.store.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_runs import latencies, store_run


# ---- cluster bootstrap: one computation per distinct draw ---------------------------------------
@pytest.mark.parametrize("stat", ["p50", "p95", "p99", "max"])
def test_distinct_draws_equal_the_statistic_over_every_gathered_resample(stat: str) -> None:
    rng = np.random.default_rng(11)
    for trial in range(80):
        k = int(rng.integers(1, 24))  # on both sides of DISTINCT_MAX_K
        rounds = rng.integers(1, 60, size=k)  # unequal rounds: the NaN-padded matrix
        values = np.concatenate([rng.lognormal(0, 0.5, r) + i for i, r in enumerate(rounds)])
        if trial % 4 == 0:
            values = np.round(values, 1)  # ties
        c = bootstrap.clusters(values, np.repeat(np.arange(k), rounds))
        picks = bootstrap._picks(c.k, 700, np.random.default_rng(trial))
        plain = bootstrap.STATS[stat](c.matrix[picks].reshape(700, -1))
        assert np.array_equal(bootstrap._stat_draws(c, bootstrap.STATS[stat], picks), plain, equal_nan=True)


def test_a_p95_interval_of_few_prompts_is_the_one_from_every_resample() -> None:
    """4 prompts x 625 rounds (the benchmark's store): 35 distinct draws stand for 2,000."""
    rng = np.random.default_rng(18)
    values = rng.lognormal(np.log(0.5), 0.08, 2499)
    groups = [f"p{i % 4}" for i in range(2499)]
    got = bootstrap.interval(values, "p95", groups=groups)
    c = bootstrap.clusters(values, groups)
    picks = bootstrap._picks(c.k, bootstrap.N_BOOT, np.random.default_rng(0))
    boot = bootstrap.STATS["p95"](c.matrix[picks].reshape(bootstrap.N_BOOT, -1))
    widened = got.estimate + (boot - got.estimate) * bootstrap.expansion(c.k)
    assert (got.low, got.high) == tuple(float(x) for x in np.percentile(widened, [2.5, 97.5]))


@pytest.mark.parametrize(
    "groups",
    [
        pd.Series(["a", "b", None, "a", "c", "b", "a", np.nan], dtype="str"),  # pandas' Arrow strings
        pd.Series(["a", "b", None, "a", "c", "b", "a", None], dtype=object),
        pd.Series([1, 2, 3, 1, 2, 3, 1, 2]),
        pd.Series([1.5, 2.0, 1.5, np.nan, 2.0, 1.5, 3.0, 3.0]),
        pd.Series(list("abcabcab"), dtype="category"),
        ["x", "y", "x", "y", "z", "z", "x", "y"],
    ],
)
def test_clusters_name_prompts_as_str_of_each_element(groups: object) -> None:
    """Prompt ids read through ``to_numpy(dtype=object)`` are the ``str()`` of each element, as before."""
    values = np.array([0.0, 1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 7.0])
    want = np.asarray([str(g) for g in groups], dtype=object)[~np.isnan(values)]
    assert bootstrap.clusters(values, groups).keys == tuple(dict.fromkeys(want))


# ---- Theil-Sen: order statistics from a bracket ------------------------------------------------
@pytest.mark.parametrize("n", [450, 1200, 2500])
@pytest.mark.parametrize("ties", [False, True])
def test_theil_sen_on_runs_of_thousands_is_still_scipys(n: int, ties: bool) -> None:
    """Above 4 x SAMPLE slopes the bracketed selection runs; its figures stay scipy's exactly."""
    rng = np.random.default_rng(n)
    y = rng.normal(size=n) - 0.0005 * np.arange(n)
    if ties:
        y = np.round(y, 1)
    want = stats.theilslopes(y, np.arange(n), alpha=0.95)
    assert theil_sen.theil_sen(y) == (want.slope, want.low_slope, want.high_slope)


@pytest.mark.parametrize("n", [700, 2500])
def test_slope_order_statistics_equal_a_full_partition_of_every_slope(n: int) -> None:
    rng = np.random.default_rng(n)
    y = np.round(rng.standard_cauchy(n), 1)  # heavy tails and many ties
    slopes = theil_sen._pairwise_slopes(y)
    total = slopes.size
    for ranks in (
        [0, total // 2, total - 1],
        [total // 2 - 900, total // 2 - 1, total // 2, total // 2 + 900],
    ):
        want = [float(x) for x in np.partition(slopes, ranks)[ranks]]
        assert theil_sen._slope_order_statistics(y, ranks) == want


def test_a_bracket_that_misses_falls_back_to_every_slope(monkeypatch: pytest.MonkeyPatch) -> None:
    y = np.random.default_rng(4).normal(size=1000)
    slopes = theil_sen._pairwise_slopes(y)
    ranks = [1_000, slopes.size // 2, slopes.size - 1_000]
    want = [float(x) for x in np.partition(slopes, ranks)[ranks]]
    monkeypatch.setattr(theil_sen, "_bracket", lambda *_: (0.0, 0.0))  # brackets (nearly) nothing
    assert theil_sen._slope_order_statistics(y, ranks) == want


def test_the_bracket_holds_on_a_series_with_a_period(monkeypatch: pytest.MonkeyPatch) -> None:
    """Prompts sent in turn give drift's series a period; the sample must not alias with it (a stride
    did): the fast path answers without falling back to every slope."""
    rng = np.random.default_rng(18)
    y = np.log(rng.lognormal(0, 0.08, 2499)) + np.tile([0.0, 0.3, -0.2, 0.1], 625)[:2499]
    want = stats.theilslopes(y, np.arange(y.size), alpha=0.95)

    def every_slope(_y: np.ndarray) -> np.ndarray:
        raise AssertionError("the bracket missed: every slope was computed")

    monkeypatch.setattr(theil_sen, "_pairwise_slopes", every_slope)
    assert theil_sen.theil_sen(y) == (want.slope, want.low_slope, want.high_slope)


# ---- measured: one copy of the frame -----------------------------------------------------------
def _measured_by_multiindex(frame: pd.DataFrame) -> pd.DataFrame:
    """The definition as it was written before (a MultiIndex of the pairs with warm requests)."""
    if frame.empty:
        return frame
    base = frame[(~frame["warmup"]) & frame["ok"]]
    if base.empty:
        return base
    keys = pd.MultiIndex.from_frame(base[["run_id", "model"]])
    with_warm = pd.MultiIndex.from_frame(base.loc[~base["cold"], ["run_id", "model"]])
    cold_only = ~keys.isin(with_warm)
    kept = base[(~base["cold"]).to_numpy() | cold_only]
    return kept.assign(cold_only=cold_only[(~base["cold"]).to_numpy() | cold_only])


def test_measured_keeps_the_same_rows_and_cold_only_flags() -> None:
    rng = np.random.default_rng(0)
    for trial in range(300):
        n = int(rng.integers(0, 60))
        frame = pd.DataFrame(
            {
                "run_id": rng.choice(["r1", "r2"], n),
                "model": rng.choice(["a", "b", "c"], n),
                "warmup": rng.random(n) < 0.2,
                "ok": rng.random(n) < 0.8,
                "cold": rng.random(n) < rng.random(),  # from no cold row to every row cold
                "e2e_s": rng.random(n),
            }
        )
        if trial % 5 == 0:
            frame.index = frame.index[::-1] + 100
        pd.testing.assert_frame_equal(
            aggregates.measured(frame), _measured_by_multiindex(frame), check_exact=True
        )
        assert aggregates.measured_count(frame) == len(_measured_by_multiindex(frame))  # Results' tile


# ---- samples_frame: a copy of each sample, not a filtering comprehension -----------------------
def test_samples_frame_flattens_as_before() -> None:
    """Top-level keys in order, then the metrics, ``usage_tokens`` dropped, ``server_timings`` last."""
    base = {"run_id": "r", "model": "m", "prompt_id": "p0", "round": 0, "warmup": False, "cold": False}
    samples = [
        {
            **base,
            "ok": True,
            "metrics": {"e2e_s": 1.0, "usage_tokens": 5, "ttft_s": 0.1},
            "server_timings": None,
        },
        {**base, "ok": False, "metrics": None, "server_timings": {"decode_tps": 9.0}, "usage_tokens": 3},
    ]
    frame = aggregates.samples_frame(samples)
    assert list(frame.columns[:9]) == [*base, "ok", "e2e_s", "ttft_s"]
    assert "usage_tokens" not in frame and frame.columns[9] == "server_timings"
    assert frame["server_timings"].tolist() == [None, {"decode_tps": 9.0}]
    assert samples[0]["metrics"] == {
        "e2e_s": 1.0,
        "usage_tokens": 5,
        "ttft_s": 0.1,
    }  # the input is left alone


# ---- the HTML report's charts: points thinned by the charts, boxes from every request -----------
def test_html_charts_box_every_request_and_say_how_many_points_they_draw(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    store = Store(tmp_path / "bench.db")
    run_id = store_run(store, {"a": latencies(rng, 0.5, 1500), "b": latencies(rng, 0.7, 1500)}, bulk=True)
    results = load_results(store, [run_id])
    specs = {s.name: s for s in html.chart_specs(results)}
    assert "About 1,000 of 3,000 requests are drawn as points" in specs["latency"].caption
    assert "About 1,000 of 3,000 requests are drawn as points" in specs["ttft_decode"].caption
    svg = ET.fromstring(specs["latency"].svg)
    drawn = list(svg.iter())
    boxes = [e for e in drawn if e.get("data-box")]
    assert sorted(int(e.get("data-n")) for e in boxes) == [1500, 1500]  # every warm request, not a subset's
    points = [e for e in drawn if e.get("data-phase")]
    assert len(points) <= 1_000 and any(
        e.get("data-phase") == "cold" for e in points
    )  # the cold starts drawn


# ---- outcome counts from numpy arrays ----------------------------------------------------------
def _outcome_counts_by_pandas(group: pd.DataFrame) -> tuple[int, int, int, int]:
    """requests, errors, ok_measured, truncated as the pandas selections counted them before."""
    outcome = group["outcome"] if "outcome" in group else pd.Series(np.where(group["ok"], "ok", "failed"))
    outcome = pd.Series(np.asarray(outcome), index=group.index)
    counted = group[(~group["warmup"]) & (outcome != "cancelled")]
    errors = int(outcome[counted.index].isin(["failed", "incomplete"]).sum())
    ok = counted[outcome[counted.index] == "ok"]
    finish = ok["finish_reason"] if "finish_reason" in ok else pd.Series("", index=ok.index)
    return len(counted), errors, len(ok), int((finish.fillna("") == "length").sum())


def test_outcome_rates_count_as_the_pandas_selections_did() -> None:
    rng = np.random.default_rng(3)
    for trial in range(150):
        n = int(rng.integers(0, 80))
        frame = pd.DataFrame({"warmup": rng.random(n) < 0.2, "ok": rng.random(n) < 0.8})
        if trial % 3:
            choices = ["ok", "failed", "incomplete", "cancelled", None]
            frame["outcome"] = pd.Series(rng.choice(choices, n), dtype="str")  # missing ones too
        if trial % 2:
            frame["finish_reason"] = rng.choice(["length", "stop", None], n)
        rates = aggregates.outcome_rates(frame)
        got = (rates["requests"], rates["errors"], rates["ok_measured"], rates["truncated"])
        assert got == _outcome_counts_by_pandas(frame)
        assert all(type(v) is int for v in got)


# ---- outliers: the columns they read, then the rows ----------------------------------------------
def _outliers_from_every_column(frame: pd.DataFrame, metric: str = "e2e_s") -> pd.DataFrame:
    """The definition as it was written before (every column of the measured rows copied first)."""
    data = aggregates.measured(frame)
    if data.empty:
        return pd.DataFrame()
    flagged = []
    for _, group in data.groupby(["run_id", "model"], sort=False):
        values = group[metric].dropna()
        if len(values) < 4:
            continue
        q1, q3 = np.percentile(values, [25, 75])
        low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
        hit = group[(group[metric] > high) | (group[metric] < low)]
        flagged.append(hit.assign(fence_low=low, fence_high=high))
    cols = ["run_id", "model", "prompt_id", "round", "phase", metric, "fence_low", "fence_high"]
    return pd.concat(flagged)[cols] if flagged else pd.DataFrame(columns=cols)


def test_outliers_flag_the_same_requests_as_before() -> None:
    rng = np.random.default_rng(4)
    for trial in range(200):
        n = int(rng.integers(0, 80))
        frame = pd.DataFrame(
            {
                "run_id": rng.choice(["r1", "r2"], n),
                "model": rng.choice(["a", "b"], n),
                "prompt_id": rng.choice(["p0", "p1", "p2"], n),
                "round": rng.integers(0, 4, n),
                "phase": "warm",
                "warmup": rng.random(n) < 0.1,
                "ok": rng.random(n) < 0.9,
                "cold": rng.random(n) < 0.05,
                "e2e_s": rng.lognormal(0, 0.5, n),
                "answer": ["text"] * n,  # a column outliers never reads
            }
        )
        if trial % 7 == 0:
            frame.index = frame.index[::-1] + 10
        pd.testing.assert_frame_equal(aggregates.outliers(frame), _outliers_from_every_column(frame))


def test_outliers_are_exactly_the_planted_requests() -> None:
    """Known truth: every warm request takes 1 s but three; the fences close on 1 s, so those three are flagged."""
    n = 40
    e2e = np.ones(n)
    e2e[[5, 17, 33]] = [4.0, 0.1, 9.0]
    frame = pd.DataFrame(
        {"run_id": "r", "model": "m", "prompt_id": [f"p{i}" for i in range(n)], "round": 0, "phase": "warm",
         "warmup": False, "ok": True, "cold": False, "e2e_s": e2e}
    )  # fmt: skip
    flagged = aggregates.outliers(frame)
    assert sorted(flagged["prompt_id"]) == ["p17", "p33", "p5"]
    assert (flagged["fence_low"] == 1.0).all() and (flagged["fence_high"] == 1.0).all()
