"""bench.stats.bootstrap.proportion's Wilson interval, written out, equals statsmodels' (which the report
path no longer imports: it cost over a second per report)."""

from __future__ import annotations

import pytest
from statsmodels.stats.proportion import proportion_confint

from bench.stats.bootstrap import proportion


@pytest.mark.parametrize("n", [1, 2, 5, 20, 137, 2500, 10_000])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_the_wilson_interval_is_statsmodels(n: int, level: float):
    for count in sorted({0, 1, n // 3, n // 2, n - 1, n}):
        low, high = proportion_confint(count, n, alpha=1 - level, method="wilson")
        got = proportion(count, n, level)
        assert got is not None and got.estimate == count / n and got.n == n
        assert got.low == pytest.approx(max(0.0, low), abs=1e-12)
        assert got.high == pytest.approx(min(1.0, high), abs=1e-12)


def test_no_units_no_interval():
    assert proportion(0, 0) is None
