"""The offline catalog snapshot that makes Foundry Local's web service serve imported models.

Why this module exists: ``foundry-local-sdk`` 2.2.1 can start a web service
(``manager.start_web_service()``), but that service resolves models only through the *public*
catalog: models registered with BYOM (``register_model``, what :mod:`bench.acquire.importer` does) answer
``404 Model not found``. Offline there is no public catalog at all. What does work — found by
reading the SDK's native library and the Foundry-Local sources, **not documented** — is to give
the service a model cache that looks exactly like one the public catalog filled:

1. ``<cache>/foundry.modelinfo.json``, the catalog's offline snapshot that Foundry writes after a
   successful catalog fetch and reads back when a fetch fails::

       {"version": 1, "savedAtUnix": 1795373900, "models": [
         {"id": "tiny-test:1", "name": "tiny-test", "version": 1, "alias": "tiny-test",
          "uri": "local://tiny-test", "providerType": "FoundryLocal", "modelType": "ONNX",
          "displayName": "...", "publisher": "local", "license": "MIT",
          "task": "chat-completion", "fileSizeMb": 1, "createdAt": 1795373900,
          "runtime": {"deviceType": "CPU", "executionProvider": "CPUExecutionProvider"}}]}

   ``version`` must be exactly 1 (any other value: the snapshot is ignored and no model is
   listed). An entry in the snapshot makes ``GET /v1/models`` list the id.
2. ``<cache>/local/<id with ':' -> '-'>/`` holding the model files plus ``inference_model.json``
   ``{"Name": "<id>", "PromptTemplate": null}``: Foundry's cache scanner treats a folder with
   ``genai_config.json`` and ``inference_model.json`` as a downloaded model with that id. Without
   it the id is listed but ``/models/load`` answers "Model not cached". Here the model files are
   symlinks to the imported folder (no copy; a copy is the fallback where symlinks fail).
3. The catalog URL points at a dead loopback port, so the live fetch fails fast (≈4 s of
   retries, once) and nothing overwrites the snapshot.

The alias is the id without its version, because :class:`~bench.backends.openai_compat.OpenAIBackend`
loads ``/models/load/<id before ':'>``; the importer's ids (``<name>:1``) make that the model's name.

The snapshot lives in its own cache folder (``<data dir>/service-cache/port-<port>``), never in
the BYOM cache the rest of SLM Bench uses, so serving cannot disturb in-process runs. Every step is
checked after start-up; when a future SDK stops honouring the trick, :func:`serve` raises a
:class:`~bench.errors.BenchError` that says so and names the SDK version.

The manager is a process-wide singleton configured once, so :func:`serve` must run in a fresh
process: ``python -m bench serve`` (:mod:`bench.acquire.foundry_service`) does, and
:func:`bench.acquire.service_process.start_service_process` launches one. This module only reads
and writes files: which imported models to serve and the cache that presents them.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import paths
from bench.acquire.ports import port_in_use
from bench.errors import BenchError
from bench.paths import dir_size
from bench.units import MB

SNAPSHOT_FILE = "foundry.modelinfo.json"  # the public catalog's offline snapshot
SNAPSHOT_VERSION = 1
BYOM_FILE = "foundry.local.modelinfo.json"  # BYOM registrations (written by register_model)
INFERENCE_MODEL_FILE = "inference_model.json"
IMPORT_MANIFEST = ".slm-bench-import.json"  # written by bench.acquire.importer
DEFAULT_PORT = 5273
# Privileged loopback ports nobody listens on: the catalog fetch fails at once (connection refused).
DEAD_CATALOG_PORTS = (9, 7, 1, 13, 17, 19)
CATALOG_PATH = "/asset-gallery/v1.0/models"  # the SDK insists on this path suffix


def sdk_version() -> str:
    try:
        return metadata.version("foundry-local-sdk")
    except metadata.PackageNotFoundError:
        return "unknown"


def trick_broken(what: str) -> BenchError:
    """The one error for 'the undocumented snapshot trick no longer works with this SDK'."""
    return BenchError(
        f"foundry-local-sdk {sdk_version()}",
        f"serving imported models over Foundry Local's web service stopped working: {what}. "
        "The service reads an undocumented offline catalog snapshot (see bench/acquire/foundry_service.py) "
        "and this SDK version no longer honours it",
        "benchmark in-process instead (omit --endpoint), pin foundry-local-sdk==2.2.1, or serve "
        "the model with another OpenAI-compatible server (llama-server) and pass --endpoint",
    )


# --------------------------------------------------------------------------- which models


@dataclass(frozen=True)
class ServedModel:
    """One imported model as the web service will know it."""

    model_id: str  # what /v1/models lists and /v1/chat/completions takes: "<name>:1"
    alias: str  # what /models/load/{alias} takes: the id without ":<version>"
    source_dir: Path  # the imported ONNX Runtime GenAI folder
    display_name: str = ""
    license: str = ""
    size_bytes: int | None = None
    info: dict[str, Any] = field(default_factory=dict, compare=False)  # BYOM model_info, if any

    @property
    def name(self) -> str:
        return self.alias

    @property
    def version(self) -> int:
        _, _, ver = self.model_id.rpartition(":")
        return int(ver) if ver.isdigit() else 1

    @property
    def folder_name(self) -> str:
        return self.model_id.replace(":", "-")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _byom_registrations() -> list[tuple[dict[str, Any], Path]]:
    """(model_info, model_path) of every BYOM registration in SLM Bench's Foundry cache."""
    data = _read_json(paths.foundry_cache_dir() / BYOM_FILE)
    out = []
    for entry in (data or {}).get("models", []) if isinstance(data, dict) else []:
        if not isinstance(entry, dict):
            continue
        info, path = entry.get("model_info"), entry.get("model_path")
        if isinstance(info, dict) and isinstance(info.get("id"), str) and isinstance(path, str):
            out.append((info, Path(path)))
    return out


