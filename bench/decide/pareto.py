"""The Pareto front of a decision table: the candidates no other candidate beats on both axes.

Kept apart from :mod:`bench.decide.recommend` (the weighted ranking): the front needs no weights, only two
columns, and Decide's chart and reports draw it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Front:
    """The Pareto front of ``x`` (lower is better) against ``y`` (higher is better)."""

    points: pd.DataFrame  # the non-dominated candidates, sorted by x
    x: str
    y: str
    note: str = ""


def pareto_front(table: pd.DataFrame, x: str = "latency", y: str = "quality") -> Front:
    """Candidates no other candidate beats on both ``x`` (lower is better) and ``y`` (higher).

    Without any ``quality`` value the front is drawn against decode tok/s instead, and ``note``
    says so. Candidates lacking x or y cannot be placed and are left out (also in ``note``).
    """
    cand = table[table["candidate"].astype(bool)] if "candidate" in table else table
    notes = []
    if y == "quality" and (cand.empty or cand["quality"].isna().all()):
        y = "throughput"
        notes.append("No quality scores: the front is latency against decode tok/s.")
    placed = cand[cand[x].notna() & cand[y].notna()]
    left_out = sorted(set(cand["model"]) - set(placed["model"]))
    if left_out:
        notes.append(f"Not placed (no {x} or {y}): {', '.join(left_out)}.")
    xs, ys = placed[x].to_numpy(dtype=float), placed[y].to_numpy(dtype=float)
    keep = []
    for i in range(len(placed)):
        dominated = ((xs <= xs[i]) & (ys >= ys[i]) & ((xs < xs[i]) | (ys > ys[i]))).any()
        keep.append(not dominated)
    points = placed[np.array(keep, dtype=bool)] if len(placed) else placed
    points = points.sort_values([x, y], ascending=[True, False], kind="stable")
    return Front(points=points, x=x, y=y, note=" ".join(notes))
