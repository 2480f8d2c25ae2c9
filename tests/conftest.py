"""Shared fixtures.

Models are real and expensive to build, so they live in the repo's ``.slm-bench`` (the same place
``make app`` uses) and are reused across test runs; every test gets its own SQLite file, and the
default database is pointed at a temporary file so tests never touch a user's ``bench.db``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("SLM_BENCH_DB", str(Path(tempfile.mkdtemp(prefix="slm-bench-tests-")) / "default.db"))
# the tiny random-weight test model is hidden from users' model lists; the tests use it
os.environ.setdefault("SLM_BENCH_SHOW_TEST_MODELS", "1")


@pytest.fixture(scope="session")
def tiny_model() -> str:
    """Name of the tiny random-weight test model, built locally (no download) and registered."""
    from bench.acquire.importer import ensure_tiny_model

    return ensure_tiny_model()


@pytest.fixture(scope="session")
def default_model() -> str:
    """The real default model (SmolLM2-135M from PyPI), converted and registered once."""
    from bench.acquire.importer import ensure_default_model

    return ensure_default_model()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bench.db"


@pytest.fixture
def prompt_file(tmp_path: Path) -> Path:
    """A two-prompt set in the workshop's bare-list format."""
    path = tmp_path / "prompts.json"
    path.write_text('["Say hello.", "Name a color."]', encoding="utf-8")
    return path


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app's page tests: this test's own database and app folder (endpoints, user sets)."""
    monkeypatch.setenv("SLM_BENCH_DB", str(tmp_path / "bench.db"))
    monkeypatch.setenv("SLM_BENCH_APP_DIR", str(tmp_path / "app"))
    monkeypatch.delenv("FOUNDRY_LOCAL_ENDPOINT", raising=False)
    return tmp_path
