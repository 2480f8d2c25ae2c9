"""``numpy.nanpercentile(a, q, axis=-1)`` (its default 'linear' method) in one vectorised pass.

The cluster bootstrap pads prompts with fewer rounds with NaN, and numpy's nan-aware percentile then
runs a Python-level loop over every resample row (``apply_along_axis``): 2,000 rows of 2,500 values
took about three times as long as this. Each row is sorted (NaN sorts last) and read at numpy's own
virtual index ``(n - 1) * q`` with numpy's own interpolation, so the figures are numpy's to the bit.
"""

from __future__ import annotations

import numpy as np


def nan_percentile(a: np.ndarray, q: float, axis: int = -1) -> np.ndarray:
    """The ``q``-th percentile of each row of ``a`` ignoring NaN; NaN for a row with no value."""
    if axis not in (-1, a.ndim - 1):
        raise ValueError("nan_percentile works along the last axis")
    if a.ndim == 1:
        return nan_percentile(a[None, :], q)[0]
    ordered = np.sort(a, axis=-1)
    n = (~np.isnan(a)).sum(axis=-1)
    share = np.true_divide(q, 100)
    virtual = (n - 1) * share  # numpy's 'linear' virtual index
    below = np.floor(virtual)
    gamma = virtual - below
    last = n - 1
    low = np.where(virtual >= last, last, np.where(virtual < 0, 0, below))
    high = np.where(virtual >= last, last, np.where(virtual < 0, 0, below + 1))
    low = np.clip(low, 0, None).astype(np.intp)[..., None]
    high = np.clip(high, 0, None).astype(np.intp)[..., None]
    left = np.take_along_axis(ordered, low, -1)[..., 0]
    right = np.take_along_axis(ordered, high, -1)[..., 0]
    diff = right - left
    out = left + diff * gamma  # numpy's _lerp: from the nearer end
    np.subtract(right, diff * (1 - gamma), out=out, where=gamma >= 0.5)
    out[n == 0] = np.nan
    return out
