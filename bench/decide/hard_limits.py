"""Hard limits a decision must respect, checked with 95% confidence before any ranking.

A team states limits (``p95=1.5s``, ``ttft=300ms``, ``memory=2GB``, ``size=1GB``,
``quality:people=3.5``, ``license=apache-2.0,mit``, ``tag=chat``). A candidate is **out** only when it
breaks a limit with 95% confidence: the whole bootstrap interval of the measured statistic lies
beyond the limit (p95 and TTFT from the requests, quality from the scored items). When the interval
straddles the limit it stays in and is **flagged**, so noise alone never removes a model. Memory
and size are single measurements (no interval): beyond the limit is out. A limit that cannot be
checked (no TTFT without streaming, no scores from that source, unknown license or tags) flags the
candidate and says so, it never silently passes or fails.

Intervals are :mod:`bench.stats.bootstrap`'s (prompts as the units; p95 needs 20 requests, below that
it is "too few samples" and only flagged). Outcomes are limits too: ``errors=5%`` (failed +
incomplete over measured requests) and ``truncated=10%`` (answers cut by the token limit), checked
on their Wilson interval. So is a workload's pass rate, ``pass:tool-calls=80%`` (answers that passed
every check over the checked answers of that workload, :mod:`bench.decide.workload_pass`), a floor: out
only when the whole interval is under it; a model that did not run the workload, had every request
refused ("not supported") or has no checked answer is flagged saying which. Every decision has an
error limit: :data:`DEFAULT_ERRORS` unless the user sets one. A limit outside what its metric can be (a 1–5 quality limit of 9, a rate above 100%) is
refused with the range.

Sizes are decimal (1 MB = 10**6 bytes, 1 GB = 10**9; MiB/GiB are accepted too).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from bench.decide import workload_pass
from bench.decide.candidates import Candidate
from bench.errors import BenchError
from bench.stats import bootstrap
from bench.units import fmt_bytes, fmt_seconds

Kind = Literal[
    "p95",
    "p50",
    "ttft",
    "ttft4k",
    "memory",
    "size",
    "quality",
    "license",
    "tag",
    "energy",
    "cost",
    "errors",
    "truncated",
    "pass",
]
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6}
ENERGY_UNITS = {"j": 1.0, "mj": 1e-3, "uj": 1e-6}  # joules per output token
BYTE_UNITS = {
    "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30,
}  # fmt: skip
KINDS = (
    "p95", "p50", "ttft", "ttft4k", "memory", "size", "quality:SOURCE", "license", "tag", "energy", "cost",
    "errors", "truncated", "pass:WORKLOAD",
)  # fmt: skip
#: the error limit every decision has unless the user sets another (out only when broken with 95% confidence)
DEFAULT_ERRORS = "errors=5%"
HELP = (
    "write KIND=VALUE, e.g. p95=1.5s, p50=800ms, ttft=300ms, ttft4k=3s (TTFT p95 at >= 4k prompt tokens),"
    " memory=2GB, size=900MB,"
    " quality:people=3.5, license=apache-2.0,mit, tag=chat, energy=0.5J (per output token), cost=0.01"
    " (estimate per 1k output tokens), errors=5% (failed requests), truncated=10% (answers cut by max tokens),"
    " pass:tool-calls=80% (share of a workload's checked answers that passed every check; workloads:"
    " long-context, json-output, tool-calls, multi-turn)"
)
_NUMBER = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[-+]?[0-9]+)?)\s*([a-z]*)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Limit:
    """One hard limit: a ceiling (``p95``, ``ttft``, ``memory``, ``size``), a floor (``quality``) or a set."""

    kind: Kind
    value: float | None = None  # seconds, bytes or a score
    allowed: tuple[str, ...] = ()  # licenses allowed, or tags required
    source: str | None = None  # quality: the score source; pass: the workload
    text: str = ""  # as the user wrote it

    def words(self) -> str:
        """``p95 latency at most 1.5 s`` — what the reports print."""
        if self.kind in ("p95", "p50"):
            return f"{self.kind} latency at most {_secs(self.value)}"
        if self.kind == "ttft":
            return f"mean time to first token at most {_secs(self.value)}"
        if self.kind == "ttft4k":
            return f"TTFT p95 at >= 4k prompt tokens at most {_secs(self.value)}"
        if self.kind in ("memory", "size"):
            what = "memory" if self.kind == "memory" else "size on disk"
            return f"{what} at most {_bytes(self.value)}"
        if self.kind == "quality":
            return f"quality by {self.source} at least {self.value:g}"
        if self.kind == "energy":
            return f"energy at most {self.value:g} J per output token"
        if self.kind == "cost":
            return f"cost estimate at most {self.value:g} per 1k output tokens"
        if self.kind in ("errors", "truncated"):
            what = "error rate" if self.kind == "errors" else "share of answers cut by the token limit"
            return f"{what} at most {(self.value or 0) * 100:g}%"
        if self.kind == "pass":
            return f"pass rate on {self.source} at least {(self.value or 0) * 100:g}%"
        if self.kind == "license":
            return f"license one of {', '.join(self.allowed)}"
        return f"capabilities include {', '.join(self.allowed)}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "allowed": list(self.allowed), "words": self.words()}


@dataclass
class LimitVerdict:
    """What the limits say about one candidate: out (with reasons) or in (maybe flagged)."""

    name: str
    out: bool = False
    reasons: list[str] = field(default_factory=list)  # why it is out
    flags: list[str] = field(default_factory=list)  # kept, but close to or unchecked against a limit


# ---- parsing -------------------------------------------------------------------------------------
def _secs(value: float | None) -> str:
    return fmt_seconds(value or 0.0)


def _bytes(value: float | None) -> str:
    return fmt_bytes(value or 0.0)


def _error(text: str, what: str) -> BenchError:
    return BenchError(f"--limit {text}", what, HELP)


def _quantity(text: str, raw: str, units: dict[str, float], default: str) -> float:
    match = _NUMBER.match(raw)
    if not match:
        raise _error(text, f"{raw!r} is not a number with a unit ({', '.join(units)})")
    unit = (match.group(2) or default).lower()
    if unit not in units:
        raise _error(text, f"unknown unit {match.group(2)!r}; use one of {', '.join(units)}")
    value = float(match.group(1)) * units[unit]
    if value <= 0:
        raise _error(text, "the limit must be above 0")
    return value


def _rate(text: str, raw: str) -> float:
    """``5%`` or ``0.05`` -> 0.05; a rate must lie in 0..100%."""
    try:
        value = float(raw.rstrip("%")) / (100 if raw.endswith("%") else 1)
    except ValueError:
        raise _error(text, f"{raw!r} is not a rate; write e.g. 5%") from None
    if not 0 <= value <= 1:
        raise _error(text, "a rate lies between 0% and 100%")
    return value


def check_ranges(limits: Sequence[Limit], scales: dict[str, tuple[float, float]]) -> None:
    """Refuse a quality limit outside its source's range (``quality:people=9`` on a 1–5 scale)."""
    for limit in limits:
        if limit.kind != "quality" or limit.source not in scales:
            continue
        low, high = scales[limit.source]
        if not low <= (limit.value or 0.0) <= high:
            raise _error(limit.text, f"{limit.source} scores lie between {low:g} and {high:g}")