def _imported_folders() -> dict[str, Path]:
    root = paths.models_dir()
    return {
        p.name: p
        for p in sorted(root.iterdir())
        if p.is_dir() and not p.name.startswith(".") and (p / "genai_config.json").is_file()
    }


def resolve_models(names: list[str]) -> list[ServedModel]:
    """Imported models by name (``tiny-test``) or id (``tiny-test:1``).

    Looks in the BYOM registrations first, then in ``.slm-bench/models/<name>`` (a converted folder
    that was never registered is served as ``<name>:1``). Reads files only: no manager needed.
    """
    if not names:
        raise BenchError("models", "no model given", "name at least one imported model, e.g. tiny-test")
    registered = _byom_registrations()
    folders = _imported_folders()
    served: list[ServedModel] = []
    for name in names:
        match = next(
            (
                (info, path)
                for info, path in registered
                if name in (info.get("id"), info.get("alias"), info.get("name"))
            ),
            None,
        )
        if match is not None:
            info, path = match
            model_id = str(info["id"])
        else:
            base = name.rsplit(":", 1)[0] if ":" in name else name
            if base not in folders:
                known = sorted({str(i.get("id")) for i, _ in registered} | {f"{n}:1" for n in folders})
                raise BenchError(
                    name,
                    "is not an imported model",
                    f"known: {', '.join(known) or 'none'}; import one with `python -m bench models import`",
                )
            info, path = {}, folders[base]
            manifest = _read_json(path / IMPORT_MANIFEST) or {}
            model_id = str(manifest.get("model_id") or f"{base}:1")
        if not (path / "genai_config.json").is_file():
            raise BenchError(
                model_id,
                f"its folder {path} has no genai_config.json",
                "re-import the model with `python -m bench models import ... --force`",
            )
        manifest = _read_json(path / IMPORT_MANIFEST) or {}
        if model_id in {m.model_id for m in served}:
            continue
        served.append(
            ServedModel(
                model_id=model_id,
                alias=model_id.rsplit(":", 1)[0],
                source_dir=path,
                display_name=str(info.get("displayName") or manifest.get("display_name") or ""),
                license=str(info.get("license") or manifest.get("license") or ""),
                size_bytes=manifest.get("size_bytes") or (dir_size(path) or 0),
                info=info,
            )
        )
    return served


