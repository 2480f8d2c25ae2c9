"""The CI gate of a comparison (``--fail-on e2e_p95:10``), family-wise over its gated rows.

A rule ``METRIC:THRESHOLD`` fails when the metric got worse by more than THRESHOLD (percent; points
for rates: ``errors``, ``truncated``, a pass-rate quality source) with confidence. With several gated
rows (models x metrics) each row's one-sided p-value of "not worse by more than the threshold"
(:func:`bench.stats.bootstrap.p_beyond`) goes through **Holm–Bonferroni** at a family-wise 2.5%
(the one-sided side of a 95% interval): with one row it is exactly "the whole 95% interval lies
beyond the threshold", with fifteen it no longer fails a third of same-setup comparisons.

What cannot be measured fails instead of passing silently: a model gone from the new run, or with
no successful request in it, fails every rule that names one of its metrics; runs that differ in
their settings (not accepted) fail every rule, since no verdict exists. Single values (memory) fail
when the value grew beyond the threshold; load time, one noisy measurement, is never gated;
"too few samples" is not checked and said so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.compare.rows import METRICS, MISSING_IN_NEW, QUALITY_PREFIX, Comparison, MetricChange
from bench.errors import BenchError
from bench.stats import bootstrap, multiple_tests

#: family-wise one-sided error rate of one gate (the one-sided tail of a 95% interval)
ALPHA = 0.025
RATE_METRICS = ("errors", "truncated")


@dataclass
class GateResult:
    """The failures (one line each), what could not be checked, and how the rows were corrected."""

    failures: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)
    gated_rows: int = 0

    def note(self) -> str:
        if not self.gated_rows:
            return ""
        return (
            f"Gate: {self.gated_rows} gated row{'s' if self.gated_rows != 1 else ''}, Holm–Bonferroni at a"
            f" family-wise {ALPHA:.1%} (one-sided): a row fails only when it is worse beyond its threshold"
            " after the correction."
        )


def parse_fail_on(texts: Sequence[str]) -> dict[str, float]:
    """``decode_tps:5`` -> {"decode_tps": 5.0}; an unknown metric or a bad threshold names the fix."""
    known = [*METRICS, "quality:SOURCE"]
    out: dict[str, float] = {}
    for text in texts:
        metric, sep, raw = text.rpartition(":")
        if not sep or not metric:
            raise BenchError(f"--fail-on {text}", "expected METRIC:PERCENT", "e.g. --fail-on e2e_p95:10")
        if metric not in METRICS and not metric.startswith(QUALITY_PREFIX):
            raise BenchError(
                f"--fail-on {text}", f"unknown metric {metric!r}", f"use one of: {', '.join(known)}"
            )
        try:
            percent = float(raw.rstrip("%"))
        except ValueError:
            raise BenchError(
                f"--fail-on {text}", f"{raw!r} is not a percent", "e.g. --fail-on e2e_p95:10"
            ) from None
        if percent < 0:
            raise BenchError(
                f"--fail-on {text}", "the percent must be 0 or more", "e.g. --fail-on e2e_p95:10"
            )
        out[metric] = percent
    return out


def _unit(row: MetricChange) -> str:
    return " points" if row.kind == "pp" else "%"


def _line(row: MetricChange, threshold: float) -> str:
    unit = _unit(row)
    return (
        f"{row.model}: {row.metric} {row.pct:+.1f}{unit} (95% interval {row.low:+.1f}{unit} to"
        f" {row.high:+.1f}{unit}, {row.n_base} → {row.n_new}) is worse by more than {threshold:g}{unit}"
    )


def _single_fails(row: MetricChange, threshold: float) -> bool:
    grew = row.pct if not row.higher_is_better else -row.pct
    return row.metric == "memory" and grew > threshold


def gate_report(comparison: Comparison, fail_on: dict[str, float]) -> GateResult:
    """Apply the ``--fail-on`` rules to every row; Holm–Bonferroni across the rows with an interval."""
    result = GateResult()
    if not fail_on:
        return result
    if not comparison.comparable:
        why = "; ".join(comparison.differences)
        result.failures.append(
            f"the runs are not comparable ({why}): no verdict, so no gate; pass --accept-differences"
            " to compare them anyway"
        )
        return result
    for model in comparison.only_base:
        for metric in fail_on:
            result.failures.append(f"{model}: {metric} cannot be checked: the model is not in the new run")
    tested: list[tuple[MetricChange, float, float]] = []
    for row in comparison.rows:
        if row.metric not in fail_on:
            continue
        threshold = fail_on[row.metric]
        if row.verdict in MISSING_IN_NEW:
            result.failures.append(f"{row.model}: {row.metric} cannot be checked: {row.verdict}")
        elif row.kind == "single":
            if _single_fails(row, threshold):
                result.failures.append(
                    f"{row.model}: {row.metric} {row.pct:+.1f}% (one value each, no interval) is more than"
                    f" {threshold:g}% worse"
                )
        elif row.change is None:
            result.not_checked.append(f"{row.model}: {row.metric}: {row.verdict}, not checked")
        else:
            p = bootstrap.p_beyond(row.change, threshold, not row.higher_is_better)
            tested.append((row, threshold, p))
    result.gated_rows = len(tested)
    rejected = multiple_tests.holm([p for *_, p in tested], ALPHA)
    result.failures += [_line(row, thr) for (row, thr, _), bad in zip(tested, rejected, strict=True) if bad]
    return result


def gate(comparison: Comparison, fail_on: dict[str, float]) -> list[str]:
    """The failures (one line each) of the ``--fail-on`` rules; empty = the gate passes."""
    return gate_report(comparison, fail_on).failures
