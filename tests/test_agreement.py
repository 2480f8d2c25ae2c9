"""Agreement statistics against values computed by hand (the working is in the comments)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from bench.errors import BenchError
from rubrics.agreement import (
    PEOPLE_SCORE_RULE,
    average_ranks,
    exact_agreement,
    judge_vs_people,
    krippendorff_alpha,
    pairwise_kappas,
    people_alpha,
    spearman,
    weighted_kappa,
    within_one,
)

N = None


def test_weighted_kappa_two_raters_five_items():
    # A = 1 2 3 4 5, B = 1 2 3 5 5; quadratic weights w_ij = (i - j)^2 / 16.
    # Observed: only item 4 differs, (4, 5): w = 1/16, so sum(w * O) = (1/5)(1/16) = 1/80.
    # Expected: A's marginals are 1/5 each; B's are .2 .2 .2 0 .4 for scores 1..5.
    #   sum_i w_ij over A's categories: j=1: (0+1+4+9+16)/16 = 30/16, j=2: 15/16, j=3: 10/16,
    #   j=5: 30/16; weighted by B: (.2*30 + .2*15 + .2*10 + .4*30)/16 = 23/16; times 1/5 = 23/80.
    # kappa = 1 - (1/80) / (23/80) = 22/23 = 0.95652...
    stat = weighted_kappa([1, 2, 3, 4, 5], [1, 2, 3, 5, 5])
    assert stat.n == 5
    assert stat.value == pytest.approx(22 / 23)


def test_weighted_kappa_extremes_and_missing():
    assert weighted_kappa([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]).value == pytest.approx(1.0)
    # A = 1 5, B = 5 1: observed sum(w O) = (1 + 1)/2 = 1; expected: marginals .5/.5 on 1 and 5
    # for both, E = .25 in each of the 4 cells, sum(w E) = .25 + .25 = .5; kappa = 1 - 1/.5 = -1.
    assert weighted_kappa([1, 5], [5, 1]).value == pytest.approx(-1.0)
    # both raters used only score 3: no expected disagreement, kappa undefined
    assert weighted_kappa([3, 3, 3], [3, 3, 3]).value is None
    # missing values (None, NaN) drop the pair; n counts the pairs used
    stat = weighted_kappa([1, 2, None, 4, 5, float("nan")], [1, 2, 3, 5, 5, 4])
    assert stat.n == 4
    assert weighted_kappa([], []).n == 0
    with pytest.raises(ValueError, match="not one of"):
        weighted_kappa([0, 1], [1, 1])


def test_spearman_with_ties_uses_average_ranks():
    # a = 1 2 2 3 -> ranks 1, 2.5, 2.5, 4; b = 1 3 2 4 -> ranks 1 3 2 4 (means 2.5 both)
    # deviations a: -1.5 0 0 1.5, b: -1.5 .5 -.5 1.5; cross 2.25 + 0 + 0 + 2.25 = 4.5
    # sum a^2 = 4.5, sum b^2 = 5; rho = 4.5 / sqrt(22.5) = 0.948683...
    assert list(average_ranks(pd.Series([1, 2, 2, 3]).to_numpy())) == [1, 2.5, 2.5, 4]
    stat = spearman([1, 2, 2, 3], [1, 3, 2, 4])
    assert stat.value == pytest.approx(4.5 / math.sqrt(22.5))
    assert stat.n == 4
    assert spearman([1, 2, 3], [3, 2, 1]).value == pytest.approx(-1.0)
    assert spearman([2, 2, 2], [1, 2, 3]).value is None  # a constant has no ranking
    assert spearman([1], [1]).value is None


def test_exact_and_within_one():
    # pairs (1,1) (2,3) (4,2) (5,5): exact 2/4; |diff| <= 1 for 3 of 4
    assert exact_agreement([1, 2, 4, 5], [1, 3, 2, 5]).value == pytest.approx(0.5)
    assert within_one([1, 2, 4, 5], [1, 3, 2, 5]).value == pytest.approx(0.75)
    assert within_one([None], [3]).value is None


def test_krippendorff_alpha_small_example_by_hand():
    # two raters, three units: (1,1) (2,3) (3,3); pooled values 1 1 2 3 3 3, n = 6
    # D_o = (1/n) sum_u sum_{i != j} (v_i - v_j)^2 / (m_u - 1) = (0 + 2/1 + 0)/6 = 1/3
    # D_e = sum over ordered pairs of pooled values / (n (n - 1))
    #     = 2 (n sum v^2 - (sum v)^2) / 30 = 2 (6 * 33 - 13^2) / 30 = 58/30
    # alpha = 1 - (1/3) / (58/30) = 1 - 10/58 = 48/58 = 0.827586...
    stat = krippendorff_alpha([[1, 2, 3], [1, 3, 3]])
    assert stat.value == pytest.approx(48 / 58)
    assert stat.n == 3


def test_krippendorff_alpha_matches_krippendorff_2011_interval_example():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers,
    # 12 units, missing values; the paper reports alpha_interval = 0.849. Unit 12 has a single
    # value and is not pairable, so 11 units count.
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
        [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
    ]
    stat = krippendorff_alpha(data)
    assert round(stat.value, 3) == 0.849
    assert stat.n == 11


def test_krippendorff_alpha_degenerate():
    assert krippendorff_alpha([[1, N], [N, 2]]).value is None  # no unit has two values
    assert krippendorff_alpha([[3, 3], [3, 3]]).value is None  # no variation at all
    assert krippendorff_alpha([[1, 5], [1, 5]]).value == pytest.approx(1.0)


def _annotations(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    """(annotator, model, aspect, score) on one run and prompt."""
    return pd.DataFrame(
        [
            {"run_id": "r", "prompt_id": "p", "model": m, "aspect": a, "annotator": who, "score": s}
            for who, m, a, s in rows
        ]
    )


PEOPLE = _annotations(
    [
        ("ana", "m1", "acc", 1), ("ana", "m2", "acc", 2), ("ana", "m3", "acc", 3),
        ("ana", "m4", "acc", 4), ("ana", "m5", "acc", 5),
        ("ben", "m1", "acc", 1), ("ben", "m2", "acc", 2), ("ben", "m3", "acc", 3),
        ("ben", "m4", "acc", 5), ("ben", "m5", "acc", 5),
        ("cy", "m1", "acc", 2), ("cy", "m2", "acc", 2),
    ]
)  # fmt: skip


def test_pairwise_kappas_for_all_annotator_pairs():
    table = pairwise_kappas(PEOPLE)
    assert list(zip(table["annotator_a"], table["annotator_b"], strict=True)) == [
        ("ana", "ben"),
        ("ana", "cy"),
        ("ben", "cy"),
    ]
    ana_ben = table.iloc[0]
    assert ana_ben["n"] == 5 and ana_ben["kappa"] == pytest.approx(22 / 23)  # the example above
    assert ana_ben["exact"] == pytest.approx(0.8) and ana_ben["within_one"] == pytest.approx(1.0)
    assert table.iloc[1]["n"] == 2  # cy scored two items
    by_aspect = pairwise_kappas(PEOPLE, by_aspect=True)
    assert set(by_aspect["aspect"]) == {"acc"}
    assert people_alpha(PEOPLE).n == 5
    assert people_alpha(PEOPLE.iloc[0:0]).value is None


def test_judge_vs_people_rounds_people_mean_half_up():
    # per item, people's mean rounded half up: m1 (1,1,2) -> 1.33 -> 1; m2 (2,2,2) -> 2;
    # m3 (3,3) -> 3; m4 (4,5) -> 4.5 -> 5; m5 (5,5) -> 5
    judgments = pd.DataFrame(
        [
            {"run_id": "r", "prompt_id": "p", "model": m, "aspect": "acc", "judge": "j", "score": s}
            for m, s in [("m1", 1), ("m2", 3), ("m3", 3), ("m4", 5), ("m5", float("nan"))]
        ]
    )
    result = judge_vs_people(judgments, PEOPLE)
    pairs = result.pairs.set_index("model")
    assert pairs["people"].to_dict() == {"m1": 1, "m2": 2, "m3": 3, "m4": 5}
    assert result.n == 4  # m5: the judge's score is missing, so it is not compared
    assert result.exact.value == pytest.approx(0.75)
    assert result.rule == PEOPLE_SCORE_RULE
    confusion = result.confusion
    assert len(confusion) == 25 and confusion["count"].sum() == 4
    cell = confusion[(confusion["people"] == 2) & (confusion["judge"] == 3)]
    assert cell["count"].item() == 1


def test_judge_vs_people_needs_one_judge():
    two = pd.DataFrame(
        [
            {"run_id": "r", "prompt_id": "p", "model": "m1", "aspect": "acc", "judge": j, "score": 3}
            for j in ("j1", "j2")
        ]
    )
    with pytest.raises(BenchError, match="several judges"):
        judge_vs_people(two, PEOPLE)
    assert judge_vs_people(two, PEOPLE, judge="j2").n == 1
    empty = judge_vs_people(two.iloc[0:0], PEOPLE)
    assert empty.n == 0 and empty.kappa.value is None and empty.confusion["count"].sum() == 0
