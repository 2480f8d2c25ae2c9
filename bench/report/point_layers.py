"""Charts of thousands of requests: a readable sample of points, the box from every request.

Why: a chart with one mark per request sends every row to the browser; at 10,000 requests the
Results page took seconds per chart (and Altair refuses more than 5,000 rows), while 10,000
overlapping circles show nothing 2,000 would not. So point layers draw a seeded random subset per
series (every cold request kept: seeing the cold start is their point), and the box of a box plot
is computed here from *all* warm requests, so the statistics drawn never depend on the subset.
The caption says how many were drawn (:func:`thinning_note`). No chart library here: the app's Altair
charts and the report's own SVG (:mod:`bench.report.svg_charts`) both thin with it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

#: at most this many points per chart: ~1,000 marks in a strip plot stay readable (and quick to draw)
POINT_LIMIT = 1000
SEED = 0


def thin(data: pd.DataFrame, limit: int = POINT_LIMIT, seed: int = SEED) -> pd.DataFrame:
    """At most ``limit`` rows: each series keeps its share (at least one row), cold rows always stay."""
    if len(data) <= limit:
        return data
    cold = data["phase"] == "cold" if "phase" in data else pd.Series(False, index=data.index)
    rest = data[~cold]
    room = max(limit - int(cold.sum()), 1)
    parts = [data[cold]]
    for _, group in rest.groupby("series", sort=False):
        share = max(1, math.floor(room * len(group) / len(rest)))
        parts.append(group.sample(n=min(share, len(group)), random_state=seed))
    return pd.concat(parts).sort_index()


def thinning_note(total: int, limit: int = POINT_LIMIT) -> str:
    """The caption's words when a chart drew a subset ("" when it drew every request)."""
    if total <= limit:
        return ""
    return (
        f" About {limit:,} of {total:,} requests are drawn as points (a seeded random subset per model, every "
        "cold request kept); boxes and statistics use all of them."
    )


def box_stats(data: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per series: quartiles, median and Tukey whiskers (1.5 IQR) of the warm requests' ``metric``."""
    rows = []
    warm = data[data["phase"] == "warm"]
    for series, group in warm.groupby("series", sort=False):
        values = group[metric].dropna().to_numpy(dtype=float)
        if values.size == 0:
            continue
        q1, median, q3 = np.percentile(values, [25, 50, 75])
        iqr = q3 - q1
        inside = values[(values >= q1 - 1.5 * iqr) & (values <= q3 + 1.5 * iqr)]
        rows.append(
            {
                "series": series,
                "q1": q1,
                "median": median,
                "q3": q3,
                "low": float(inside.min()) if inside.size else q1,
                "high": float(inside.max()) if inside.size else q3,
                "n": int(values.size),
            }
        )
    return pd.DataFrame(rows, columns=["series", "q1", "median", "q3", "low", "high", "n"])
