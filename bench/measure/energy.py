"""Energy per request from the machine's own counters, and a labelled cost estimate.

Sources, in the order they are read: Linux RAPL through powercap (``energy_uj`` of every top-level
package domain, which wraps at ``max_energy_range_uj``) and NVIDIA GPUs through NVML
(``nvmlDeviceGetTotalEnergyConsumption``, millijoules since the driver loaded). The counters cover
the whole package or GPU, not one process: a request's joules are what the machine drew while it
ran, which is the honest number on a box that serves one model. Where no counter exists the reading
is ``None`` with the reason "n/a: no energy sensor" — never a guess from a TDP.

Cost is always an *estimate* (a price the user sets), from either a price per hour of the machine
and the measured output tokens/s, or watts x price per kWh.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

POWERCAP_ROOT = Path("/sys/class/powercap")
NO_SENSOR = "n/a: no energy sensor"
_TOP_DOMAIN = re.compile(r"^intel-rapl:\d+$")


@dataclass(frozen=True)
class Counter:
    """One monotonic energy counter in microjoules, wrapping at ``max_uj`` (0 = never wraps)."""

    name: str
    path: Path | None  # a powercap file; None for NVML
    max_uj: int
    gpu_index: int | None = None

    def read_uj(self) -> int:
        if self.path is not None:
            return int(self.path.read_text().strip())
        return _nvml_energy_mj(self.gpu_index or 0) * 1000


def delta_uj(before: int, after: int, max_uj: int) -> int:
    """Energy between two readings of a counter that wraps to 0 after ``max_uj``."""
    if after >= before:
        return after - before
    if max_uj <= 0:
        raise ValueError(f"counter went backwards ({before} -> {after}) and has no wrap range")
    return after + (max_uj - before)  # the convention of powerstat and scaphandre


def rapl_counters(root: str | Path = POWERCAP_ROOT) -> list[Counter]:
    """Top-level RAPL domains (packages; ``psys`` only when there are no packages, as it overlaps)."""
    base = Path(root)
    if not base.is_dir():
        return []
    domains = []
    for entry in sorted(base.iterdir()):
        energy = entry / "energy_uj"
        if not _TOP_DOMAIN.match(entry.name) or not _readable(energy):
            continue
        name = _read(entry / "name") or entry.name
        max_uj = int(_read(entry / "max_energy_range_uj") or 0)
        domains.append(Counter(f"rapl:{name}", energy, max_uj))
    packages = [d for d in domains if d.name.startswith("rapl:package")]
    return packages or domains


def nvml_counters() -> list[Counter]:
    """One counter per NVIDIA GPU that reports total energy; empty without NVML or a GPU."""
    try:
        import pynvml  # type: ignore[import-not-found]

        pynvml.nvmlInit()
        found = []
        for i in range(pynvml.nvmlDeviceGetCount()):
            try:
                _nvml_energy_mj(i)
            except Exception:
                continue  # GPUs before Volta have no energy counter
            found.append(Counter(f"nvml:gpu{i}", None, 0, gpu_index=i))
        return found
    except Exception:
        return []


def _nvml_energy_mj(index: int) -> int:
    import pynvml  # type: ignore[import-not-found]

    return int(pynvml.nvmlDeviceGetTotalEnergyConsumption(pynvml.nvmlDeviceGetHandleByIndex(index)))


def _readable(path: Path) -> bool:
    try:
        int(path.read_text().strip())
    except (OSError, ValueError):
        return False  # missing, or root-only (RAPL is 0400 on recent kernels)
    return True


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


@dataclass
class Reading:
    """Joules over one measured span (``None`` with ``note`` when there is no sensor)."""

    joules: float | None = None
    source: str = NO_SENSOR
    per_counter: dict[str, float] = field(default_factory=dict)

    def as_metrics(self) -> dict[str, Any]:
        return {"energy_j": self.joules, "energy_source": self.source}


class EnergyMeter:
    """Reads every available counter before and after a span. Detection runs once per meter."""

    def __init__(self, root: str | Path = POWERCAP_ROOT, nvml: bool = True) -> None:
        self.counters = rapl_counters(root) + (nvml_counters() if nvml else [])

    @property
    def available(self) -> bool:
        return bool(self.counters)

    @property
    def source(self) -> str:
        return "+".join(c.name for c in self.counters) if self.counters else NO_SENSOR

    def snapshot(self) -> dict[str, int]:
        return {c.name: c.read_uj() for c in self.counters}

    def between(self, before: dict[str, int], after: dict[str, int]) -> Reading:
        if not self.counters:
            return Reading()
        per = {c.name: delta_uj(before[c.name], after[c.name], c.max_uj) / 1e6 for c in self.counters}
        return Reading(sum(per.values()), self.source, per)

    @contextmanager
    def measure(self) -> Iterator[Reading]:
        """``with meter.measure() as r: ...`` then ``r.joules`` (None without a sensor)."""
        reading = Reading()
        if not self.counters:
            yield reading
            return
        before = self.snapshot()
        try:
            yield reading
        finally:
            done = self.between(before, self.snapshot())
            reading.joules, reading.source, reading.per_counter = done.joules, done.source, done.per_counter


_default: EnergyMeter | None = None
_lock = threading.Lock()


def default_meter() -> EnergyMeter:
    """This machine's meter, detected once per process."""
    global _default
    with _lock:
        if _default is None:
            _default = EnergyMeter()
        return _default


