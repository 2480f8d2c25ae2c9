"""Process-wide resources, cached with ``st.cache_resource`` / ``st.cache_data``.

The Foundry Local manager is a singleton of the native runtime (a second ``initialize`` raises),
so it is created once per server process here and shared by every session and every page.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import streamlit as st

from bench import paths
from bench.errors import BenchError
from bench.store.store import Store
from ui.errors import show_error

if TYPE_CHECKING:
    from bench.backends.base import ModelEntry
    from bench.backends.foundry import FoundryBackend


@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    return Store(path)


def store() -> Store:
    """The run database (``SLM_BENCH_DB`` or ``.slm-bench/bench.db``), one object per path."""
    return _store(str(paths.default_db_path()))


@st.cache_resource(show_spinner="Starting Foundry Local…")
def foundry_manager() -> Any:
    """The Foundry Local manager, initialised once for the server process."""
    from bench.foundry_runtime import get_manager

    return get_manager()


@dataclass(frozen=True)
class FoundryStatus:
    ok: bool
    sdk_version: str = ""
    cache_dir: str = ""
    init_seconds: float | None = None
    execution_providers: tuple[str, ...] = ()
    error: str = ""


@st.cache_resource(show_spinner=False)
def foundry_status() -> FoundryStatus:
    """SDK version, cache folder and execution providers, or why the runtime did not start."""
    try:
        manager = foundry_manager()
        from bench.foundry_runtime import runtime_info

        info = runtime_info()
        eps = ["CPUExecutionProvider (built in)"]
        try:
            for ep in manager.discover_eps() or []:
                name = getattr(ep, "name", None) or str(ep)
                registered = getattr(ep, "is_registered", getattr(ep, "registered", None))
                eps.append(f"{name} ({'registered' if registered else 'available'})")
        except Exception as exc:  # discovery is informative only
            eps.append(f"discovery failed: {exc}")
        return FoundryStatus(
            ok=True,
            sdk_version=info.sdk_version,
            cache_dir=info.model_cache_dir,
            init_seconds=info.init_seconds,
            execution_providers=tuple(eps),
        )
    except Exception as exc:
        return FoundryStatus(ok=False, error=f"{type(exc).__name__}: {exc}")


def foundry_backend() -> FoundryBackend:
    """The in-process backend (raises BenchError when the runtime cannot start)."""
    status = foundry_status()
    if not status.ok:
        raise BenchError(
            "Foundry Local",
            f"the in-process runtime did not start: {status.error}",
            "reinstall foundry-local-sdk==2.2.1 into .venv (make venv) and restart the app",
        )
    foundry_manager()
    from bench.backends import backend_for
    from bench.backends.foundry import FoundryBackend

    backend = backend_for()
    assert isinstance(backend, FoundryBackend)  # the registry's in-process kind
    return backend


# ---- model listings ------------------------------------------------------------------------------
def models_version() -> int:
    """Bumped whenever a job changes what Foundry knows (import, download, load, unload)."""
    from ui.jobs import registry

    return registry().models_version


def _registry_stamp() -> int:
    """Changes when any process (the CLI, a test, another app) registers or removes a model."""
    registry_file = paths.foundry_cache_dir() / "foundry.local.modelinfo.json"
    return registry_file.stat().st_mtime_ns if registry_file.exists() else 0


@st.cache_data(show_spinner=False, ttl=600)
def _foundry_models(version: int, registry_stamp: int) -> list[ModelEntry]:
    return foundry_backend().list_models()


#: the random-weight model the test suite builds (``bench.acquire.importer.TINY_NAME``): its answers
#: are noise, so users never see it; tests set ``SLM_BENCH_SHOW_TEST_MODELS=1``
TEST_MODELS = frozenset({"tiny-test"})


def show_test_models() -> bool:
    return os.environ.get("SLM_BENCH_SHOW_TEST_MODELS", "").strip().lower() in {"1", "true", "yes"}


def foundry_models() -> list[ModelEntry]:
    """Local catalog (imported models) and cache. The first call of a process takes ~5 s offline."""
    entries = _foundry_models(models_version(), _registry_stamp())
    if show_test_models():
        return entries
    return [e for e in entries if e.name not in TEST_MODELS and e.model_id.split(":")[0] not in TEST_MODELS]


@st.cache_data(show_spinner=False, ttl=3600)
def _public_models(version: int) -> tuple[list[ModelEntry], float]:
    started = time.perf_counter()
    entries = foundry_backend().list_models(include_public=True)
    return [e for e in entries if e.source == "public catalog"], time.perf_counter() - started


def public_models() -> tuple[list[ModelEntry], float]:
    """The public Foundry catalog (empty offline, after ~5 s of retries) and how long it took."""
    return _public_models(models_version())


def refresh_models() -> None:
    _foundry_models.clear()
    _public_models.clear()


def runnable_foundry_models() -> list[str]:
    """Names of the Foundry Local models a run or a judge can use here (imported or cached).

    Shows why the list is empty (runtime did not start, catalog error) so callers only add their
    own hint about where to get a model.
    """
    status = foundry_status()
    if not status.ok:
        show_error(status.error, title="Foundry Local (in-process) did not start.")
        return []
    with st.spinner("Reading the Foundry Local catalog…"):
        try:
            return [e.name for e in foundry_models() if e.cached or e.source == "local catalog"]
        except BenchError as exc:
            show_error(exc)
            return []


def confirmed_keys() -> set[tuple[str, str]]:
    """``(env var, base URL)`` pairs the user allowed this session (see bench.backends.keys)."""
    return st.session_state.setdefault("confirmed_key_vars", set())


def resume_keys(run: dict[str, Any]) -> set[tuple[str, str]]:
    """The stored run's (key variable, URL) pairs this person allowed: ticked on the Models page, or an
    ``SLM_BENCH_KEY_*`` variable of one of their own endpoints. A stranger's run gets neither."""
    from bench.backends.keys import SAFE_PREFIX
    from bench.inputs import user_files

    stored = run.get("settings", {})
    places = [stored, *(stored.get("model_endpoints") or {}).values()]
    pairs = {
        (p.get("api_key_env"), p.get("endpoint"))
        for p in places
        if p.get("api_key_env") and p.get("endpoint")
    }
    own = {e.base_url for e in user_files.all_endpoints()}
    return {
        (env, url)
        for env, url in pairs
        if (env, url) in confirmed_keys() or (env.startswith(SAFE_PREFIX) and url in own)
    }


def endpoint_api_key(base_url: str, api_key_env: str | None) -> str | None:
    """The endpoint's key when its variable may be sent there; else a BenchError saying how to allow it."""
    from bench.backends.keys import endpoint_key

    return endpoint_key(api_key_env, base_url, confirmed_keys())


def endpoint_models(base_url: str, api_key_env: str | None) -> list[str]:
    """Models an endpoint serves (GET /v1/models); raises EndpointError when it is down (not cached)."""
    from bench.backends import key_identity

    key = endpoint_api_key(base_url, api_key_env)
    return _endpoint_models(base_url, key_identity(key), key)


@st.cache_data(ttl=30, show_spinner="Asking the endpoint for its models…")
def _endpoint_models(base_url: str, key_id: str, _key: str | None) -> list[str]:
    """Cached per URL and key fingerprint (``_key`` is not hashed by Streamlit, so never kept)."""
    from bench.backends import backend_for

    return backend_for(base_url, _key).model_ids(refresh=True)
