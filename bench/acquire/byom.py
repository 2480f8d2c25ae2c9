"""Register a converted folder in Foundry Local's local catalog (bring your own model, BYOM).

Foundry Local lists a registered folder as ``<name>:1`` and derives the alias ``<name>``; a second
registration of the same folder is reused, one of a different folder replaces it (unloading the
old model first: files of a loaded model must not change under it).
"""

from __future__ import annotations

import os
from pathlib import Path

from bench.errors import BenchError
from bench.paths import dir_size
from bench.units import MB

MODEL_VERSION = 1


def local_catalog():  # -> foundry_local_sdk.Catalog (imported lazily: it loads a native library)
    """Foundry Local's catalog of registered (BYOM) models, through the process-wide manager."""
    from foundry_local_sdk import CatalogType

    from bench.foundry_runtime import get_manager

    return get_manager().get_catalog(CatalogType.LOCAL)


def _same_path(a: str, b: Path) -> bool:
    return bool(a) and os.path.realpath(a) == os.path.realpath(b)


def unload_if_loaded(model_id: str) -> None:
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
    size_mb = max(1, (dir_size(folder) or 0) // MB)
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
