"""The rows of a run comparison: what was compared, how, and the words of each verdict.

A row is one model's change on one metric. Its ``kind`` says how it was compared: ``ratio`` (a
percent with a cluster-bootstrap interval, paired by prompt when both runs share prompts), ``pp``
(a proportion: difference in percentage points, Newcombe interval) or ``single`` (one value per
run: memory, load time; no interval, never "better" or "worse"). A row without a verdict says why
(too few samples, no value in one run, runs not comparable).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.stats import bootstrap

#: report metric name -> (label, unit, sample column, statistic, higher is better)
METRICS: dict[str, tuple[str, str, str, str, bool]] = {
    "decode_tps": ("Decode tok/s", "tok/s", "decode_tps", "mean", True),
    "ttft": ("TTFT (mean)", "s", "ttft_s", "mean", False),
    "e2e_p50": ("End-to-end p50", "s", "e2e_s", "p50", False),
    "e2e_p95": ("End-to-end p95", "s", "e2e_s", "p95", False),
    "errors": ("Error rate (failed + incomplete)", "pp", "errors", "rate", False),
    "truncated": ("Cut by the token limit", "pp", "truncated", "rate", False),
    "memory": ("Memory (peak minus baseline)", "MB", "memory", "single", False),
    "load_s": ("Load time", "s", "load_seconds", "single", False),
}
QUALITY_PREFIX = "quality:"
BETTER, WORSE, SAME = "better", "worse", "no detectable change"
NO_INTERVAL = "one value each: no interval"
TOO_FEW = bootstrap.TOO_FEW
NO_VALUE_NEW = "no successful request in the new run"
NO_VALUE_BASE = "no value in the base run"
NOT_COMPARABLE = "no verdict: the runs differ"
#: verdicts that mean a metric could not be measured in the new run at all (they fail a gate on it)
MISSING_IN_NEW = (NO_VALUE_NEW,)


@dataclass
class MetricChange:
    """One model's change on one metric (``pct`` in percent, or in points when ``kind == "pp"``)."""

    model: str
    metric: str
    label: str
    unit: str
    base: float
    new: float
    pct: float
    low: float
    high: float
    n_base: int
    n_new: int
    verdict: str
    higher_is_better: bool
    kind: str = "ratio"
    prompts: int = 0
    paired: bool = False
    change: bootstrap.Change | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        out = {k: _clean(v) for k, v in asdict(self).items() if k != "change"}
        out["n"] = n_text(self)
        return out


@dataclass
class Comparison:
    """Every model in both runs x every metric, the models present in one run only, and comparability."""

    base_run: str
    new_run: str
    rows: list[MetricChange] = field(default_factory=list)
    only_base: list[str] = field(default_factory=list)
    only_new: list[str] = field(default_factory=list)
    #: where each run ran (``bench.measure.machine.label``), so a cross-machine comparison says so
    base_machine: str = ""
    new_machine: str = ""
    #: how the runs' settings differ (``bench.stats.comparability``), one sentence each
    differences: list[str] = field(default_factory=list)
    accepted: bool = False  # the person accepted the differences: verdicts are given anyway

    @property
    def machines_differ(self) -> bool:
        return bool(self.base_machine and self.new_machine and self.base_machine != self.new_machine)

    @property
    def comparable(self) -> bool:
        return not self.differences or self.accepted

    def machine_line(self) -> str:
        """One sentence on where the two runs ran."""
        if self.machines_differ:
            return (
                f"Different machines: base on {self.base_machine}, new on {self.new_machine}: a change mixes"
                " the machines' difference with the software's."
            )
        return f"Both runs on {self.base_machine or 'an unknown machine'}."

    def difference_lines(self) -> list[str]:
        """What differs between the runs, and whether verdicts were given anyway."""
        if not self.differences:
            return []
        head = (
            "The runs differ; compared anyway because the differences were accepted (--accept-differences):"
            if self.accepted
            else "The runs differ, so no change gets a verdict (accept the differences to compare anyway):"
        )
        return [head, *self.differences]

    def to_dict(self) -> dict[str, Any]:
        return {
            "base_run": self.base_run,
            "new_run": self.new_run,
            "base_machine": self.base_machine,
            "new_machine": self.new_machine,
            "only_in_base": self.only_base,
            "only_in_new": self.only_new,
            "differences": self.differences,
            "differences_accepted": self.accepted,
            "changes": [r.to_dict() for r in self.rows],
        }


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else float(f"{value:.4g}")
    return value


def n_text(row: MetricChange) -> str:
    """``5 prompts × 20 rounds, paired`` or ``n=12 → 20``: the sample behind a row."""
    if row.kind == "single":
        return "one value each"
    if row.prompts > 1:
        words = bootstrap.n_words(row.n_new, row.prompts)
        return f"{words}, paired by prompt" if row.paired else f"{words} (new)"
    return f"n={row.n_base} → {row.n_new}"


def verdict(change: bootstrap.Change, higher_is_better: bool) -> str:
    """better / worse only when the whole interval is on one side of zero; single values get none."""
    if change.kind == "single" or math.isnan(change.low):
        return NO_INTERVAL
    if change.low > 0:
        return BETTER if higher_is_better else WORSE
    if change.high < 0:
        return WORSE if higher_is_better else BETTER
    return SAME


def from_change(model: str, metric: str, ch: bootstrap.Change, spec: tuple) -> MetricChange:
    label, unit, _, _, higher = spec
    return MetricChange(
        model, metric, label, unit, ch.base, ch.new, ch.pct, ch.low, ch.high, ch.n_base, ch.n_new,
        verdict(ch, higher), higher, ch.kind, ch.prompts, ch.paired, ch,
    )  # fmt: skip


def without(
    model: str, metric: str, spec: tuple, why: str, base: float, new: float, ns: tuple[int, int]
) -> MetricChange:
    """A row that has no change to show, and says why."""
    label, unit, _, _, higher = spec
    nan = math.nan
    return MetricChange(model, metric, label, unit, base, new, nan, nan, nan, ns[0], ns[1], why, higher)
