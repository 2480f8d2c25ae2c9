"""bench.stats.nan_quantile.nan_percentile is numpy.nanpercentile(axis=-1) to the bit, so the bootstrap's
intervals (and every report and Decide figure built on them) did not move when it replaced numpy's slow path."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from bench.stats.nan_quantile import nan_percentile


@pytest.mark.parametrize("q", [0, 1, 50, 95, 99, 100])
def test_equal_to_numpy_on_nan_padded_rows(q: float):
    rng = np.random.default_rng(int(q))
    for trial in range(120):
        rows, cols = int(rng.integers(1, 40)), int(rng.integers(1, 200))
        a = rng.lognormal(size=(rows, cols)) * rng.choice([1e-3, 1.0, 1e3])
        a[rng.random((rows, cols)) < rng.random() * 0.7] = np.nan  # some rows all NaN
        if trial % 5 == 0:
            a = np.round(a, 1)  # ties
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # numpy warns on an all-NaN row
            want = np.nanpercentile(a, q, axis=-1)
        assert np.array_equal(nan_percentile(a, q), want, equal_nan=True), (trial, q)


def test_a_one_dimensional_array_and_another_axis():
    values = np.array([3.0, np.nan, 1.0, 2.0])
    assert nan_percentile(values, 50) == np.nanpercentile(values, 50)
    with pytest.raises(ValueError):
        nan_percentile(np.ones((2, 3)), 50, axis=0)
