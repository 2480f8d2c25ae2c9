"""The README's two commands, read off the Makefile as make expands them: every recipe line is valid shell.

Seen: an edit left ``BUILD_LOG :=BUILD_LOG := ...`` in the Makefile; ``make test`` (and so CI) still
passed, while ``make app`` stopped at once with "Syntax error: word unexpected". ``make -n`` prints what
each target would run without running it; ``sh -n`` parses a line without executing it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")


def _dry_run(target: str, where: Path) -> list[str]:
    """The shell lines ``make TARGET`` would run, in order (``-B``: as on a fresh clone).

    In a copy of the Makefile in ``where``: make runs a line that calls ``$(MAKE)`` even with ``-n``, and
    ``make app``'s writes the build log under ``.slm-bench/``, which must stay the user's."""
    for name in ("Makefile", "requirements.txt", "requirements-dev.txt", "requirements-build.txt"):
        shutil.copy(ROOT / name, where / name)
    env = {**os.environ, "MAKEFLAGS": ""}
    done = subprocess.run(
        ["make", "-n", "-B", "--no-print-directory", target],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line.strip()]


@pytest.mark.parametrize("target", ["app", "test", "check"])
def test_every_recipe_line_is_valid_shell(target: str, tmp_path: Path) -> None:
    for line in _dry_run(target, tmp_path):
        parsed = subprocess.run(["sh", "-n", "-c", line], capture_output=True, text=True)
        assert parsed.returncode == 0, f"make {target} would run an invalid line:\n{line}\n{parsed.stderr}"


def test_make_app_names_the_build_log_home_waits_for(tmp_path: Path) -> None:
    lines = "\n".join(_dry_run("app", tmp_path))
    assert "> .slm-bench/logs/build-env.log 2>&1 &" in lines  # the conversion venv builds in the background
    assert f"SLM_BENCH_BUILD_ENV_LOG={tmp_path}/.slm-bench/logs/build-env.log" in lines
    assert "-m ui.serve" in lines  # Streamlit's `streamlit run app.py`, with Results prepared at start


def test_make_test_runs_the_whole_suite_on_compiled_bytecode(tmp_path: Path) -> None:
    lines = _dry_run("test", tmp_path)
    pytest_line = next(line for line in lines if "-m pytest" in line)
    assert " -m " not in pytest_line.split("-m pytest", 1)[1]  # no marker filter: the whole suite
    compiled = [i for i, line in enumerate(lines) if "compileall" in line]
    assert compiled and max(compiled) < lines.index(pytest_line)