def ranges_of(sources: Iterable[Any]) -> dict[str, tuple[float, float]]:
    """The range of each score source's numbers (pass rates 0–1, people and judges 1–5)."""
    return {s.name: (0.0, 1.0) if "rate" in s.scale else (1.0, 5.0) for s in sources}


def with_default(limits: Sequence[Limit]) -> list[Limit]:
    """The limits plus :data:`DEFAULT_ERRORS` unless the user set an error limit."""
    if any(limit.kind == "errors" for limit in limits):
        return list(limits)
    return [*limits, parse_limit(DEFAULT_ERRORS)]


def parse_limit(text: str) -> Limit:
    """One ``--limit KIND=VALUE``; a bad one raises a BenchError naming it and the fix."""
    if "=" not in text:
        raise _error(text, "missing '='")
    key, raw = (part.strip() for part in text.split("=", 1))
    key_l = key.lower()
    if not raw:
        raise _error(text, "no value after '='")
    if key_l in ("p95", "p50", "ttft", "ttft4k"):
        return Limit(key_l, _quantity(text, raw, TIME_UNITS, "s"), text=text)  # type: ignore[arg-type]
    if key_l in ("memory", "size"):
        return Limit(key_l, _quantity(text, raw, BYTE_UNITS, "b"), text=text)  # type: ignore[arg-type]
    if key_l == "energy":
        return Limit("energy", _quantity(text, raw, ENERGY_UNITS, "j"), text=text)
    if key_l == "cost":
        return Limit("cost", _quantity(text, raw, {"": 1.0}, ""), text=text)
    if key_l in ("errors", "truncated"):
        return Limit(key_l, _rate(text, raw), text=text)  # type: ignore[arg-type]
    if key_l == "quality" or key_l.startswith("quality:"):
        source = key.split(":", 1)[1].strip() if ":" in key else ""
        if not source:
            raise _error(text, "name the score source, e.g. quality:people=3.5 or quality:judge:MODEL=3")
        try:
            value = float(raw)
        except ValueError:
            raise _error(text, f"{raw!r} is not a number") from None
        return Limit("quality", value, source=source, text=text)
    if key_l == "pass" or key_l.startswith("pass:"):
        return _parse_pass(text, key_l, raw)
    if key_l in ("license", "licence", "tag", "tags"):
        items = tuple(v.strip().lower() for v in raw.split(",") if v.strip())
        if not items:
            raise _error(text, "list at least one value")
        kind: Kind = "license" if key_l.startswith("lic") else "tag"
        return Limit(kind, allowed=items, text=text)
    raise _error(text, f"unknown limit {key!r}; known: {', '.join(KINDS)}")


