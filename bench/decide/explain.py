"""Decide's words: the reasons, trade-offs and limit lines of a recommendation, and its table.

Kept apart from :mod:`bench.decide.recommend` (the numbers) so each stays short; nothing here computes a
ranking, it only says what one means, with the count behind every number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from bench.decide.ranking import LOWER_IS_BETTER
from bench.decide.workload_pass import workload_of
from bench.measure.energy import NO_SENSOR
from bench.units import fmt_bytes, fmt_seconds, is_missing

#: a criterion in a sentence
NAMES = {
    "quality": "quality", "latency": "latency", "throughput": "decode speed", "memory": "memory",
    "size": "size on disk", "energy": "energy per output token", "cost": "cost estimate",
    "reliability": "share of requests that succeeded",
}  # fmt: skip


def name(c: str) -> str:
    """A criterion in a sentence: :data:`NAMES`, or ``tool-calls pass rate`` for ``pass:tool-calls``."""
    workload = workload_of(c)
    return f"{workload} pass rate" if workload is not None else NAMES[c]


def _joules(value: Any) -> str:
    return f"{value:.3g} J/token"


def _cost(value: Any) -> str:
    return f"{value:.3g} per 1k output tokens (estimate)"


def unmeasured(weights: dict[str, float], available: Sequence[str]) -> list[str]:
    """Caveats for weighted criteria no candidate has: left out of the score, and why."""
    why = {"energy": NO_SENSOR, "cost": "no price set (SLM_BENCH_PRICE_PER_HOUR or SLM_BENCH_PRICE_PER_KWH)"}
    why |= {c: "no candidate has a checked answer of that workload" for c in weights if workload_of(c)}
    return [
        f"{name(c)} not measured ({why.get(c, 'no candidate has a value')}): left out of the score"
        for c, w in weights.items()
        if w > 0 and c not in available and c != "quality"  # quality has its own caveat, in words
    ]


def _n(value: Any) -> int:
    return 0 if is_missing(value) else int(value)


def _n_words(row: pd.Series) -> str:
    """``5 prompts × 20 rounds`` when the prompts behind a latency are known (their unit), else ``n=100``."""
    words = row.get("latency_n_words")
    known = isinstance(words, str) and "prompts" in words and row.get("latency_stat") != "ttft"
    return str(words) if known else f"n={_n(row.get('latency_n'))}"


def reason(c: str, row: pd.Series, best: bool, stat_words: str) -> str | None:
    """One plain-words reason: ``fastest p95 among the candidates (1.2 s, n=10)`` or ``p95 latency 1.2 s (n=10)``."""
    value = row.get(c)
    if is_missing(value):
        return None
    if c == "latency":
        n = _n_words(row)
        if best:
            return f"fastest {stat_words} among the candidates ({fmt_seconds(value)}, {n})"
        return f"{stat_words} latency {fmt_seconds(value)} ({n})"
    if c == "quality":
        text = f"quality {value:.1f} by {row['scored_by']} (n={_n(row['quality_n'])})"
        return text + (", the highest among the candidates" if best else "")
    if c == "throughput":
        if best:
            return f"fastest decoding among the candidates ({value:.1f} tok/s, n={_n(row['throughput_n'])})"
        return f"decodes {value:.1f} tok/s (n={_n(row['throughput_n'])})"
    if c == "memory":
        what = "memory added" if str(row.get("memory_basis", "")).startswith("added") else "peak memory"
        return (
            f"smallest {what} among the candidates ({fmt_bytes(value)})"
            if best
            else f"{what} {fmt_bytes(value)}"
        )
    if c == "size":
        return (
            f"smallest on disk among the candidates ({fmt_bytes(value)})"
            if best
            else f"{fmt_bytes(value)} on disk"
        )
    if c == "energy":
        n = f"n={_n(row.get('energy_n'))}, {row.get('energy_source') or '?'}"
        return f"{'least energy among the candidates: ' if best else ''}{_joules(value)} ({n})"
    if c == "cost":
        return f"{'cheapest among the candidates: ' if best else ''}{_cost(value)}"
    if c == "reliability":
        what = f"{value:.0%} of its requests succeeded (n={_n(row.get('reliability_n'))})"
        return f"{'most reliable among the candidates: ' if best else ''}{what}"
    if (workload := workload_of(c)) is not None:
        what = f"passed every check on {value:.0%} of its {workload} answers (n={_n(row.get(f'{c}_n'))})"
        return f"{f'best {workload} pass rate among the candidates: ' if best else ''}{what}"
    return None


def standing(c: str, top: pd.Series, cands: pd.DataFrame) -> tuple[str, list[pd.Series]]:
    """Where the winner stands on ``c``: ``best`` (alone), ``tied`` (with ``others``), ``worse``
    (``others`` are better, best first) or ``alone`` (no other candidate has a value)."""
    if is_missing(top[c]):
        return "alone", []
    rest = [r for _, r in cands.iterrows() if r["series"] != top["series"] and not is_missing(r[c])]
    if not rest:
        return "alone", []
    lower = c in LOWER_IS_BETTER
    better = [r for r in rest if (r[c] < top[c] if lower else r[c] > top[c])]
    if better:
        return "worse", sorted(better, key=lambda r: r[c] if lower else -r[c])
    tied = [r for r in rest if r[c] == top[c]]
    return ("tied", tied) if tied else ("best", [])


def trade_off(c: str, top: pd.Series, better: list[pd.Series], stat_words: str) -> str:
    """``uses more memory than small (1323 MB vs 400 MB)``: what the winner gives up, in numbers."""
    best = better[0]
    value: dict[str, Any] = {
        "latency": fmt_seconds,
        "throughput": lambda v: f"{v:.1f} tok/s",
        "memory": fmt_bytes,
        "size": fmt_bytes,
        "quality": lambda v: f"{v:.1f}",
        "energy": _joules,
        "cost": _cost,
        "reliability": lambda v: f"{v:.0%} ok",
    }
    words = {
        "latency": f"slower {stat_words} than",
        "throughput": "decodes slower than",
        "memory": "uses more memory than",
        "size": "is larger on disk than",
        "quality": f"scored lower by {top['scored_by']} than",
        "energy": "uses more energy per output token than",
        "cost": "costs more (estimate) than",
        "reliability": "fails more requests than",
    }
    if (workload := workload_of(c)) is not None:
        value[c], words[c] = (lambda v: f"{v:.0%} pass"), f"passes fewer {workload} checks than"
    fmt = value.get(c, str)
    return f"{top['series']} {words.get(c, 'is behind')} {best['series']} ({fmt(top[c])} vs {fmt(best[c])})"


def weights_text(weights: dict[str, float]) -> str:
    total = sum(weights.values()) or 1.0
    return ", ".join(f"{c} {w / total:.0%}" for c, w in weights.items() if w > 0)


def limit_lines(table: pd.DataFrame) -> tuple[list[str], list[str]]:
    """("series: why it is out", ...), ("series: what is close to a limit", ...)."""
    excluded, flagged = [], []
    for r in table.to_dict("records"):
        if r.get("out"):
            excluded.append(f"{r['series']}: {'; '.join(r.get('out_reasons') or [])}")
        elif r.get("flags"):
            flagged.append(f"{r['series']}: {'; '.join(r['flags'])}")
    return excluded, flagged


# ---- the decision table (the same on the page, in the CLI and in the reports) -----------------------
def _with_n(value: Any, n: Any, fmt: Any) -> str:
    return "—" if is_missing(value) else f"{fmt(value)} (n={_n(n)})"


def _limits_cell(row: dict[str, Any]) -> str:
    if row.get("out"):
        return "out: " + "; ".join(row.get("out_reasons") or [])
    if row.get("flags"):
        return "kept, flagged: " + "; ".join(row["flags"])
    return ""


def _unranked(row: dict[str, Any], status: str) -> str:
    """Why a row has no score: out (a limit), failed, or not a candidate (no measured request)."""
    if row.get("out"):
        return "out"
    return "failed" if status == "failed" else "not ranked"


def _cost_cell(row: dict[str, Any]) -> str:
    if is_missing(row.get("cost")):
        return str(row.get("cost_basis") or "n/a: set a price per hour, or a price per kWh") + " (estimate)"
    return _cost(row["cost"])


def decision_rows(table: pd.DataFrame) -> list[dict[str, str]]:
    """One row of text per (run, model): rank, P(best), rank interval, the raw values with n, limits."""
    rows = []
    for r in table.to_dict("records"):
        ranked = not is_missing(r.get("rank"))
        status = r.get("status") or ""
        has_interval = ranked and not is_missing(r.get("rank_low"))
        rows.append(
            {
                "rank": str(int(r["rank"])) if ranked else "—",
                "model": str(r["series"]),
                "score": f"{r['score']:.2f}" if ranked else _unranked(r, status),
                "P(best)": f"{r['p_best']:.0%}" if has_interval else "—",
                "rank 95%": f"{int(r['rank_low'])}–{int(r['rank_high'])}" if has_interval else "—",
                "quality": _with_n(r.get("quality"), r.get("quality_n"), lambda v: f"{v:.2f}"),
                "latency": _with_n(r.get("latency"), r.get("latency_n"), fmt_seconds),
                "decode tok/s": _with_n(r.get("throughput"), r.get("throughput_n"), lambda v: f"{v:.1f}"),
                "memory": fmt_bytes(r.get("memory")),
                "size": fmt_bytes(r.get("size")),
                "energy": NO_SENSOR
                if is_missing(r.get("energy"))
                else f"{_joules(r['energy'])} (n={_n(r.get('energy_n'))})",
                "cost": _cost_cell(r),
                **_pass_cells(r),
                "limits": _limits_cell(r),
            }
        )
    return _without_idle_columns(rows, table)


def _pass_cells(row: dict[str, Any]) -> dict[str, str]:
    """``pass:tool-calls`` -> ``93% (n=30)`` for every weighted workload in the table (none otherwise)."""
    return {
        c: _with_n(row[c], row.get(f"{c}_n"), lambda v: f"{v:.0%}")
        for c in row
        if workload_of(str(c)) is not None and not str(c).endswith("_n")
    }


def _without_idle_columns(rows: list[dict[str, str]], table: pd.DataFrame) -> list[dict[str, str]]:
    """Energy and cost columns only where they say something: weighted, or measured/priced for a model.

    Most machines have no energy sensor and most users set no price; three rows of "n/a" would push
    the numbers that decide off the screen.
    """
    weights = table.attrs.get("weights") or {}
    idle = [
        c
        for c in ("energy", "cost", "reliability")
        if not weights.get(c) and (c not in table or table[c].isna().all() or c == "reliability")
    ]
    return [{k: v for k, v in row.items() if k not in idle} for row in rows]


def rows_markdown(rows: list[dict[str, str]]) -> list[str]:
    """A Markdown table of :func:`decision_rows` (cells escaped)."""
    from bench.escape import md_cell

    if not rows:
        return []
    head = list(rows[0])
    return [
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
        *["| " + " | ".join(md_cell(r[h]) for h in head) + " |" for r in rows],
    ]


def markdown_lines(rec: Any, how: str, table: pd.DataFrame | None, limits: Sequence[str]) -> list[str]:
    """Lines of the report's Recommendation section: the verdict, why, the limits, the ranked table."""
    caveats = list(rec.caveats)
    if rec.model is not None:
        lines = [
            f"Recommended default: **{rec.series or rec.model}** (score {rec.score:.2f} of 1; {how}).",
            "",
        ]
        lines += [f"- {r}" for r in rec.reasons]
    elif rec.tied:
        lines = [f"**{rec.verdict}**", "", f"Scored with {how}."]
    else:
        lines = [f"No recommendation: {'; '.join(rec.caveats) or 'nothing to rank'}."]
        caveats = []
    lines += ["", "Hard limits: " + ("; ".join(limits) if limits else "none set") + "."]
    for title, items in (
        ("Out (a limit broken with 95% confidence)", rec.excluded),
        ("Flagged", rec.flagged),
    ):
        if items:
            lines += ["", f"{title}:", "", *[f"- {x}" for x in items]]
    if caveats:
        lines += ["", "Caveats:", "", *[f"- {c}" for c in caveats]]
    if table is not None and len(table):
        lines += ["", *rows_markdown(decision_rows(table))]
        if table.attrs.get("uncertain"):
            n_boot = getattr(table.attrs.get("ranking"), "n_boot", 0)
            lines += [
                "",
                f"P(best): share of {n_boot:,} resamples (requests and scored items redrawn together) in which the"
                " model ranked first; rank 95%: the middle 95% of its ranks. A model is named only when P(best)"
                f" is at least {rec.level:.0%}.",
            ]
    return lines
