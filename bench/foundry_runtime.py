"""The process-wide Foundry Local manager.

``FoundryLocalManager`` is a singleton in the native runtime: a second ``initialize`` raises. Every
caller in SLM Bench (backend, importer, model listing, the app through ``st.cache_resource``) goes
through :func:`get_manager`, which initialises it once with SLM Bench's own cache and log folders.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench import paths

if TYPE_CHECKING:
    from foundry_local_sdk import FoundryLocalManager

APP_NAME = "slm-bench"
_lock = threading.Lock()


@dataclass(frozen=True)
class RuntimeInfo:
    """What the Home page and run metadata show about the in-process runtime."""

    sdk_version: str
    model_cache_dir: str
    init_seconds: float
    web_urls: tuple[str, ...]
    catalog_urls: tuple[str, ...]


_info: RuntimeInfo | None = None


def catalog_urls_from_env() -> list[tuple[str, str | None]] | None:
    """``SLM_BENCH_CATALOG_URL`` overrides the public catalog (comma list); unset keeps Azure's."""
    raw = os.environ.get("SLM_BENCH_CATALOG_URL", "").strip()
    if not raw:
        return None
    return [(url.strip(), None) for url in raw.split(",") if url.strip()]


def get_manager(web_urls: str | None = None) -> FoundryLocalManager:
    """Return the initialised manager, creating it on first use.

    ``web_urls`` only matters on the first call of the process (the web service binds what the
    configuration named at initialisation).
    """
    global _info
    from foundry_local_sdk import (
        Configuration,
        FoundryLocalManager,
        LogLevel,
        __version__,
    )

    with _lock:
        if FoundryLocalManager.instance is not None:
            return FoundryLocalManager.instance
        catalog = catalog_urls_from_env()
        config = Configuration(
            app_name=APP_NAME,
            model_cache_dir=str(paths.foundry_cache_dir()),
            logs_dir=str(paths.foundry_logs_dir()),
            log_level=LogLevel.WARNING,
            disable_nonessential_telemetry=True,
            catalog_urls=catalog,
            web=Configuration.WebService(urls=web_urls) if web_urls else None,
        )
        started = time.perf_counter()
        FoundryLocalManager.initialize(config)
        _info = RuntimeInfo(
            sdk_version=__version__,
            model_cache_dir=str(paths.foundry_cache_dir()),
            init_seconds=time.perf_counter() - started,
            web_urls=tuple(web_urls.split(";")) if web_urls else (),
            catalog_urls=tuple(url for url, _ in catalog or []),
        )
        assert FoundryLocalManager.instance is not None
        return FoundryLocalManager.instance


def runtime_info() -> RuntimeInfo:
    get_manager()
    assert _info is not None
    return _info
