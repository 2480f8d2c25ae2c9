"""A comparison in words: the same rows for the terminal table, Markdown, JSON and the app."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

from bench.compare.rows import Comparison, MetricChange, n_text
from bench.stats import bootstrap
from bench.units import fmt_bytes, fmt_rate, fmt_seconds


def _pct(value: float, kind: str = "ratio") -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:+.1f} pts" if kind == "pp" else f"{value:+.1f}%"


def value_text(value: float, unit: str) -> str:
    """One side's value in its unit (seconds, MB, tok/s, a rate in percent, a score)."""
    if math.isnan(value):
        return "n/a"
    if unit == "s":
        return fmt_seconds(value)
    if unit == "MB":
        return fmt_bytes(value * 1e6)
    if unit == "pp":
        return f"{value * 100:.1f}%"
    return f"{value:.2f}" if unit == "score" else fmt_rate(value, unit)


def table_rows(comparison: Comparison) -> list[dict[str, str]]:
    """The rows as text, the same for the terminal table, Markdown and the app."""
    return [_row_text(r) for r in comparison.rows]


def _row_text(r: MetricChange) -> dict[str, str]:
    return {
        "model": r.model,
        "metric": r.metric,
        "base": value_text(r.base, r.unit),
        "new": value_text(r.new, r.unit),
        "change": _pct(r.pct, r.kind),
        "95% interval": "—" if math.isnan(r.low) else f"{_pct(r.low, r.kind)} to {_pct(r.high, r.kind)}",
        "n": n_text(r),
        "verdict": r.verdict,
    }


def only_lines(comparison: Comparison) -> list[str]:
    """The models present in one run only, one sentence per run."""
    out = []
    if comparison.only_base:
        out.append(
            f"Only in the base run {comparison.base_run}: {', '.join(comparison.only_base)}"
            " (gone from the new run: a gate on any of its metrics fails)"
        )
    if comparison.only_new:
        out.append(f"Only in the new run {comparison.new_run}: {', '.join(comparison.only_new)}")
    return out


def method_note() -> str:
    return (
        "Speed and latency: change = new / base - 1 over measured requests (successful, not warm-up, not cold),"
        f" 95% cluster bootstrap by prompt ({bootstrap.N_BOOT} resamples, seeded, widened for few prompts),"
        " paired by prompt when both runs share their prompts; p95 needs 20 requests. Error rate, truncation"
        " and pass rates: difference in percentage points, Newcombe 95% interval. A verdict needs the whole"
        " interval on one side of zero. Memory and load time are one value per run: no interval, no verdict."
    )


def markdown(comparison: Comparison, failures: Sequence[str] = (), gate_note: str = "") -> str:
    lines = [f"# Run {comparison.new_run} against {comparison.base_run}", "", comparison.machine_line(), ""]
    if comparison.differences:
        lines += [*[f"- {d}" for d in comparison.difference_lines()], ""]
    rows = table_rows(comparison)
    if rows:
        head = list(rows[0])
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r[h].replace("|", "/") for h in head) + " |" for r in rows]
    else:
        lines.append("No model is in both runs.")
    only = only_lines(comparison)
    lines += ["", *[f"- {line}" for line in only]] if only else []
    lines += ["", method_note()]
    if gate_note:
        lines += ["", gate_note]
    if failures:
        lines += ["", "Gate failed:", "", *[f"- {f}" for f in failures]]
    return "\n".join(lines) + "\n"


def to_json(comparison: Comparison, failures: Sequence[str] = (), gate_note: str = "") -> str:
    data = comparison.to_dict()
    data["gate_failures"] = list(failures)
    data["gate"] = gate_note
    data["method"] = method_note()
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
