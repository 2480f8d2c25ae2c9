"""Where SLM Bench keeps its files.

Everything lives under one data folder (``SLM_BENCH_HOME``, default ``<repo>/.slm-bench``) so a
user can see, back up or delete it in one place and tests can point it at a temporary folder.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Root of every file SLM Bench writes (models, Foundry cache, database, logs)."""
    root = Path(os.environ.get("SLM_BENCH_HOME", REPO_ROOT / ".slm-bench")).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    return root


def app_dir() -> Path:
    """Files the user makes in the app (endpoints, prompt and rubric sets); ``SLM_BENCH_APP_DIR``
    moves them apart from the models, so tests can use a temporary folder and keep the real models."""
    raw = os.environ.get("SLM_BENCH_APP_DIR")
    root = Path(raw).expanduser() if raw else data_dir()
    root.mkdir(parents=True, exist_ok=True)
    return root


def _sub(name: str) -> Path:
    path = data_dir() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def foundry_cache_dir() -> Path:
    """Foundry Local's model cache (its ``foundry.local.modelinfo.json`` holds BYOM registrations)."""
    return _sub("foundry-cache")


def foundry_logs_dir() -> Path:
    return _sub("logs")


def models_dir() -> Path:
    """Converted ONNX Runtime GenAI folders, one per imported model name."""
    return _sub("models")


def downloads_dir() -> Path:
    """Wheels and GGUF files fetched from PyPI, kept so a second import needs no network."""
    return _sub("downloads")


def results_cache_dir(database: Path) -> Path:
    """Results computed from the SQLite file ``database``, kept across restarts (:mod:`bench.disk_memo`).

    One folder per database, in the user's own data folder, never beside the database: a database may
    sit on a shared drive, and these files are pickles, which run code when read.
    """
    digest = hashlib.sha256(str(database.expanduser().resolve()).encode()).hexdigest()[:16]
    return data_dir() / "results-cache" / digest


def default_db_path() -> Path | str:
    """The store every run, sample, annotation and judgment goes to: a SQLite file, or a team
    server's ``postgresql://USER@HOST/DB`` URL in ``SLM_BENCH_DB`` (kept as text: a Path would
    fold its ``//``)."""
    env = os.environ.get("SLM_BENCH_DB")
    if env and "://" in env:
        return env
    return Path(env).expanduser() if env else data_dir() / "bench.db"


def build_python() -> Path:
    """Python of the conversion environment (``make build-env`` creates it)."""
    env = os.environ.get("SLM_BENCH_BUILD_PYTHON")
    if env:
        return Path(env)
    return REPO_ROOT / ".venv-build" / "bin" / "python"


def dir_size(path: str | Path) -> int | None:
    """Bytes of every regular file under ``path`` (a model folder), or None if it is missing."""
    root = Path(path)
    if not root.exists():
        return None
    if root.is_file():
        return root.stat().st_size
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file() and not f.is_symlink())
