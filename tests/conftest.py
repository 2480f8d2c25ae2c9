"""Shared fixtures.

Models are real and expensive to build, so they live in the test session's own data folder
(``<repo>/.slm-bench-test``, see ``tests/isolation.py``), kept between runs, never in the user's
``.slm-bench`` (a guard refuses writes there); every test gets its own SQLite file, and the default
database is pointed at a temporary file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import home_builder
import isolation
import pytest

isolation.install()
os.environ.setdefault("SLM_BENCH_DB", str(Path(tempfile.mkdtemp(prefix="slm-bench-tests-")) / "default.db"))
# the terminal's width is not the tests': rich's consoles are made when bench.cli is imported and
# keep a COLUMNS they saw then (xdist workers and narrow terminals set 80), so a test that passes its
# own COLUMNS to CliRunner failed there; without it, each console asks at print time
os.environ.pop("COLUMNS", None)
os.environ.pop("SLM_BENCH_BUILD_ENV_LOG", None)  # set by `make app` only; the tests that need it set it
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
    from bench.acquire import sources
    from bench.acquire.importer import ensure_default_model

    isolation.seed_default_model(sources.DEFAULT_MODEL)
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


_USER_MODELS_AT_START = isolation.user_models()


_BUILDER = pytest.StashKey["object"]()  # the controller's background builder of the test home's models


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist) decides, once
        config.stash[_BUILDER] = home_builder.start(config)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the session if the user's model list grew while it ran (a child process that escaped
    the test home would show here: the audit hook only sees this process's own writes)."""
    if hasattr(session.config, "workerinput"):
        return  # xdist workers: the controller checks once
    home_builder.stop(session.config.stash.get(_BUILDER, None))
    added = sorted(isolation.user_models() - _USER_MODELS_AT_START)
    if added:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"FAILED: the tests added {added} to the user's {isolation.USER_HOME}", red=True
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# ---- what a test needs, for `make check` (lint + the tests that need no model, server or browser) ----
# Read off a test's fixtures (their closure: a fixture that builds on tiny_model counts) and off its
# module's source (a module that starts processes, servers, the app, runs or the code sandbox), so a
# new test is classified without anyone remembering to mark it.
_NEEDS = {
    "model": {"tiny_model", "default_model", "tiny_copy"},
    "server": {"env", "pg", "fault", "fake", "fake_server", "service", "backend", "loaded", "app_url"},
    "browser": {"app_url"},
}
_SERVER_SOURCE = (
    "subprocess", "AppTest", "app_support", "FaultServer", "fault_server", "pg_server", "pg_mode",
    "playwright", "HTTPServer", "run_benchmark", "checks.sandbox", "checks.evaluate", "foundry",
)  # fmt: skip
_module_needs: dict[Path, bool] = {}


def _module_starts_things(path: Path) -> bool:
    if path not in _module_needs:
        source = path.read_text(encoding="utf-8", errors="replace")
        _module_needs[path] = any(needle in source for needle in _SERVER_SOURCE)
    return _module_needs[path]


# Long modules start first, so the 2 workers never end with one of them running alone for minutes:
# browser and real-model modules, then the rest as collected (whole modules stay together: their
# module-scoped servers start once). The SIGKILL test's 48 CLI processes took 140 s (issue 18 run).
_RANK = {"browser": 0, "slow": 1, "model": 2}
_LONG_MODULES = {"test_reliability_kill.py": 0}


def _module_rank(items: list[pytest.Item]) -> dict[Path, int]:
    ranks: dict[Path, int] = {}
    needs_model: set[Path] = set()
    for item in items:
        path = Path(item.path)
        marks = {m.name for m in item.iter_markers()}
        rank = min([_LONG_MODULES.get(path.name, 9)] + [_RANK[m] for m in marks if m in _RANK])
        ranks[path] = min(rank, ranks.get(path, 9))
        if marks & {"model", "browser"} or path.name in _LONG_MODULES:
            needs_model.add(path)
    if home_builder.home_is_cold():  # the models are being built: what needs none goes first
        ranks = {path: rank if path in needs_model else -1 for path, rank in ranks.items()}
    return ranks


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for mark, fixtures in _NEEDS.items():
            if used & fixtures:
                item.add_marker(mark)
        if _module_starts_things(Path(item.path)):
            item.add_marker("server")
    ranks = _module_rank(items)
    items.sort(key=lambda item: ranks[Path(item.path)])  # stable: collection order within a rank
