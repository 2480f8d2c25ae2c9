"""Checks at the end of a real run (the tiny model in Foundry Local) and through the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.inputs.config import PromptSet, RunSettings
from bench.quality.checks.source import ChecksProvider
from bench.quality.checks.store import frame
from bench.run.runner import run_benchmark
from bench.store.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_inprocess import cli

REPO = Path(__file__).resolve().parent.parent

# The tiny model writes random tokens: these checks have known verdicts whatever it says.
PROMPTS = PromptSet.model_validate(
    {
        "name": "checked",
        "prompts": [
            {
                "id": "any",
                "prompt": "Say something.",
                "checks": [
                    {"type": "max_chars", "value": 100000},
                    {"type": "regex", "pattern": "^\\A\\Z impossible"},
                ],
            },
            {"id": "plain", "prompt": "No checks."},
        ],
    }
)


def test_a_run_evaluates_its_checks_when_it_ends(tiny_model: str, db_path: Path) -> None:
    store = Store(db_path)
    settings = RunSettings(models=[tiny_model], rounds=2, warmup=1, max_tokens=8)
    run_id, status = run_benchmark(store, settings, PROMPTS)
    assert status == "completed"
    results = frame(store, [run_id])
    assert len(results) == 4  # 2 measured rounds x 2 checks of the one prompt with checks
    by_type = results.groupby("check_type")["passed"].apply(list).to_dict()
    assert by_type == {"max_chars": [True, True], "regex": [False, False]}
    summary = ChecksProvider().summary(store, [run_id])
    assert summary["mean"].tolist() == [0.0] and summary["n"].tolist() == [1]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", "checks", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


def test_cli_checks_a_stored_run(tmp_path: Path) -> None:
    from tests.test_checks import PROMPTS as MINI
    from tests.test_checks import _run

    db = tmp_path / "bench.db"
    run_id = _run(Store(db), MINI)
    # in-process (cli_inprocess): the verdicts and words are the subject; the next test runs a real process
    done = cli("checks", run_id, "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert "not run (4): code execution needs your consent" in " ".join(done.stderr.split())
    assert "good" in done.stdout and "100%" in done.stdout
    with_code = cli("checks", run_id, "--db", str(db), "--allow-code")
    assert with_code.returncode == 0, with_code.stderr
    assert "4 checks evaluated (2 passed, 2 failed, 0 not run), 16 kept from before" in with_code.stderr
    assert "python_tests" in with_code.stdout


def test_cli_names_an_unknown_run(tmp_path: Path) -> None:
    done = _cli("no-such-run", "--db", str(tmp_path / "bench.db"))
    assert done.returncode == 2
    assert "no-such-run: no such run" in done.stderr and "Traceback" not in done.stderr
