"""The CLI as a user runs it: real subprocesses, real model, real SQLite file; what it says about bad\ninput is checked in-process (``cli``), the same ``main`` a subprocess runs."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.store.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_inprocess import cli

REPO = Path(__file__).resolve().parent.parent


def bench(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout
    )


def assert_clean_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    """Exit 2, the message names the input and a fix, and no traceback leaks."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "fix:" in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def test_run_then_report_from_the_cli(tiny_model: str, db_path: Path, prompt_file: Path, tmp_path: Path):
    out = tmp_path / "reports"
    result = bench(
        "run", "--models", tiny_model, "--prompts", str(prompt_file), "--rounds", "2", "--warmup", "1",
        "--max-tokens", "8", "--db", str(db_path), "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    run_id = result.stdout.strip().splitlines()[-1]
    # not a TTY: plain progress lines, one per request
    assert result.stderr.count(f"{tiny_model} · p") == 6
    assert sorted(p.name for p in out.iterdir()) == ["benchmark_report.md", "report.json", "samples.csv"]
    md = bench("report", run_id, "--format", "md", "--db", str(db_path))
    assert md.returncode == 0
    assert md.stdout == (out / "benchmark_report.md").read_text()
    # the md report above ran as a user runs it; the json one in-process (the same main, issue 18)
    js = cli("report", run_id, "--format", "json", "--db", str(db_path), "--out", str(tmp_path / "r.json"))
    assert js.returncode == 0
    assert json.loads((tmp_path / "r.json").read_text())["models"][tiny_model]["status"] == "done"


def test_workshop_environment_and_models_json(
    tiny_model: str, db_path: Path, prompt_file: Path, tmp_path: Path
):
    models_json = tmp_path / "models.json"
    models_json.write_text(json.dumps({tiny_model: {"capabilities": ["chat"], "size_mb": 2}}))
    env = {**os.environ, "BENCH_STREAM": "0"}
    result = subprocess.run(
        [sys.executable, "-m", "bench", "run", "--models", str(models_json), "--prompts", str(prompt_file),
         "--rounds", "1", "--warmup", "0", "--max-tokens", "4", "--db", str(db_path)],
        cwd=REPO, capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    samples = Store(db_path).samples([result.stdout.strip().splitlines()[-1]])
    assert len(samples) == 2
    assert not any(s["stream"] for s in samples)


def test_resume_after_sigkill_loses_at_most_the_request_in_flight(
    tiny_model: str, db_path: Path, prompt_file: Path
):
    rounds = 150
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench", "run", "--models", tiny_model, "--prompts", str(prompt_file),
         "--rounds", str(rounds), "--warmup", "0", "--max-tokens", "16", "--db", str(db_path)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.time() + 240
    stored = 0
    while time.time() < deadline and stored < 20:
        time.sleep(0.2)
        if db_path.exists():
            try:
                stored = sqlite3.connect(db_path).execute("SELECT COUNT(*) FROM samples").fetchone()[0]
            except sqlite3.OperationalError:
                stored = 0
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    store = Store(db_path)
    run = store.list_runs()[0]
    assert run["status"] == "interrupted"
    before = {(s["prompt_id"], s["round"]): s["started_at"] for s in store.samples([run["id"]])}
    assert 20 <= len(before) < 2 * rounds

    result = bench("run", "--resume", run["id"], "--db", str(db_path))
    assert result.returncode == 0, result.stderr
    after = store.samples([run["id"]])
    assert len(after) == 2 * rounds  # every (prompt, round) exactly once
    assert store.get_run(run["id"])["status"] == "completed"
    # finished samples were not redone
    for s in after:
        if (s["prompt_id"], s["round"]) in before:
            assert s["started_at"] == before[(s["prompt_id"], s["round"])]


@pytest.mark.parametrize(
    ("content", "needles"),
    [
        ("[1, 2", ["not valid JSON", "line 1"]),
        ("[]", ["prompts: add at least one prompt"]),
        ('{"prompts": [{"id": "a", "prompt": "  "}]}', ["prompts.0.prompt: prompt is blank"]),
        ('{"prompts": [{"id": "a", "prompt": "x"}, {"id": "a", "prompt": "y"}]}', ["appears twice"]),
        ('{"something": 1}', ["is not a prompt set"]),
    ],
)
def test_bad_prompt_files_get_clear_errors(tmp_path: Path, db_path: Path, content: str, needles: list[str]):
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert_clean_error(
        cli("run", "--models", "m", "--prompts", str(path), "--db", str(db_path)), str(path), *needles
    )


def test_missing_prompt_file(db_path: Path):
    assert_clean_error(
        cli("run", "--models", "m", "--prompts", "nowhere.json", "--db", str(db_path)), "not found"
    )


def test_zero_rounds_and_no_models(db_path: Path):
    assert_clean_error(cli("run", "--models", "m", "--rounds", "0", "--db", str(db_path)), "--rounds")
    env_free = cli("run", "--db", str(db_path))
    assert_clean_error(env_free, "--models", "BENCH_MODELS")


def test_unknown_model_fails_before_a_run_is_created(tiny_model: str, db_path: Path, prompt_file: Path):
    result = cli("run", "--models", "nope-model", "--prompts", str(prompt_file), "--db", str(db_path))
    assert_clean_error(result, "nope-model", "not a Foundry Local model", tiny_model)
    assert Store(db_path).list_runs() == []


def test_bad_model_list_file(tmp_path: Path, db_path: Path):
    path = tmp_path / "models.json"
    path.write_text('{"models": [{"name": ""}]}')
    assert_clean_error(cli("run", "--models", str(path), "--db", str(db_path)), "models.0.name")


def test_report_of_unknown_run(db_path: Path):
    assert_clean_error(cli("report", "no-such-run", "--db", str(db_path)), "no-such-run", "no such run")


def test_every_commands_bad_flags_read_in_plain_words_naming_the_flag(tmp_path: Path) -> None:
    """run, load and decide share one flag-error printer (bench.cli.output.flag_errors)."""
    from typer.testing import CliRunner

    from bench.cli.main import app

    db = str(tmp_path / "b.db")
    cases = {
        "--max-tokens: must be at least 1": [
            "load", "--endpoint", "http://127.0.0.1:9/v1", "--models", "m", "--prompts", "workshop",
            "--concurrency", "1", "--max-tokens", "0", "--db", db,
        ],
        "--weights: at least one weight must be above 0": [
            "decide", "any-run", "--weights", "quality=0,latency=0,throughput=0,memory=0,size=0", "--db", db,
        ],
        "--rounds: must be at least 1": ["run", "--models", "m", "--rounds", "0", "--db", db],
    }  # fmt: skip
    for expected, args in cases.items():
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert expected in " ".join(result.output.split()), (args, result.output)
        assert "Input should" not in result.output and "validation error" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--models", "tiny", "--prompts", "workshop", "--prompt-cache", "maybe"],
        [
            "load",
            "--endpoint",
            "http://127.0.0.1:9/v1",
            "--models",
            "m",
            "--concurrency",
            "1",
            "--prompt-cache",
            "maybe",
        ],
    ],
)
def test_prompt_cache_takes_on_or_off_in_run_and_load(args: list[str], tmp_path: Path) -> None:
    """One on/off reader serves both commands: a bad value names the flag and the two values it takes."""
    result = cli(*args, "--db", str(tmp_path / "bench.db"))
    assert_clean_error(
        result, "--prompt-cache", "neither on nor off", "--prompt-cache on or --prompt-cache off"
    )
