"""The numpy Theil-Sen (bench.stats.theil_sen) gives scipy's figures exactly, so drift's verdicts and
the reports' bytes did not change when the report path stopped importing scipy.stats (over 1 s)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from bench.stats.theil_sen import theil_sen


@pytest.mark.parametrize("n", [2, 3, 10, 11, 64, 501])
@pytest.mark.parametrize("ties", [False, True])
def test_the_same_slope_and_interval_as_scipy(n: int, ties: bool):
    rng = np.random.default_rng(n)
    y = rng.normal(size=n) + 0.002 * np.arange(n)
    if ties:
        y = np.round(y, 1)  # many equal values: Sen's variance counts them
    want = stats.theilslopes(y, np.arange(n), alpha=0.95)
    assert theil_sen(y) == (want.slope, want.low_slope, want.high_slope)


def test_a_known_trend_is_found_and_a_flat_series_is_not():
    rng = np.random.default_rng(7)
    steps = np.arange(400)
    _slope, low, high = theil_sen(0.01 * steps + rng.normal(0, 0.1, steps.size))
    assert low <= 0.01 <= high and low > 0
    _slope, low, high = theil_sen(rng.normal(0, 0.1, steps.size))
    assert low <= 0 <= high


def test_one_point_has_no_slope():
    with pytest.raises(ValueError):
        theil_sen(np.array([1.0]))