@contextmanager
def measure() -> Iterator[Reading]:
    """Energy of one request on this machine (the runner's hook)."""
    with default_meter().measure() as reading:
        yield reading


def joules_per_token(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Joules per request and per output token over measured samples, with n and the source."""
    measured = [
        s for s in samples if s.get("ok") and not s.get("warmup") and s["metrics"].get("energy_j") is not None
    ]
    if not measured:
        return {"per_request_j": None, "per_token_j": None, "n": 0, "source": NO_SENSOR}
    total = sum(s["metrics"]["energy_j"] for s in measured)
    tokens = sum(s["metrics"].get("output_tokens") or 0 for s in measured)
    return {
        "per_request_j": total / len(measured),
        "per_token_j": total / tokens if tokens else None,
        "n": len(measured),
        "source": measured[0]["metrics"].get("energy_source", "?"),
    }


@dataclass(frozen=True)
class CostEstimate:
    """Money per 1,000 output tokens; ``basis`` says which price and which measurement it used."""

    per_1k_tokens: float | None
    basis: str
    label: str = "estimate"


def cost_per_1k_tokens(
    output_tokens_per_s: float | None,
    price_per_hour: float | None = None,
    watts: float | None = None,
    price_per_kwh: float | None = None,
    joules_per_token: float | None = None,
) -> CostEstimate:
    """Cost of 1,000 output tokens at a throughput, from the machine's hourly price or its power.

    With ``price_per_kwh`` a measured ``joules_per_token`` is preferred over an assumed ``watts``
    (the machine's own counter beats a nameplate figure).
    """
    if price_per_hour is not None:
        if not output_tokens_per_s:
            return CostEstimate(None, "n/a: no output tokens/s measured")
        seconds = 1000 / output_tokens_per_s
        return CostEstimate(
            price_per_hour / 3600 * seconds,
            f"{price_per_hour:g}/h machine price at {output_tokens_per_s:.1f} output tok/s",
        )
    if price_per_kwh is None:
        return CostEstimate(None, "n/a: set a price per hour, or a price per kWh")
    if joules_per_token is not None:
        kwh = joules_per_token * 1000 / 3.6e6
        return CostEstimate(
            kwh * price_per_kwh, f"measured {joules_per_token:.3g} J/token x {price_per_kwh:g}/kWh"
        )
    if watts is None or not output_tokens_per_s:
        return CostEstimate(None, "n/a: no energy sensor; set watts (and measure tokens/s)")
    kwh = watts * (1000 / output_tokens_per_s) / 3.6e6
    return CostEstimate(
        kwh * price_per_kwh,
        f"assumed {watts:g} W x {price_per_kwh:g}/kWh at {output_tokens_per_s:.1f} output tok/s",
    )
