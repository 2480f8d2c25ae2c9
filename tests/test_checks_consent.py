"""Consent to run code, and secrets kept out of stored details (issue 17, parts 2-3).

Code runs only with the person's ``--allow-code`` (or the Run page's tick) for a prompt set that is
not built in; a prompt-set file or an imported bundle that says ``allow_code_execution`` is ignored.
The built-in ``python-functions`` set runs as shipped, and stops running once a test is edited.
Real SQLite stores, a real bundle file, the real CLI and the real sandbox.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import pandas as pd
import pytest

from bench.inputs.config import PromptSet, resolve_prompt_set
from bench.quality.checks import store as check_store
from bench.quality.checks.consent import builtin_code, needs_code_consent
from bench.quality.checks.run_checks import evaluate_run_checks
from bench.quality.checks.sandbox import support_problem
from bench.store.bundle import export_runs, import_bundle
from bench.store.store import Store, utc_now

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_inprocess import cli

needs_sandbox = pytest.mark.skipif(support_problem() is not None, reason=f"{support_problem()}")

HOSTILE_SET = PromptSet.model_validate(
    {
        "name": "from-a-stranger",
        "allow_code_execution": True,  # says so itself: must not be enough
        "prompts": [{"id": "f", "prompt": "Write f", "checks": [{"type": "python_tests", "tests": ["assert f() == 1"]}]}],
    }
)  # fmt: skip


def _run(store: Store, prompts: PromptSet, answers: dict[str, str]) -> str:
    run_id = store.create_run({"models": ["m"]}, prompts.model_dump(), {})
    for prompt_id, answer in answers.items():
        store.add_sample(
            {
                "run_id": run_id, "model": "m", "prompt_id": prompt_id, "round": 0, "warmup": False,
                "cold": False, "ok": True, "stream": True, "transport": "in-process",
                "started_at": utc_now(), "metrics": {}, "answer": answer,
            }
        )  # fmt: skip
    return run_id


def _verdicts(store: Store, run_id: str) -> list[bool | None]:
    frame = check_store.frame(store, [run_id])
    return [None if pd.isna(v) else bool(v) for v in frame["passed"]]


def test_a_prompt_set_file_cannot_switch_code_on(tmp_path: Path) -> None:
    store = Store(tmp_path / "bench.db")
    run_id = _run(store, HOSTILE_SET, {"f": "def f():\n    return 1\n"})
    summary = evaluate_run_checks(store, run_id)
    assert summary.evaluated == 1 and sum(summary.not_run.values()) == 1
    assert "consent" in next(iter(summary.not_run))
    assert _verdicts(store, run_id) == [None]
    assert needs_code_consent(HOSTILE_SET)


@needs_sandbox
def test_an_imported_bundle_cannot_switch_code_on(tmp_path: Path) -> None:
    """Exported with the flag in its prompts; imported elsewhere, `bench checks` without --allow-code runs nothing."""
    source = Store(tmp_path / "theirs.db")
    run_id = _run(source, HOSTILE_SET, {"f": "def f():\n    return 1\n"})
    export_runs(source, [run_id], tmp_path / "run.slmbench")
    mine = tmp_path / "mine.db"
    import_bundle(Store(mine), tmp_path / "run.slmbench")
    # `bench checks` in-process (cli_inprocess; a real checks process runs in tests/test_checks_run.py)
    env = {"SLM_BENCH_DB": str(mine)}
    command = ["checks", run_id, "--db", str(mine)]
    refused = cli(*command, env=env)
    assert refused.returncode == 0, refused.stderr
    assert "1 not run" in refused.stderr and "consent" in " ".join(refused.stderr.split())
    assert _verdicts(Store(mine), run_id) == [None]
    allowed = cli(*command, "--allow-code", env=env)
    assert allowed.returncode == 0, allowed.stderr
    assert _verdicts(Store(mine), run_id) == [True]


@needs_sandbox
def test_the_built_in_set_runs_as_shipped_and_not_once_edited(tmp_path: Path) -> None:
    shipped = resolve_prompt_set("python-functions")
    assert builtin_code(shipped) and not needs_code_consent(shipped)
    first = shipped.prompts[0]
    store = Store(tmp_path / "bench.db")
    run_id = _run(store, shipped, {first.id: first.reference or ""})
    summary = evaluate_run_checks(store, run_id)
    assert summary.passed == 1 and not summary.not_run
    edited = shipped.model_copy(deep=True)
    edited.prompts[0].checks[0].tests[0] = "assert is_palindrome('abc') is False"  # type: ignore[union-attr]
    assert not builtin_code(edited) and needs_code_consent(edited)
    again = evaluate_run_checks(store, _run(store, edited, {first.id: first.reference or ""}))
    assert again.passed == 0 and sum(again.not_run.values()) == 1


@needs_sandbox
def test_stored_details_never_hold_a_key_named_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Canary: the code prints its environment, and an answer that contains the key is echoed by a check."""
    canary = f"sk-canary-{secrets.token_hex(12)}"
    monkeypatch.setenv("OPENAI_API_KEY", canary)
    monkeypatch.setenv("TEAM_DB_PASSWORD", canary[::-1])
    prompts = PromptSet.model_validate(
        {
            "name": "canary",
            "prompts": [
                {"id": "env", "prompt": "p", "checks": [{"type": "python_tests", "tests": ["assert f() == 1"]}]},
                {"id": "echo", "prompt": "p", "checks": [{"type": "equals", "value": "nothing"}]},
            ],
        }
    )  # fmt: skip
    leak = "import os\ndef f():\n    raise RuntimeError(os.environ.get('OPENAI_API_KEY', 'no key') + str(dict(os.environ)))\n"
    store = Store(tmp_path / "bench.db")
    run_id = _run(store, prompts, {"env": leak, "echo": f"the key is {canary} and {canary[::-1]}"})
    evaluate_run_checks(store, run_id, allow_code=True)
    details = " ".join(check_store.frame(store, [run_id])["detail"])
    assert "no key" in details  # the sandbox's environment is empty
    assert canary not in details and canary[::-1] not in details
    assert "[$OPENAI_API_KEY]" in details  # the echoed answer was redacted, naming the variable