def _parse_pass(text: str, key: str, raw: str) -> Limit:
    """``pass:tool-calls=80%``: a workload known to :mod:`bench.inputs.workloads` and a rate in 0..100%."""
    workload = key.split(":", 1)[1].strip() if ":" in key else ""
    if not workload:
        raise _error(text, "name the workload, e.g. pass:tool-calls=80%")
    workload_pass.require_known(workload, f"--limit {text}")
    return Limit("pass", _rate(text, raw), source=workload, text=text)


def parse_limits(texts: Iterable[str]) -> list[Limit]:
    """Every ``--limit``; two limits of the same kind (and source) are an error, not a silent override."""
    limits = [parse_limit(t) for t in texts]
    seen: dict[tuple[str, str | None], str] = {}
    for limit in limits:
        key = (limit.kind, limit.source)
        if key in seen:
            raise _error(limit.text, f"given twice (also {seen[key]!r}); keep one")
        seen[key] = limit.text
    return limits


# ---- checking ------------------------------------------------------------------------------------
def _ceiling(
    limit: Limit, interval: bootstrap.Interval | None, value: float, n: int, what: str
) -> tuple[str, str]:
    """(out reason, flag) for a limit the statistic must stay under."""
    cap = limit.value or 0.0
    if interval is None:
        if math.isnan(value):
            return "", f"{what} not measured: {limit.words()} unchecked"
        if value > cap:
            return "", f"{what} {_secs(value)} is over {_secs(cap)} but n={n} is too few to be sure"
        return "", ""
    shown = f"{what} {_secs(interval.estimate)} (95% interval {_secs(interval.low)}–{_secs(interval.high)}, n={n})"
    if interval.low > cap:
        return f"{shown} is over the limit {_secs(cap)}", ""
    if interval.high > cap:
        return "", f"{shown} straddles the limit {_secs(cap)}"
    return "", ""


