"""Can these runs be compared? Which settings differ between them, and which numbers that spoils.

Results and Decide put several runs side by side; a 48-token run is always "faster" end to end
than a 128-token run, and a run on another machine or behind HTTP measures something else. This
module says so in words, before anyone reads a ranking. Pure functions on the stored run records
(``Store.get_run`` dicts and ``Store.run_models`` rows): no Streamlit, no database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: what each affected metric is called in the sentences shown to people
METRIC_WORDS = {
    "latency": "end-to-end latency",
    "ttft": "time to first token",
    "throughput": "decode tokens/s",
    "memory": "memory",
    "output_tokens": "output tokens",
    "quality": "quality scores",
}

#: setting -> (words, metrics it makes incomparable, and why)
SETTINGS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "prompts": (
        "prompts",
        ("latency", "ttft", "throughput", "output_tokens", "quality"),
        "different prompts ask for different work",
    ),
    "max_tokens": (
        "max tokens",
        ("latency", "output_tokens", "quality"),
        "a lower cap cuts answers short, so they finish sooner and may lose content",
    ),
    "temperature": (
        "temperature",
        ("latency", "output_tokens", "quality"),
        "sampling changes the answers and their length",
    ),
    "stream": (
        "streaming",
        ("ttft", "throughput", "latency"),
        "without streaming there is no time to first token, so no decode speed",
    ),
    "backend": (
        "backend",
        ("latency", "ttft", "throughput", "memory"),
        "HTTP adds its own overhead and memory is measured on another process",
    ),
    "machine": (
        "machine",
        ("latency", "ttft", "throughput", "memory"),
        "other hardware runs at another speed",
    ),
}


@dataclass(frozen=True)
class Difference:
    """One setting that is not the same in every selected run."""

    setting: str  # a key of SETTINGS
    values: dict[str, str]  # run label -> the value in words

    @property
    def words(self) -> str:
        return SETTINGS[self.setting][0]

    @property
    def affects(self) -> tuple[str, ...]:
        return SETTINGS[self.setting][1]

    def sentence(self) -> str:
        """``max tokens differs: 48 in 184653-3fa2, 128 in 190211-0b1c (a lower cap ...)``."""
        by_value: dict[str, list[str]] = {}
        for run, value in self.values.items():
            by_value.setdefault(value, []).append(run)
        parts = [f"{value} in {', '.join(runs)}" for value, runs in by_value.items()]
        return f"{self.words} differs: {'; '.join(parts)} ({SETTINGS[self.setting][2]})"


@dataclass(frozen=True)
class Comparability:
    """The differences between the selected runs and the metrics they make incomparable."""

    runs: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)

    @property
    def comparable(self) -> bool:
        return not self.differences

    @property
    def not_comparable(self) -> list[str]:
        """Metric keys (of :data:`METRIC_WORDS`) that at least one difference spoils, in a fixed order."""
        spoiled = {m for d in self.differences for m in d.affects}
        return [m for m in METRIC_WORDS if m in spoiled]

    def headline(self) -> str:
        if self.comparable:
            return ""
        settings = _and([d.words for d in self.differences])
        metrics = _and([METRIC_WORDS[m] for m in self.not_comparable])
        return (
            f"These {len(self.runs)} runs were measured with different settings ({settings}): "
            f"their {metrics} are not comparable across runs."
        )

    def lines(self) -> list[str]:
        return [d.sentence() for d in self.differences]

    def affects(self, metric: str) -> bool:
        return metric in self.not_comparable


def compare_runs(
    runs: Sequence[Mapping[str, Any]],
    run_models: Sequence[Mapping[str, Any]] = (),
    labels: Mapping[str, str] | None = None,
) -> Comparability:
    """What differs between ``runs`` (``Store.get_run`` dicts); ``run_models`` adds each model's backend.

    ``labels`` maps run ids to the short names the page shows (default: the run id's time and suffix).
    A single run (or none) is always comparable with itself.
    """
    if len(runs) < 2:
        return Comparability(runs=[str(r.get("id", "")) for r in runs])
    names = {str(r["id"]): (labels or {}).get(str(r["id"])) or _short(str(r["id"])) for r in runs}
    backends = _backends(run_models)
    described = {
        str(r["id"]): {key: describe(key, r, backends.get(str(r["id"]))) for key in SETTINGS} for r in runs
    }
    differences = []
    for key in SETTINGS:
        values = {names[run_id]: d[key] for run_id, d in described.items()}
        if len(set(values.values())) > 1 and "unknown" not in values.values():
            differences.append(Difference(setting=key, values=values))
    return Comparability(runs=list(names.values()), differences=differences)


def describe(key: str, run: Mapping[str, Any], backends: set[str] | None = None) -> str:
    """One setting of one run in words; ``unknown`` when the run did not record it."""
    settings = run.get("settings") or {}
    if key == "prompts":
        return _prompts(run.get("prompts"))
    if key == "max_tokens":
        return _plain(settings.get("max_tokens"))
    if key == "temperature":
        value = settings.get("temperature")
        return "unknown" if value is None else f"{float(value):g}"
    if key == "stream":
        value = settings.get("stream")
        return "unknown" if value is None else ("streamed" if value else "not streamed")
    if key == "backend":
        if backends:
            return " + ".join(sorted(backends))
        endpoint = settings.get("endpoint")
        return f"HTTP {endpoint}" if endpoint else "Foundry Local in-process"
    if key == "machine":
        return machine_words(run.get("meta") or {})
    raise KeyError(key)


def machine_words(meta: Mapping[str, Any]) -> str:
    """``AMD EPYC 7763 · 2 CPUs · 8 GB`` from a run's recorded hardware (plus its host when recorded)."""
    fingerprint = meta.get("machine")
    if isinstance(fingerprint, dict) and fingerprint.get("label"):
        return str(fingerprint["label"])  # bench.measure.machine: host · CPU · cores · RAM · GPU
    hw = meta.get("hardware") or {}
    if not hw:
        return "unknown"
    parts = [str(hw.get("processor") or hw.get("machine") or "unknown CPU")]
    if hw.get("cpu_count_logical"):
        parts.append(f"{hw['cpu_count_logical']} CPUs")
    if hw.get("memory_total_bytes"):
        parts.append(f"{hw['memory_total_bytes'] / 10**9:.0f} GB")
    parts += [str(g) for g in hw.get("gpu") or []]
    host = meta.get("machine") or meta.get("hostname")
    if isinstance(host, str) and host:
        parts.insert(0, host)
    return " · ".join(parts)


def _backends(run_models: Sequence[Mapping[str, Any]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for row in run_models:
        transport = str(row.get("transport") or "")
        if not transport:
            continue
        kind = str(row.get("backend") or "")
        words = "in-process" if transport == "in-process" else "HTTP"
        out.setdefault(str(row["run_id"]), set()).add(f"{kind} {words}".strip())
    return out


def _prompts(prompts: Any) -> str:
    """A short fingerprint of the prompt texts: two sets with one changed word differ."""
    if not isinstance(prompts, Mapping) or not prompts.get("prompts"):
        return "unknown"
    items = prompts["prompts"]
    texts = [(str(p.get("id")), str(p.get("system") or ""), str(p.get("prompt"))) for p in items]
    digest = hashlib.sha256(json.dumps(sorted(texts)).encode()).hexdigest()[:6]
    name = prompts.get("name") or "prompts"
    return f"{name} ({len(items)} prompt{'s' if len(items) != 1 else ''}, #{digest})"


def _and(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _plain(value: Any) -> str:
    return "unknown" if value is None else str(value)


def _short(run_id: str) -> str:
    parts = run_id.split("-")
    return "-".join(parts[1:]) if len(parts) == 3 and len(parts[0]) == 8 else run_id
