"""API keys: sent on every request of a keyed endpoint (the model check included), never stored.

The server is ``tests/fault_server.py`` on 127.0.0.1 requiring a bearer key (a stand-in for vLLM
``--api-key`` or a proxy, which cannot run here).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.fault_server import MODEL, FaultConfig, FaultServer

REPO = Path(__file__).resolve().parent.parent
CANARY = "sk-canary-7f3a9c1e55b2"


def _bench(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "SLM_BENCH_DB": str(tmp_path / "bench.db"), **env}
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=REPO,
        timeout=120,
    )


def test_run_with_api_key_env_sends_the_key_on_every_request(tmp_path: Path, prompt_file: Path):
    with FaultServer(FaultConfig(require_key=CANARY)) as server:
        args = ["run", "--endpoint", server.url, "--api-key-env", "MY_KEY", "--models", MODEL]
        args += ["--prompts", str(prompt_file), "--rounds", "1", "--warmup", "0"]
        proc = _bench([*args, "--out", str(tmp_path / "reports")], tmp_path, MY_KEY=CANARY)
        assert proc.returncode == 0, proc.stderr
        assert server.seen and all(s.authorized for s in server.seen), [
            (s.method, s.path) for s in server.seen if not s.authorized
        ]
        assert len(server.chat_requests()) == 2  # two prompts, one round
    # the key never reaches the database, the reports or the output
    logs = proc.stdout + proc.stderr
    assert CANARY not in logs
    for path in [tmp_path / "bench.db", *(tmp_path / "reports").iterdir()]:
        assert CANARY.encode() not in path.read_bytes(), path
    for wal in tmp_path.glob("bench.db-*"):
        assert CANARY.encode() not in wal.read_bytes(), wal


def test_the_backend_cache_keys_on_the_api_key():
    from bench.backends import backend_for

    with FaultServer(FaultConfig(require_key=CANARY)) as server:
        plain = backend_for(server.url)
        keyed = backend_for(server.url, CANARY)
        assert plain is not keyed
        assert backend_for(server.url, CANARY) is keyed
        assert keyed.model_ids(refresh=True) == [MODEL]
        assert server.seen[-1].authorized
        assert CANARY not in repr(keyed) and CANARY not in keyed.label


def test_a_keyed_server_without_the_key_says_which_flag_fixes_it(tmp_path: Path, prompt_file: Path):
    with FaultServer(FaultConfig(require_key=CANARY)) as server:
        proc = _bench(
            ["run", "--endpoint", server.url, "--models", MODEL, "--prompts", str(prompt_file)], tmp_path
        )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    err = " ".join(proc.stderr.split())
    assert "refused the API key" in err and "HTTP 401" in err and "--api-key-env" in err


def test_an_unset_key_variable_is_named(tmp_path: Path, prompt_file: Path):
    with FaultServer(FaultConfig(require_key=CANARY)) as server:
        args = ["run", "--endpoint", server.url, "--models", MODEL, "--api-key-env", "NOT_SET_ANYWHERE_42"]
        proc = _bench([*args, "--prompts", str(prompt_file)], tmp_path)
    assert proc.returncode == 2
    assert "NOT_SET_ANYWHERE_42 is not set" in " ".join(proc.stderr.split())


def test_url_credentials_are_stripped_before_anything_is_stored(tmp_path: Path, prompt_file: Path):
    from bench.config import RunSettings, load_prompt_set
    from bench.runner import run_benchmark
    from bench.store import Store

    with FaultServer() as server:
        url = server.url.replace("http://", "http://alice:" + CANARY + "@")
        store = Store(tmp_path / "bench.db")
        settings = RunSettings(models=[MODEL], rounds=1, warmup=0, endpoint=url)
        run_id, status = run_benchmark(store, settings, load_prompt_set(prompt_file))
        assert status == "completed"
        assert server.chat_requests()[0].auth_header.startswith("Basic ")  # the credentials were used
    assert store.get_run(run_id)["settings"]["endpoint"] == server.url
    for path in tmp_path.glob("bench.db*"):
        assert CANARY.encode() not in path.read_bytes()
