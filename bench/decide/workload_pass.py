"""Per-workload pass rates as Decide sees them: the 0/1 verdict of every checked answer, with its prompt.

A team choosing a default for a function-calling feature cares about the tool-call prompts, not the
average over everything, so Decide limits and weighs the pass rate of one workload
(:data:`bench.inputs.workloads.WORKLOADS`) on its own: ``pass:tool-calls=80%`` as a hard limit and
``pass:tool-calls`` as a criterion. The rate is the one :func:`bench.stats.workload_stats.pass_rates`
reports, from the same :func:`bench.stats.workload_stats.checked_answers` (answers whose every check
passed, over the answers that were checked; warm-up left out), but kept per answer with its prompt so
the ranking can redraw prompts like every other criterion. Refused
requests (never sent: the model cannot take them) are counted apart, so "not supported" is told from
"did not run" and from "not checked" instead of reading as a 0% pass rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bench.errors import BenchError
from bench.inputs.workloads import WORKLOADS
from bench.stats.workload_stats import checked_answers

PREFIX = "pass:"


@dataclass(frozen=True)
class WorkloadScore:
    """One (run, model)'s answers to one workload's prompts."""

    passed: np.ndarray = field(
        default_factory=lambda: np.empty(0)
    )  # 1 = every check passed, per checked answer
    prompts: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))  # the prompt of each
    refused: int = 0  # requests never sent: the model could not take them
    requests: int = 0  # counted requests of the workload (not warm-up, not cancelled)


def criterion(workload: str) -> str:
    """``tool-calls`` -> ``pass:tool-calls``: the name of its criterion and of its raw-table column."""
    return f"{PREFIX}{workload}"


def workload_of(name: str) -> str | None:
    """``pass:tool-calls`` -> ``tool-calls``; None for any other criterion."""
    return name[len(PREFIX) :] if name.startswith(PREFIX) else None


def _unknown_parts(workload: str) -> tuple[str, str] | None:
    """(what is wrong, the fix) for a workload name that is not one of :data:`WORKLOADS`, else None."""
    if workload in WORKLOADS:
        return None
    return f"unknown workload {workload!r}", f"use one of {', '.join(WORKLOADS)} (e.g. pass:tool-calls)"


def unknown(workload: str) -> str | None:
    """What is wrong with a workload name, in one line (None when it is one of :data:`WORKLOADS`)."""
    parts = _unknown_parts(workload)
    return None if parts is None else ": ".join(parts)


def require_known(workload: str, where: str) -> None:
    """Refuse a workload name that is not one of :data:`WORKLOADS` (``where``: the flag as written)."""
    if (parts := _unknown_parts(workload)) is not None:
        raise BenchError(where, *parts)


def present(samples: pd.DataFrame) -> list[str]:
    """The workloads these samples ran, in :data:`WORKLOADS` order (what the Decide page offers)."""
    if samples.empty or "workload" not in samples:
        return []
    found = set(samples["workload"])
    return [w for w in WORKLOADS if w in found]


def scores(samples: pd.DataFrame, checks: pd.DataFrame) -> dict[tuple[str, str], dict[str, WorkloadScore]]:
    """(run_id, model) -> workload -> its :class:`WorkloadScore`, from annotated samples and check verdicts."""
    if samples.empty or "workload" not in samples:
        return {}
    joined = checked_answers(samples, checks)
    joined = joined[joined["outcome"] != "cancelled"]
    out: dict[tuple[str, str], dict[str, WorkloadScore]] = {}
    for (run_id, model, workload), group in joined.groupby(["run_id", "model", "workload"], sort=False):
        scored = group.dropna(subset=["all_passed"])
        out.setdefault((str(run_id), str(model)), {})[str(workload)] = WorkloadScore(
            passed=scored["all_passed"].astype(float).to_numpy(),
            prompts=scored["prompt_id"].astype(str).to_numpy(),
            refused=int((group["outcome"] == "refused").sum()),
            requests=len(group),
        )
    return out


def why_unscored(workload: str, score: WorkloadScore | None) -> str:
    """Why a model has no pass rate on ``workload``, in words: not run, not supported, or not checked."""
    if score is None or score.requests == 0:
        return f"did not run the {workload} prompts"
    if score.refused == score.requests:
        return f"{workload} not supported ({score.refused} of {score.requests} requests refused)"
    return f"no checked {workload} answers ({score.requests} requests, none checked: run the checks)"


def limit_text(workload: str, percent: float) -> str:
    """The ``--limit`` a minimum pass rate is written as (the Decide page's inputs become these lines)."""
    return f"{criterion(workload)}={percent:g}%"