# --------------------------------------------------------------------------- the snapshot


def service_cache_path(port: int) -> Path:
    """The web service's own model cache, apart from the BYOM cache (one per port)."""
    return paths.data_dir() / "service-cache" / f"port-{port}"


def service_cache_dir(port: int) -> Path:
    """:func:`service_cache_path`, created."""
    path = service_cache_path(port)
    path.mkdir(parents=True, exist_ok=True)
    return path


def snapshot_entry(model: ServedModel, now: int) -> dict[str, Any]:
    """One model in the format Foundry writes for public-catalog models (ModelInfoToJson)."""
    entry: dict[str, Any] = {
        "id": model.model_id,
        "name": model.alias,
        "version": model.version,
        "alias": model.alias,
        "uri": f"local://{model.alias}",
        "providerType": "FoundryLocal",
        "modelType": "ONNX",
        "displayName": model.display_name or model.alias,
        "publisher": "local",
        "task": "chat-completion",
        "runtime": {"deviceType": "CPU", "executionProvider": "CPUExecutionProvider"},
        "createdAt": int(model.info.get("createdAt") or now),
    }
    if model.license:
        entry["license"] = model.license
    if model.size_bytes:
        entry["fileSizeMb"] = max(1, int(model.size_bytes) // MB)
    return entry


def _link_folder(source: Path, dest: Path, model_id: str) -> None:
    """``dest``: symlinks to every entry of ``source`` plus Foundry's ``inference_model.json``."""
    if dest.is_symlink() or dest.is_file():
        dest.unlink()
    elif dest.exists():
        shutil.rmtree(dest)  # removes our links only, never their targets
    dest.mkdir(parents=True)
    for item in sorted(source.iterdir()):
        if item.name in (INFERENCE_MODEL_FILE, IMPORT_MANIFEST):
            continue
        target = dest / item.name
        try:
            target.symlink_to(item.resolve(), target_is_directory=item.is_dir())
        except OSError:  # no symlinks here (some Windows setups): copy instead
            if item.is_dir():
                shutil.copytree(item, target)
            else:
                shutil.copy2(item, target)
    (dest / INFERENCE_MODEL_FILE).write_text(
        json.dumps({"Name": model_id, "PromptTemplate": None}, indent=2), encoding="utf-8"
    )


def write_snapshot(models: list[ServedModel], cache_dir: Path) -> Path:
    """Write the offline catalog snapshot and the model folders; return the snapshot's path.

    Anything a previous serve left in ``cache_dir`` is replaced, so the service lists exactly
    ``models``.
    """
    now = int(time.time())
    local = cache_dir / "local"
    if local.exists():
        shutil.rmtree(local)
    for model in models:
        _link_folder(model.source_dir, local / model.folder_name, model.model_id)
    snapshot = {
        "version": SNAPSHOT_VERSION,
        "savedAtUnix": now,
        "models": [snapshot_entry(m, now) for m in models],
    }
    path = cache_dir / SNAPSHOT_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(snapshot, indent=2), encoding="utf-8")
    os.replace(tmp, path)
    return path


def dead_catalog_url() -> str:
    """A catalog URL on a loopback port that refuses connections (so no live fetch succeeds)."""
    for port in DEAD_CATALOG_PORTS:
        if not port_in_use("127.0.0.1", port):
            return f"http://127.0.0.1:{port}{CATALOG_PATH}"
    raise BenchError(
        "catalog",
        f"every loopback port in {DEAD_CATALOG_PORTS} answers, so none can stand in for an offline catalog",
        "stop whatever listens on those ports",
    )
