"""Tests keep out of the user's ``.slm-bench`` (issue 18: ``tiny-test`` showed in the user's list).

The whole session runs with ``SLM_BENCH_HOME`` = the test home (``tests/isolation.py``); these tests
check that the test process, its children and the model fixtures all land there, and that the
guard refuses a write into the user's folder.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import isolation
import pytest

from bench import paths
from bench.acquire import importer


def test_the_session_and_its_children_use_the_test_home_not_the_users() -> None:
    assert isolation.TEST_HOME != isolation.USER_HOME
    assert paths.data_dir().resolve() == isolation.TEST_HOME
    assert not isolation.inside_user_home(paths.models_dir())
    assert not isolation.inside_user_home(paths.foundry_cache_dir())
    child = subprocess.run(
        [sys.executable, "-c", "from bench import paths; print(paths.data_dir().resolve())"],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert Path(child.stdout.strip()) == isolation.TEST_HOME


@pytest.mark.parametrize(
    "write",
    [
        lambda p: (p / "probe.txt").write_text("x"),
        lambda p: os.open(p / "probe.txt", os.O_WRONLY | os.O_CREAT),
        lambda p: os.mkdir(p / "probe"),
        lambda p: sqlite3.connect(p / "probe.db"),
    ],
    ids=["open", "os.open", "mkdir", "sqlite"],
)
def test_a_write_into_the_users_folder_is_refused(write: Callable[[Path], object]) -> None:
    target = isolation.USER_HOME / "models"
    before = sorted(p.name for p in target.glob("*")) if target.exists() else None
    with pytest.raises(isolation.UserDataWrite, match="user's data folder"):
        write(target)
    after = sorted(p.name for p in target.glob("*")) if target.exists() else None
    assert after == before


def test_reading_the_users_folder_is_allowed_and_lookalike_names_are_not_caught() -> None:
    """The guard is about writes under the user's folder, not ``.slm-bench-test`` beside it."""
    assert not isolation.inside_user_home(str(isolation.USER_HOME) + "-test/x")
    assert isolation.inside_user_home(isolation.USER_HOME / "models" / "x")
    list(isolation.USER_HOME.glob("*"))  # a read raises nothing


def test_the_tiny_model_is_built_and_registered_in_the_test_home(tiny_model: str) -> None:
    assert importer.model_dir(tiny_model).resolve().is_relative_to(isolation.TEST_HOME)
    assert importer.read_manifest(importer.model_dir(tiny_model))
    info = json.loads(
        (paths.foundry_cache_dir() / "foundry.local.modelinfo.json").read_text(encoding="utf-8")
    )
    assert "tiny-test" in json.dumps(info)
    import conftest

    assert isolation.user_models() == conftest._USER_MODELS_AT_START  # the user's list did not grow
