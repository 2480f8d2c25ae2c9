"""The machine a run ran on, as a fingerprint every run records, and a stable id to group by.

Results from many machines end up in one team store; comparing one model across machines needs
each run to say where it ran. ``machine_id`` hashes what identifies the box and does not move with
a kernel update or a package upgrade (host name, CPU model, cores, RAM in GiB, GPUs, OS family and
architecture); ``hardware_id`` leaves out the host name so two identical boxes group together.
The execution provider is known only after a model loads, so it is read back from the run's models.
"""

from __future__ import annotations

import hashlib
import json
import platform
import socket
from importlib import metadata
from typing import Any

import psutil

from bench.measure import sysmon

#: the packages whose versions every run and machine fingerprint records
PACKAGES = (
    "foundry-local-sdk",
    "onnxruntime",
    "onnxruntime-genai-core",
    "openai",
    "httpx",
    "numpy",
    "pandas",
    "streamlit",
    "altair",
    "pydantic",
    "psycopg",
    "psutil",
)


def package_versions() -> dict[str, str]:
    """Installed versions of :data:`PACKAGES` (absent ones are left out): part of what a number depends on."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def fingerprint(packages: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything a reader needs to know about this machine, with its ids."""
    hw = sysmon.hardware()
    fp: dict[str, Any] = {
        "hostname": socket.gethostname(),
        "cpu_model": hw.get("processor") or "unknown CPU",
        "cpu_cores_physical": hw.get("cpu_count_physical"),
        "cpu_cores_logical": hw.get("cpu_count_logical"),
        "cpu_mhz_max": hw.get("cpu_mhz_max"),
        "ram_gib": round(psutil.virtual_memory().total / 2**30),
        "gpus": list(hw.get("gpu") or []),
        "os": hw.get("os"),
        "os_family": platform.system(),
        "arch": platform.machine(),
        "python": hw.get("python"),
        "packages": packages if packages is not None else package_versions(),
    }
    fp["hardware_id"] = _hash({k: fp[k] for k in _HARDWARE_KEYS})
    fp["machine_id"] = _hash({k: fp[k] for k in ("hostname", *_HARDWARE_KEYS)})
    fp["label"] = label(fp)
    return fp


_HARDWARE_KEYS = ("cpu_model", "cpu_cores_logical", "ram_gib", "gpus", "os_family", "arch")


def _hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:12]


def label(fp: dict[str, Any]) -> str:
    """One line for tables and chart legends: ``host · CPU · 2 cores · 24 GiB · GPU``."""
    gpu = ", ".join(fp.get("gpus") or []) or "no GPU"
    cores = fp.get("cpu_cores_logical")
    return f"{fp.get('hostname', '?')} · {fp.get('cpu_model', '?')} · {cores} cores · {fp.get('ram_gib')} GiB · {gpu}"


def of_run(run: dict[str, Any], run_models: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The machine of a stored run (for Results and Compare rows), with the execution providers
    its models actually used. Runs stored before fingerprints existed are rebuilt from their
    ``hardware`` block and say so."""
    meta = run.get("meta") or {}
    fp = dict(meta.get("machine") or {})
    if not fp:
        hw = meta.get("hardware") or {}
        fp = {
            "hostname": "unknown (run predates machine fingerprints)",
            "cpu_model": hw.get("processor") or "unknown CPU",
            "cpu_cores_logical": hw.get("cpu_count_logical"),
            "ram_gib": round((hw.get("memory_total_bytes") or 0) / 2**30),
            "gpus": list(hw.get("gpu") or []),
            "os": hw.get("os"),
            "os_family": (hw.get("os") or "").split(" ")[0],
            "arch": hw.get("machine"),
        }
        fp["hardware_id"] = _hash({k: fp.get(k) for k in _HARDWARE_KEYS})
        fp["machine_id"] = "unknown-" + fp["hardware_id"]
        fp["label"] = label(fp)
    providers = sorted({m["execution_provider"] for m in run_models or [] if m.get("execution_provider")})
    fp["execution_providers"] = providers or ["n/a (not reported by the backend)"]
    return fp


def machine_columns(fp: dict[str, Any]) -> dict[str, Any]:
    """The flat columns a results row gains: id for grouping, label for reading."""
    return {
        "machine_id": fp.get("machine_id"),
        "machine": fp.get("label"),
        "hardware_id": fp.get("hardware_id"),
        "execution_provider": ", ".join(fp.get("execution_providers") or []),
    }
