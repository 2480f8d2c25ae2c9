"""The hand-written statistics agree with the field's libraries on the same data (issue 16, item 9).

``rubrics.bradley_terry.fit`` against ``choix`` (penalised maximum likelihood; choix's ``alpha·‖θ‖²`` is our
``λ/2·‖θ‖²``, so alpha = λ/2), ``rubrics.agreement.krippendorff_alpha`` against ``krippendorff`` (interval
metric, with a gap), and the proportion intervals of ``bench.stats.bootstrap`` against statsmodels directly.
Seeded synthetic data with known strengths.
"""

from __future__ import annotations

import gc

import choix  # requirements-dev.txt pins both: a missing one fails the module, it never skips the check
import krippendorff
import numpy as np
import pytest

from rubrics import agreement, bradley_terry


def test_bradley_terry_matches_choix() -> None:
    rng = np.random.default_rng(0)
    strength = np.array([0.0, 0.5, 1.0, -0.7])
    pairs = []
    for _ in range(300):
        i, j = rng.choice(4, 2, replace=False)
        won = rng.random() < 1 / (1 + np.exp(-(strength[i] - strength[j])))
        pairs.append((f"m{i}", f"m{j}", "A" if won else "B"))
    data = bradley_terry.comparisons(pairs)
    ours = bradley_terry.fit(data)
    votes = [
        (int(a), int(b)) if o == 1 else (int(b), int(a))
        for a, b, o in zip(data.first, data.second, data.outcome, strict=True)
    ]
    theirs = choix.opt_pairwise(4, votes, alpha=bradley_terry.PRIOR_PRECISION / 2)
    assert ours == pytest.approx(theirs - theirs.mean(), abs=1e-6)
    assert list(np.argsort(ours)) == list(np.argsort(strength))  # the known order


def test_krippendorff_alpha_matches_the_library() -> None:
    rng = np.random.default_rng(1)
    truth = rng.integers(1, 6, 30).astype(float)
    ratings = np.clip(truth + rng.integers(-1, 2, (3, 30)), 1, 5).astype(float)
    ratings[0, 3] = ratings[2, 10] = np.nan
    ours = agreement.krippendorff_alpha(ratings).value
    theirs = krippendorff.alpha(reliability_data=ratings, level_of_measurement="interval")
    assert ours == pytest.approx(theirs, abs=1e-12) and ours > 0.5


def test_proportion_intervals_are_statsmodels() -> None:
    from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

    from bench.stats import bootstrap

    iv = bootstrap.proportion(7, 40)
    assert (iv.low, iv.high) == pytest.approx(proportion_confint(7, 40, method="wilson"))
    ch = bootstrap.proportion_change(3, 50, 11, 60)
    low, high = confint_proportions_2indep(11, 60, 3, 50, method="newcomb", compare="diff")
    assert (ch.low, ch.high) == pytest.approx((low * 100, high * 100))


def test_holm_matches_statsmodels() -> None:
    from statsmodels.stats.multitest import multipletests

    from bench.stats.multiple_tests import holm

    rng = np.random.default_rng(3)
    gc.freeze()  # statsmodels runs gc.collect() per call: over a worker's whole heap that took minutes
    try:
        for trial in range(400):
            m = int(rng.integers(1, 16))
            p = rng.uniform(0, 0.2, m) if trial % 2 else rng.choice([0.001, 0.01, 0.02, 0.05, 0.5], m)  # ties
            for alpha in (0.05, 0.1):
                expected, *_ = multipletests(list(p), alpha=alpha, method="holm")
                assert holm(list(p), alpha) == [bool(r) for r in expected], (p, alpha)
    finally:
        gc.unfreeze()
    assert holm([], 0.05) == []
