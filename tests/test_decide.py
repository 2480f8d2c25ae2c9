"""Decide: normalisation, weighting, Pareto front and recommendation (hand-checked), then a real run."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from bench.decide import recommend
from bench.decide.recommend import Criteria
from bench.inputs.config import RunSettings, load_prompt_set
from bench.report import exports
from bench.run.runner import run_benchmark
from bench.store.store import Store

MB = 10**6


def raw(rows: list[dict]) -> pd.DataFrame:
    """A raw_table-shaped frame from a few fields per model (the rest filled with plausible values)."""
    out = []
    for i, r in enumerate(rows):
        base = {
            "order": i,
            "run_id": "run1",
            "model": r["model"],
            "series": r["model"],
            "status": "done",
            "error": None,
            "n": 10,
            "candidate": True,
            "quality": np.nan,
            "quality_n": 12,
            "quality_low": np.nan,
            "quality_high": np.nan,
            "scored_by": "people",
            "latency": np.nan,
            "latency_n": 10,
            "latency_stat": "p95",
            "throughput": np.nan,
            "throughput_n": 10,
            "memory": np.nan,
            "memory_basis": "added by the model (peak - baseline RSS)",
            "size": np.nan,
        }
        base.update(r)
        out.append(base)
    return pd.DataFrame(out)


# Three candidates and one failed model. Scored by hand relative to the best (best = 1; best/value
# when lower is better: latency, memory, size; value/best when higher is better):
#   latency     A 1.0  B 2.0  C 3.0   -> A 1,   B 0.5,  C 1/3
#   quality     A 3.0  B 4.0  C 5.0   -> A 0.6, B 0.8,  C 1
#   throughput  A 100  B 50   C 75    -> A 1,   B 0.5,  C 0.75
#   memory      A 200  B 100  C 100MB -> A 0.5, B 1,    C 1
#   size        A 100  B 300  C n/a   -> A 1,   B 1/3,  C 0 (missing)
# Default weights 0.4 / 0.3 / 0.1 / 0.1 / 0.1 (sum 1):
#   A = 0.4*0.6 + 0.3*1   + 0.1*1    + 0.1*0.5 + 0.1*1   = 0.79
#   B = 0.4*0.8 + 0.3*0.5 + 0.1*0.5  + 0.1*1   + 0.1/3   = 0.6533
#   C = 0.4*1   + 0.3/3   + 0.1*0.75 + 0.1*1   + 0.1*0   = 0.675
# -> A, C, B. (Min-max would have made C win: 437 vs 440 ms-style gaps weighed like 1 s vs 3 s.)
ROWS = [
    {
        "model": "A",
        "latency": 1.0,
        "quality": 3.0,
        "throughput": 100.0,
        "memory": 200.0 * MB,
        "size": 100.0 * MB,
    },
    {
        "model": "B",
        "latency": 2.0,
        "quality": 4.0,
        "throughput": 50.0,
        "memory": 100.0 * MB,
        "size": 300.0 * MB,
    },
    {"model": "C", "latency": 3.0, "quality": 5.0, "throughput": 75.0, "memory": 100.0 * MB, "size": np.nan},
    {"model": "D", "status": "failed", "error": "not a model", "n": 0, "candidate": False},
]


def by_model(table: pd.DataFrame) -> dict[str, dict]:
    return {r["model"]: r for r in table.to_dict("records")}


def test_criteria_defaults_and_validation() -> None:
    assert Criteria().weights() == {
        "quality": 0.4,
        "latency": 0.3,
        "throughput": 0.1,
        "memory": 0.1,
        "size": 0.1,
    }
    with pytest.raises(ValidationError):
        Criteria(quality=0, latency=0, throughput=0, memory=0, size=0)
    with pytest.raises(ValidationError):
        Criteria(latency=-1)
    with pytest.raises(ValidationError):
        Criteria(latency_stat="p99")


def test_normalise_relative_to_the_best_directions_single_and_missing() -> None:
    s = pd.Series([1.0, 2.0, 4.0, np.nan])
    assert recommend.normalise(s, lower_is_better=True).tolist() == [1.0, 0.5, 0.25, 0.0]
    assert recommend.normalise(s, lower_is_better=False).tolist() == [0.25, 0.5, 1.0, 0.0]
    assert recommend.normalise(pd.Series([7.0]), lower_is_better=True).tolist() == [1.0]  # a single candidate
    assert recommend.normalise(pd.Series([2.0, 2.0]), lower_is_better=False).tolist() == [1.0, 1.0]  # equal
    # noise-sized gaps stay noise-sized (min-max made this 1.0 vs 0.0)
    close = recommend.normalise(pd.Series([0.437, 0.440]), lower_is_better=True).tolist()
    assert close[0] == 1.0 and close[1] == pytest.approx(0.437 / 0.440)


def test_weighted_score_and_rank() -> None:
    table = recommend.score_table(raw(ROWS), Criteria())
    rows = by_model(table)
    approx = pytest.approx
    assert [rows[m]["norm_latency"] for m in "ABC"] == approx([1.0, 0.5, 1 / 3])
    assert [rows[m]["norm_quality"] for m in "ABC"] == approx([0.6, 0.8, 1.0])
    assert [rows[m]["norm_throughput"] for m in "ABC"] == approx([1.0, 0.5, 0.75])
    assert [rows[m]["norm_memory"] for m in "ABC"] == approx([0.5, 1.0, 1.0])
    # C has no size: size is left out for everyone (a missing value never scores, best or worst)
    assert all(math.isnan(rows[m]["norm_size"]) for m in "ABC") and table.attrs["dropped"] == {"size": ["C"]}
    assert rows["C"]["missing"] == [] and rows["A"]["missing"] == []
    assert rows["A"]["score"] == approx((0.24 + 0.3 + 0.1 + 0.05) / 0.9)
    assert rows["B"]["score"] == approx((0.32 + 0.15 + 0.05 + 0.1) / 0.9)
    assert rows["C"]["score"] == approx((0.4 + 0.1 + 0.075 + 0.1) / 0.9)
    assert table["model"].tolist() == ["A", "C", "B", "D"]  # ranked first, failed last
    assert [rows[m]["rank"] for m in "ACB"] == [1, 2, 3]
    assert pd.isna(rows["D"]["rank"]) and math.isnan(rows["D"]["score"])
    assert math.isnan(rows["A"]["p_best"])  # means alone: no samples, no uncertainty claimed


def test_a_criterion_nobody_has_leaves_the_denominator() -> None:
    # No quality at all: the available weights sum to 0.6.
    #   A = (0.3*1   + 0.1*1    + 0.1*0.5 + 0.1*1)   / 0.6 = 0.9167
    #   B = (0.3*0.5 + 0.1*0.5  + 0.1*1   + 0.1/3)   / 0.6 = 0.5556
    #   C = (0.3/3   + 0.1*0.75 + 0.1*1   + 0.1*0)   / 0.6 = 0.4583
    rows = [{**r, "quality": np.nan} for r in ROWS]
    table = recommend.score_table(raw(rows), Criteria())
    got = by_model(table)
    # ... and C has no size: size leaves the score too (0.5 left)
    assert got["A"]["score"] == pytest.approx(0.45 / 0.5)
    assert got["B"]["score"] == pytest.approx(0.3 / 0.5)
    assert got["C"]["score"] == pytest.approx(0.275 / 0.5)
    assert got["A"]["missing"] == []  # nobody has quality: not "missing", just not counted
    rec = recommend.recommendation(table)
    assert rec.model == "A"
    assert "no quality scores: ranked on speed, memory and size only" in rec.caveats
    # the front falls back to decode tok/s: A (1 s, 100 tok/s) beats B (2 s, 50) and C (3 s, 75)
    front = recommend.pareto_front(table)
    assert front.y == "throughput" and "decode tok/s" in front.note
    assert front.points["model"].tolist() == ["A"]


def test_weights_only_latency_picks_the_fastest() -> None:
    table = recommend.score_table(raw(ROWS), Criteria(quality=0, latency=1, throughput=0, memory=0, size=0))
    rec = recommend.recommendation(table)
    # latency only: A = 1, B = 0.5, C = 1/3
    assert rec.model == "A" and rec.score == pytest.approx(1.0)
    assert "fastest p95 among the candidates (1 s, n=10)" in rec.reasons


def test_pareto_front() -> None:
    # (latency, quality): A (1, 3), B (2, 4), C (3, 5) trade off; E (2.5, 3.5) is beaten by B (2, 4);
    # F (1, 2) is beaten by A (same latency, higher quality).
    rows = [
        *ROWS,
        {"model": "E", "latency": 2.5, "quality": 3.5},
        {"model": "F", "latency": 1.0, "quality": 2.0},
        {"model": "G", "latency": np.nan, "quality": 4.5},
    ]
    table = recommend.score_table(raw(rows), Criteria())
    front = recommend.pareto_front(table)
    assert front.x == "latency" and front.y == "quality"
    assert front.points["model"].tolist() == ["A", "B", "C"]  # sorted by latency; D (failed) never counts
    assert "Not placed" in front.note and "G" in front.note


def test_recommendation_reasons_and_caveats() -> None:
    rec = recommend.recommendation(recommend.score_table(raw(ROWS), Criteria()))
    assert rec.model == "A" and rec.score == pytest.approx(0.69 / 0.9)
    assert rec.reasons[0].startswith("highest weighted score among 3 candidates (0.77 of 1; next C 0.75")
    assert "size on disk left out of the score for every model: no value for C" in rec.caveats
    assert "fastest p95 among the candidates (1 s, n=10)" in rec.reasons
    assert "fastest decoding among the candidates (100.0 tok/s, n=10)" in rec.reasons
    # a number the winner loses on is a trade-off (a caveat), never a reason
    assert not any("quality" in r or "memory" in r for r in rec.reasons)
    assert "A scored lower by people than C (3.0 vs 5.0)" in rec.caveats
    assert "A uses more memory than C (200 MB vs 100 MB)" in rec.caveats  # C comes first: higher ranked
    assert "p95 from fewer than 20 samples (n=10)" in rec.caveats
    assert "D failed and is not ranked" in rec.caveats
    assert rec.p_best is None and rec.tied == []  # from means alone: no uncertainty claimed


def test_a_runner_up_within_005_is_a_caveat_without_samples() -> None:
    rows = [{"model": "A", "latency": 1.0}, {"model": "B", "latency": 1.04}]
    rec = recommend.recommendation(recommend.score_table(raw(rows), Criteria(quality=0, latency=1, throughput=0,
                                                                          memory=0, size=0)))  # fmt: skip
    assert rec.model == "A"
    assert any(c.startswith("runner-up within 0.05 of the score (B 0.96") for c in rec.caveats)


def test_single_candidate_gets_full_marks() -> None:
    table = recommend.score_table(raw([ROWS[0], ROWS[3]]), Criteria())
    row = by_model(table)["A"]
    assert [row[f"norm_{c}"] for c in recommend.CRITERIA[:5]] == [1.0] * 5 and row["score"] == 1.0
    rec = recommend.recommendation(table)
    assert rec.model == "A" and rec.reasons[0] == "the only model that finished with measured requests"


def test_nothing_to_rank() -> None:
    rec = recommend.recommendation(recommend.score_table(raw([ROWS[3]]), Criteria()))
    assert rec.model is None and rec.caveats[0] == "no model finished with measured requests"


# ---- a real run of the tiny model ------------------------------------------------------------------
def test_real_run_failed_model_unranked_tiny_recommended(
    tiny_model: str, db_path: Path, prompt_file: Path
) -> None:
    store = Store(db_path)
    settings = RunSettings(models=[tiny_model, "missing-model"], rounds=2, warmup=0, max_tokens=8)
    run_id, _ = run_benchmark(store, settings, load_prompt_set(prompt_file))

    table = recommend.decision_table(store, [run_id], Criteria())
    rows = by_model(table)
    assert rows["missing-model"]["status"] == "failed" and pd.isna(rows["missing-model"]["rank"])
    tiny = rows[tiny_model]
    assert tiny["rank"] == 1 and tiny["score"] == 1.0
    # 2 prompts x 2 rounds, the first request is cold: 3 warm samples
    assert tiny["n"] == 3 and tiny["latency_n"] == 3 and tiny["latency"] > 0
    assert tiny["memory"] >= 0 and tiny["memory_basis"] and tiny["size"] > 0
    assert math.isnan(tiny["quality"])  # nobody scored it

    rec = recommend.recommendation(table)
    assert rec.model == tiny_model
    assert "no quality scores: ranked on speed, memory and size only" in rec.caveats
    assert "p95 from fewer than 20 samples (n=3)" in rec.caveats
    assert "missing-model failed and is not ranked" in rec.caveats

    md = exports.render_markdown(store, [run_id])
    assert "## Recommendation" in md
    assert md.index("## Highlights") < md.index("## Recommendation") < md.index("How to read these numbers")
    assert f"Recommended default: **{tiny_model}**" in md
    data = exports.report_dict(store, [run_id])
    assert data["recommendation"]["model"] == tiny_model
    ranking = data["recommendation"]["ranking"]
    assert [(r["model"], r["rank"], r["score"], r["p_best"]) for r in ranking] == [
        (tiny_model, 1, 1.0, 1.0),
        ("missing-model", None, None, None),
    ]
    assert ranking[0]["missing"] == [] and ranking[0]["out"] is False
    assert data["recommendation"]["limits"] == [{"text": "errors=5%", "words": "error rate at most 5%"}]
    assert "default weights" in data["recommendation"]["from"]  # the default error limit is always stated
    assert run_id not in json.dumps(data["recommendation"])  # run ids stay in meta
    assert exports.report_json(store, [run_id]) == exports.report_json(store, [run_id])


def test_a_lone_value_does_not_lift_candidates_that_lack_it():
    """One model has a quality score, two have none: the lone one is best (1.0), the others 0, not 1."""
    from bench.decide.recommend import normalise

    values = pd.Series([None, 3.7, None], dtype=float)
    assert normalise(values, lower_is_better=False).tolist() == [0.0, 1.0, 0.0]
    assert normalise(pd.Series([2.0, 2.0]), lower_is_better=True).tolist() == [1.0, 1.0]


def test_reliability_is_a_criterion_when_weighted() -> None:
    """Issue 16: failure rates never reached a criterion. 1 - error rate, scored relative to the best."""
    rows = [{"model": "A", "reliability": 1.0, "reliability_n": 40}, {"model": "B", "reliability": 0.7,
                                                                      "reliability_n": 40}]  # fmt: skip
    only = Criteria(quality=0, latency=0, throughput=0, memory=0, size=0, reliability=1)
    table = recommend.score_table(raw(rows), only)
    got = by_model(table)
    assert got["A"]["score"] == pytest.approx(1.0) and got["B"]["score"] == pytest.approx(0.7)
    rec = recommend.recommendation(table)
    assert rec.model == "A" and any("most reliable among the candidates: 100%" in r for r in rec.reasons)
    assert (
        "reliability" not in Criteria().weights()
    )  # weight 0 unless asked: the error limit guards by default


def test_reasons_count_prompts_and_rounds(tmp_path) -> None:
    """The prompt is the unit of certainty: Decide says n as prompts × rounds."""
    import sys

    from bench.decide import decision_log
    from bench.store.store import Store

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from outcome_runs import Plan, store_run

    store = Store(tmp_path / "bench.db")
    run_id = store_run(store, {"fast": Plan(centre=0.3), "slow": Plan(centre=0.6)})
    _, rec, record = decision_log.take(
        store, [run_id], Criteria(quality=0, latency=1, throughput=0, memory=0, size=0)
    )
    assert rec.model == "fast" and any("5 prompts × 20 rounds" in r for r in rec.reasons), rec.reasons
    assert record["differences"] == [] and record["limits"][0]["text"] == "errors=5%"


def test_an_unvalidated_judge_is_labelled_when_picked() -> None:
    """Issue 16: a judge labelled 'not validated' on the Judge page was offered in Decide as plain."""
    from types import SimpleNamespace

    from bench.decide import differences
    from bench.quality.score_sources import SourceInfo

    results = SimpleNamespace(
        sources=[SourceInfo("people"), SourceInfo("judge:x", validated=False, trust="κ 0.2")]
    )
    assert differences.unvalidated(results, "people") == ""
    assert differences.unvalidated(results, "judge:x").startswith("quality by judge:x is not validated")
    table = recommend.score_table(raw(ROWS), Criteria())
    table.attrs["unvalidated"] = differences.unvalidated(results, "judge:x")
    assert any(
        "not validated against people's scores: κ 0.2" in c for c in recommend.recommendation(table).caveats
    )


def _relative_with_nan_functions(values: np.ndarray, lower_is_better: bool) -> np.ndarray:
    """``ranking.relative`` as it was written before (nanmin/nanmax, which warn on an all-missing row)."""
    import warnings

    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        if lower_is_better:
            best = np.nanmin(np.where(values > 0, values, np.nan), axis=-1, keepdims=True)
            out = np.where(values > 0, best / values, np.where(values == 0, 1.0, np.nan))
        else:
            best = np.nanmax(values, axis=-1, keepdims=True)
            out = np.where(best > 0, values / best, 1.0)
    return np.nan_to_num(np.clip(out, 0.0, 1.0), nan=0.0)


def test_relative_scores_rows_with_nothing_measured_without_a_warning() -> None:
    """A bootstrap row where no candidate has a value (a criterion nobody measured in that draw) scores
    as before, and quietly: numpy's "All-NaN slice" warning filled the suite's output."""
    import warnings

    from bench.decide import ranking

    rng = np.random.default_rng(9)
    for _ in range(200):
        values = rng.choice([np.nan, 0.0, -1.0, 0.5, 1.0, 2.0, 3.0], size=(6, 4))
        values[0] = np.nan  # one row with nothing measured
        for lower in (True, False):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                got = ranking.relative(values, lower)
            np.testing.assert_array_equal(got, _relative_with_nan_functions(values, lower))