def _check_time(limit: Limit, cand: Candidate) -> tuple[str, str]:
    metric = {"ttft": "ttft", "ttft4k": "ttft_long"}.get(limit.kind, "e2e")
    data = cand.samples(metric)
    stat = {"ttft": "mean", "ttft4k": "p95"}.get(limit.kind, limit.kind)
    what = {"ttft": "mean TTFT", "ttft4k": "TTFT p95 at >= 4k tokens"}.get(
        limit.kind, f"{limit.kind} latency"
    )
    value = float(bootstrap.STATS[stat](data)) if data.size else float("nan")
    groups = cand.prompts_of(metric)
    return _ceiling(limit, bootstrap.interval(data, stat, groups=groups), value, int(data.size), what)


def _check_bytes(limit: Limit, cand: Candidate) -> tuple[str, str]:
    value = cand.memory if limit.kind == "memory" else cand.size
    what = "memory" if limit.kind == "memory" else "size on disk"
    if value is None or math.isnan(value):
        return "", f"{what} unknown: {limit.words()} unchecked"
    if limit.kind == "memory" and not cand.memory_comparable:
        note = f"{what} {_bytes(value)} ({cand.memory_basis or 'not comparable'})"
        return "", f"{note}: {limit.words()} checked loosely"
    if value > (limit.value or 0):
        basis = f", {cand.memory_basis}" if limit.kind == "memory" and cand.memory_basis else ""
        return f"{what} {_bytes(value)}{basis} is over the limit {_bytes(limit.value)}", ""
    return "", ""


def _check_quality(limit: Limit, cand: Candidate) -> tuple[str, str]:
    items = cand.quality.get(limit.source or "")
    floor = limit.value or 0.0
    if items is None or items.size == 0:
        return "", f"no quality scores by {limit.source}: {limit.words()} unchecked"
    iv = bootstrap.interval(items, groups=cand.prompts_of(f"quality:{limit.source}"))
    if iv is None:
        mean = float(items.mean())
        if mean < floor:
            return (
                "",
                f"quality {mean:.2f} by {limit.source} is under {floor:g} but n=1 is too few to be sure",
            )
        return "", ""
    shown = f"quality {iv.estimate:.2f} by {limit.source} (95% interval {iv.low:.2f}–{iv.high:.2f}, n={iv.n})"
    if iv.high < floor:
        return f"{shown} is under the minimum {floor:g}", ""
    if iv.low < floor:
        return "", f"{shown} straddles the minimum {floor:g}"
    return "", ""


def _check_energy(limit: Limit, cand: Candidate) -> tuple[str, str]:
    """Joules per output token against a ceiling: out only when the whole 95% interval is over."""
    cap = limit.value or 0.0
    value = cand.energy_per_token()
    if math.isnan(value):
        return "", f"energy not measured (n/a: no energy sensor): {limit.words()} unchecked"
    n = int(cand.energy_j.size)
    if n < 2:
        return (
            ("", f"energy {value:.3g} J/token is over {cap:g} but n={n} is too few to be sure")
            if value > cap
            else ("", "")
        )
    draws = cand.energy_draws(bootstrap.N_BOOT, np.random.default_rng(0))
    low, high = (float(x) for x in np.nanpercentile(draws, [2.5, 97.5]))
    shown = f"energy {value:.3g} J/token (95% interval {low:.3g}–{high:.3g}, n={n})"
    if low > cap:
        return f"{shown} is over the limit {cap:g} J/token", ""
    if high > cap:
        return "", f"{shown} straddles the limit {cap:g} J/token"
    return "", ""


def _check_cost(limit: Limit, cand: Candidate) -> tuple[str, str]:
    """The cost estimate is one number from a price the user set: over the limit is out."""
    if math.isnan(cand.cost):
        return "", f"no cost estimate (set a price): {limit.words()} unchecked"
    if cand.cost > (limit.value or 0.0):
        return f"cost estimate {cand.cost:.3g} per 1k output tokens is over the limit {limit.value:g}", ""
    return "", ""


