"""Holm-Bonferroni: which of several tested changes a gate may call real at one family-wise level.

A gate tests many rows at once (latency, TTFT, tokens/s, errors per model); at 5% each, one in three
same-setup 15-row gates would fail by chance. Holm's step-down keeps the chance that *any* row is
called changed when none is at the level, and rejects at least what Bonferroni would.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def holm(p_values: Sequence[float], alpha: float) -> list[bool]:
    """Which hypotheses Holm–Bonferroni rejects at family-wise level ``alpha``.

    Step-down: the k-th smallest p-value (from 0) is rejected while it is at most alpha / (m - k),
    and nothing after the first that is not. Written out (it matches statsmodels' ``multipletests``
    method "holm", tests/test_reference_libraries.py) because statsmodels runs a full garbage
    collection on every call, which late in a long-lived process (the app, a test worker) cost seconds.
    """
    p = np.asarray(p_values, dtype=float)
    reject = np.zeros(len(p), dtype=bool)
    order = np.argsort(p, kind="stable")
    for k, index in enumerate(order):
        if not p[index] <= alpha / (len(p) - k):  # NaN is never below: stops like a large p
            break
        reject[index] = True
    return [bool(r) for r in reject]
