"""Serve imported models over Foundry Local's own OpenAI-compatible web service (in this process).

``foundry-local-sdk`` 2.2.1's web service resolves models only through the *public* catalog, so
models registered with BYOM answer 404 and, offline, nothing is listed at all. It does serve a
model cache that looks like one the public catalog filled: :mod:`bench.acquire.service_snapshot`
writes that cache (the undocumented trick, explained there), :func:`start` points a fresh manager
at it and checks every step after start-up, and :func:`serve` runs it until SIGTERM. When a future
SDK stops honouring the trick, :func:`start` raises a :class:`~bench.errors.BenchError` that says so.

The manager is a process-wide singleton configured once, so :func:`serve` must run in a fresh
process: ``python -m bench serve`` does, and :func:`bench.acquire.service_process.start_service_process`
launches one. The names of those modules are re-exported here, the service's one public face.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from pathlib import Path
from typing import Any

from bench.acquire.ports import base_url, free_port, port_in_use
from bench.acquire.service_process import ServiceHandle, start_service_process
from bench.acquire.service_snapshot import (
    BYOM_FILE,
    DEFAULT_PORT,
    IMPORT_MANIFEST,
    INFERENCE_MODEL_FILE,
    SNAPSHOT_FILE,
    ServedModel,
    dead_catalog_url,
    resolve_models,
    sdk_version,
    service_cache_dir,
    service_cache_path,
    snapshot_entry,
    trick_broken,
    write_snapshot,
)
from bench.errors import BenchError

__all__ = [
    "BYOM_FILE", "DEFAULT_PORT", "IMPORT_MANIFEST", "SNAPSHOT_FILE", "ServedModel", "ServiceHandle", "base_url",
    "free_port", "port_in_use", "resolve_models", "sdk_version", "serve", "service_cache_dir",
    "service_cache_path", "snapshot_entry", "start", "start_service_process", "trick_broken", "write_snapshot",
]  # fmt: skip


def _check_served(manager: Any, models: list[ServedModel], url: str) -> None:
    """After start-up: the service lists every model and sees its files (else: trick broken)."""
    import httpx

    try:
        listed = httpx.get(f"{url}/models", timeout=60).json()
        ids = {str(m.get("id")) for m in listed.get("data", [])}
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        raise trick_broken(f"GET {url}/models failed ({exc})") from None
    missing = [m.model_id for m in models if m.model_id not in ids]
    if missing:
        raise trick_broken(
            f"GET /v1/models lists {sorted(ids) or 'nothing'}, not {missing} "
            f"(the snapshot {SNAPSHOT_FILE} was not read)"
        )
    for model in models:
        variant = manager.catalog.get_model_variant(model.model_id)
        if variant is None or not variant.is_cached:
            raise trick_broken(
                f"{model.model_id} is listed but its folder local/{model.folder_name} is not seen as "
                f"a cached model ({INFERENCE_MODEL_FILE} ignored)"
            )


def _init_manager(cache_dir: Path, host: str, port: int) -> Any:
    from foundry_local_sdk import Configuration, FoundryLocalManager, LogLevel

    from bench.foundry_runtime import APP_NAME

    if FoundryLocalManager.instance is not None:
        raise BenchError(
            "serve",
            "Foundry Local is already initialised in this process (the manager is a singleton)",
            "run `python -m bench serve` in its own process, or use start_service_process()",
        )
    logs = cache_dir / "logs"
    logs.mkdir(exist_ok=True)
    config = Configuration(
        app_name=APP_NAME,
        model_cache_dir=str(cache_dir),
        logs_dir=str(logs),
        log_level=LogLevel.WARNING,
        disable_nonessential_telemetry=True,
        catalog_urls=[(dead_catalog_url(), None)],
        web=Configuration.WebService(urls=f"http://{host}:{port}"),
    )
    FoundryLocalManager.initialize(config)
    assert FoundryLocalManager.instance is not None
    return FoundryLocalManager.instance


def start(
    models: list[str], host: str = "127.0.0.1", port: int = DEFAULT_PORT, load: bool = False
) -> tuple[Any, list[ServedModel], str]:
    """Write the snapshot, start the web service and check it; return (manager, models, base URL)."""
    from foundry_local_sdk import FoundryLocalException

    served = resolve_models(models)
    if port_in_use(host, port):
        raise BenchError(
            f"{host}:{port}",
            "the port is already in use",
            "stop the other server (another `python -m bench serve`?) or pass --port",
        )
    cache_dir = service_cache_dir(port)
    write_snapshot(served, cache_dir)
    manager = _init_manager(cache_dir, host, port)
    try:
        manager.start_web_service()
    except FoundryLocalException as exc:
        raise BenchError(
            f"{host}:{port}", f"the web service did not start: {exc}", "try another --port"
        ) from None
    url = base_url(host, port)
    _check_served(manager, served, url)
    if load:
        for model in served:
            try:
                manager.catalog.get_model_variant(model.model_id).load()
            except FoundryLocalException as exc:
                raise BenchError(
                    model.model_id, f"failed to load: {exc}", f"check the model folder {model.source_dir}"
                ) from None
    return manager, served, url


def serve(
    models: list[str],
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    home: str | Path | None = None,
    load: bool = False,
    ready: Any = None,
) -> None:
    """Serve imported ``models`` at ``http://host:port/v1`` until SIGTERM or SIGINT.

    Must be the first use of Foundry Local in this process. ``home`` overrides the data folder
    (``SLM_BENCH_HOME``); ``load`` loads the models up front (else the client loads them through
    ``/models/load/{alias}``, which is how a benchmark times the load). ``ready`` is called with
    ``(models, url)`` once the service answers.
    """
    if home is not None:
        os.environ["SLM_BENCH_HOME"] = str(home)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        manager, served, url = start(models, host, port, load)
        if ready is not None:
            ready(served, url)
        while not stop.wait(0.5):
            pass
        with contextlib.suppress(Exception):
            manager.stop_web_service()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