def _check_set(limit: Limit, cand: Candidate) -> tuple[str, str]:
    if limit.kind == "license":
        if not cand.license:
            return "", f"license unknown: {limit.words()} unchecked"
        if cand.license.lower() not in limit.allowed:
            return f"license {cand.license} is not one of {', '.join(limit.allowed)}", ""
        return "", ""
    if cand.tags is None:
        return "", f"capabilities unknown (no model list names them): {limit.words()} unchecked"
    lacking = [t for t in limit.allowed if t not in {x.lower() for x in cand.tags}]
    if lacking:
        return f"lacks the capability {', '.join(lacking)} (has: {', '.join(cand.tags) or 'none'})", ""
    return "", ""


def _check_rate(limit: Limit, cand: Candidate) -> tuple[str, str]:
    """An error or truncation rate against a ceiling, on its Wilson interval."""
    flags = cand.failed if limit.kind == "errors" else cand.truncated
    what = "error rate" if limit.kind == "errors" else "cut by the token limit"
    cap = limit.value or 0.0
    iv = None if flags is None else bootstrap.proportion(float(flags.sum()), int(flags.size))
    if iv is None:
        return "", f"{what} unknown: {limit.words()} unchecked"
    count = int(flags.sum())
    shown = f"{what} {iv.estimate:.0%} ({count} of {iv.n}; 95% interval {iv.low:.0%}–{iv.high:.0%})"
    if iv.low > cap:
        return f"{shown} is over the limit {cap:.0%}", ""
    if iv.high > cap and iv.estimate > 0:
        return "", f"{shown} straddles the limit {cap:.0%}"
    return "", ""


def _check_pass(limit: Limit, cand: Candidate) -> tuple[str, str]:
    """A workload's pass rate against a floor, on its Wilson interval; never judged without checked answers."""
    workload, floor = limit.source or "", limit.value or 0.0
    score = cand.workloads.get(workload)
    iv = None if score is None else bootstrap.proportion(float(score.passed.sum()), int(score.passed.size))
    if score is None or iv is None:
        return "", f"{workload_pass.why_unscored(workload, score)}: {limit.words()} unchecked"
    refused = f"; {score.refused} refused" if score.refused else ""
    shown = (
        f"{workload} pass rate {iv.estimate:.0%} ({int(score.passed.sum())} of {iv.n}{refused};"
        f" 95% interval {iv.low:.0%}–{iv.high:.0%})"
    )
    if iv.high < floor:
        return f"{shown} is under the minimum {floor:.0%}", ""
    if iv.low < floor:
        return "", f"{shown} straddles the minimum {floor:.0%}"
    return "", ""


def check(cand: Candidate, limits: Sequence[Limit]) -> LimitVerdict:
    """Every limit against one candidate."""
    verdict = LimitVerdict(cand.name)
    for limit in limits:
        if limit.kind in ("p95", "p50", "ttft", "ttft4k"):
            reason, flag = _check_time(limit, cand)
        elif limit.kind in ("memory", "size"):
            reason, flag = _check_bytes(limit, cand)
        elif limit.kind == "quality":
            reason, flag = _check_quality(limit, cand)
        elif limit.kind in ("errors", "truncated"):
            reason, flag = _check_rate(limit, cand)
        elif limit.kind == "pass":
            reason, flag = _check_pass(limit, cand)
        elif limit.kind in ("energy", "cost"):
            reason, flag = (_check_energy if limit.kind == "energy" else _check_cost)(limit, cand)
        else:
            reason, flag = _check_set(limit, cand)
        if reason:
            verdict.reasons.append(reason)
        if flag:
            verdict.flags.append(flag)
    verdict.out = bool(verdict.reasons)
    return verdict


def apply(cands: Sequence[Candidate], limits: Sequence[Limit]) -> tuple[list[Candidate], list[LimitVerdict]]:
    """(the candidates that survive, one verdict per candidate in input order)."""
    verdicts = [check(c, limits) for c in cands]
    return [c for c, v in zip(cands, verdicts, strict=True) if not v.out], verdicts
