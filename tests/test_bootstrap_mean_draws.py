"""The cluster bootstrap's fast mean (prompt sums / prompt counts) equals the mean over the gathered values.

Seeded random prompt sets with unequal rounds per prompt (the NaN-padded case): the fast path must give
the same resampled means as the general path it replaces, to floating-point rounding.
"""

from __future__ import annotations

import numpy as np

from bench.stats import bootstrap


def test_fast_mean_draws_equal_the_gathered_mean() -> None:
    rng = np.random.default_rng(3)
    for trial in range(50):
        k = int(rng.integers(2, 30))
        rounds = rng.integers(1, 40, size=k)
        values = np.concatenate([rng.lognormal(0, 0.5, r) + i for i, r in enumerate(rounds)])
        groups = np.repeat(np.arange(k), rounds)
        clusters = bootstrap.clusters(values, groups)
        picks = bootstrap._picks(clusters.k, 500, np.random.default_rng(trial))
        gathered = clusters.matrix[picks].reshape(500, -1)
        general = np.nanmean(gathered, axis=-1)
        assert np.allclose(
            bootstrap._stat_draws(clusters, bootstrap.STATS["mean"], picks), general, rtol=1e-12
        )


def test_an_interval_of_the_mean_is_unchanged_by_the_fast_path() -> None:
    """The interval from the public function against one computed from the general path by hand."""
    rng = np.random.default_rng(7)
    values = rng.normal(1.0, 0.1, 120)
    groups = [f"p{i % 6}" for i in range(120)]
    got = bootstrap.interval(values, "mean", n_boot=800, seed=4, groups=groups)
    c = bootstrap.clusters(values, groups)
    picks = bootstrap._picks(c.k, 800, np.random.default_rng(4))
    boot = np.nanmean(c.matrix[picks].reshape(800, -1), axis=-1)
    assert got is not None
    widened = got.estimate + (boot - got.estimate) * bootstrap.expansion(c.k)
    low, high = np.percentile(widened, [2.5, 97.5])
    assert np.isclose(got.low, low, rtol=1e-12) and np.isclose(got.high, high, rtol=1e-12)
