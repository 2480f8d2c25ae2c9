"""Bradley–Terry against simulations with a known truth (seeded): recovery, coverage, active pairing.

Votes are drawn from the Bradley–Terry model itself with fixed true strengths, so the right answer
is known exactly: the fit must recover the order, the bootstrap intervals must cover the true
strengths in most trials, and least-certain-first pairing must reach the rank accuracy of uniform
pairing with fewer votes, averaged over many simulated annotation sessions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rubrics import bradley_terry as bt

TRUE = np.array([1.2, 0.8, 0.5, 0.2, -0.3, -0.6])  # θ of m0..m5: m0 best
NAMES = [f"m{i}" for i in range(len(TRUE))]


def _vote(rng: np.random.Generator, i: int, j: int, truth: np.ndarray = TRUE, tie_rate: float = 0.0) -> str:
    if rng.random() < tie_rate:
        return "tie"
    p = 1.0 / (1.0 + math.exp(-(truth[i] - truth[j])))
    return "A" if rng.random() < p else "B"


def _uniform_votes(rng: np.random.Generator, n: int, truth: np.ndarray = TRUE, tie_rate: float = 0.0) -> list:
    votes = []
    for _ in range(n):
        i, j = sorted(rng.choice(len(truth), 2, replace=False))
        votes.append((NAMES[i], NAMES[j], _vote(rng, i, j, truth, tie_rate)))
    return votes


def _pair_accuracy(theta: np.ndarray) -> float:
    """Share of model pairs the fit orders as the truth does."""
    pairs = [(i, j) for i in range(len(TRUE)) for j in range(i + 1, len(TRUE))]
    return float(np.mean([(theta[i] > theta[j]) == (TRUE[i] > TRUE[j]) for i, j in pairs]))


def test_fit_recovers_a_known_ranking():
    votes = _uniform_votes(np.random.default_rng(1), 3000)
    theta = bt.fit(bt.comparisons(votes))
    assert list(np.argsort(-theta)) == list(range(len(TRUE)))
    assert np.allclose(theta, TRUE - TRUE.mean(), atol=0.15)
    table = bt.ratings_table(votes, resamples=200)
    assert list(table["model"]) == NAMES and list(table["rank"]) == [1, 2, 3, 4, 5, 6]
    assert table["votes"].sum() == 2 * 3000
    assert ((table["low"] <= table["rating"]) & (table["rating"] <= table["high"])).all()


def test_ties_count_as_half_a_win():
    # a beat b twice and tied twice: 3 of 4 points, the same θ as 3 wins and 1 loss
    ties = bt.fit(
        bt.comparisons([("a", "b", "A"), ("a", "b", "A"), ("a", "b", "tie"), ("a", "b", "tie")]), prior=0
    )
    wins = bt.fit(bt.comparisons([("a", "b", "A")] * 3 + [("a", "b", "B")]), prior=0)
    assert np.allclose(ties, wins)
    assert math.isclose(ties[0] - ties[1], math.log(3.0), rel_tol=1e-6)  # 3:1 odds


def test_a_model_that_won_every_vote_gets_a_finite_rating_and_skips_are_ignored():
    table = bt.ratings_table([("a", "b", "A"), ("a", "b", "A"), ("a", "b", "skip"), ("a", "b", None)])
    assert list(table["model"]) == ["a", "b"]
    assert np.isfinite(table["rating"]).all() and table.loc[0, "wins"] == 2 and table.loc[0, "votes"] == 2
    assert bt.ratings_table([]).empty


@pytest.mark.parametrize("tie_rate", [0.0, 0.2])
def test_intervals_cover_the_truth_in_most_trials(tie_rate: float):
    truth = np.array([0.8, 0.3, 0.0, -0.6])
    covered = []
    for trial in range(30):
        votes = [(a.replace("m", "t"), b.replace("m", "t"), v) for a, b, v in
                 _uniform_votes(np.random.default_rng(100 + trial), 400, truth, tie_rate)]  # fmt: skip
        data = bt.comparisons(votes)
        draws = bt.bootstrap(data, resamples=300, seed=trial)
        low, high = np.percentile(draws, [2.5, 97.5], axis=0)
        centred = truth - truth.mean()
        if tie_rate:  # with ties as half wins the implied θ shrinks; compare orders' signs instead
            covered += list(np.sign(draws.mean(axis=0)) == np.sign(centred))
        else:
            covered += list((low <= centred) & (centred <= high))
    assert np.mean(covered) >= 0.85


def _session(strategy: str, budget: int, seed: int, checkpoints: set[int]) -> dict[int, float]:
    rng = np.random.default_rng(seed)
    votes: list[tuple[str, str, str]] = []
    accuracy = {}
    for n in range(1, budget + 1):
        if strategy == "uniform" or n <= len(TRUE):  # a first round of random pairs either way
            i, j = sorted(rng.choice(len(TRUE), 2, replace=False))
        else:
            i, j = bt.least_certain_pair(bt.comparisons(votes, NAMES))
        votes.append((NAMES[i], NAMES[j], _vote(rng, int(i), int(j))))
        if n in checkpoints:
            accuracy[n] = _pair_accuracy(bt.fit(bt.comparisons(votes, NAMES)))
    return accuracy


def test_active_pairing_needs_fewer_votes_than_uniform():
    sessions = range(60)
    uniform = [_session("uniform", 200, seed, {200}) for seed in sessions]
    active = [_session("active", 150, 10_000 + seed, {150}) for seed in sessions]
    uniform_200 = np.mean([s[200] for s in uniform])
    active_150 = np.mean([s[150] for s in active])
    assert active_150 >= uniform_200  # 150 active votes order the models at least as well as 200 uniform


def test_least_certain_pair_prefers_an_unsettled_close_pair():
    # a >> b settled by many votes; b vs c close and barely asked
    votes = [("a", "b", "A")] * 30 + [("a", "c", "A")] * 30 + [("b", "c", "A"), ("b", "c", "B")]
    data = bt.comparisons(votes)
    assert tuple(data.models[i] for i in bt.least_certain_pair(data)) == ("b", "c")
    allowed = {(0, 1), (0, 2)}
    assert bt.least_certain_pair(data, allowed) in allowed


def test_a_few_unanimous_votes_do_not_give_a_zero_width_interval():
    table = bt.ratings_table([("a", "b", "A"), ("a", "b", "A")], resamples=100)
    widths = table["high"] - table["low"]
    assert (widths > 100).all()  # Elo points: two votes leave the order far from settled
    assert (table["low"] < table["rating"]).all() and (table["rating"] < table["high"]).all()