@needs_sandbox
def test_bench_run_runs_a_user_sets_code_only_with_allow_code(tmp_path: Path) -> None:
    """``bench run`` on a set that is not built in: without ``--allow-code`` its python_tests are stored
    as not run (with the reason); with it, the same answer is graded (a real HTTP model stand-in, the
    real CLI in-process, the real sandbox)."""
    from typer.testing import CliRunner

    from bench.cli.main import app
    from tests.workload_server import Script, WorkloadServer

    prompts = tmp_path / "user-set.json"
    prompts.write_text(
        '{"name": "user-set", "allow_code_execution": true, "prompts": [{"id": "f", "prompt": "Write f",'
        ' "checks": [{"type": "python_tests", "tests": ["assert f() == 1"]}]}]}'
    )
    db = tmp_path / "bench.db"
    verdicts: dict[bool, list[bool | None]] = {}
    with WorkloadServer(Script(default="def f():\n    return 1\n")) as server:
        for allow in (False, True):
            args = ["run", "--endpoint", server.url, "--models", "tool-model", "--prompts", str(prompts),
                    "--rounds", "1", "--warmup", "0", "--db", str(db)] + (["--allow-code"] if allow else [])  # fmt: skip
            result = CliRunner().invoke(app, args)
            assert result.exit_code == 0, result.output
            run_id = Store(db).list_runs(1)[0]["id"]
            verdicts[allow] = _verdicts(Store(db), run_id)
    assert verdicts[False] == [None]  # not run: the file's allow_code_execution is not consent
    assert verdicts[True] == [True]
