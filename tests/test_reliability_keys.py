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
    from bench.inputs.config import RunSettings, load_prompt_set
    from bench.run.runner import run_benchmark
    from bench.store.store import Store

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


def test_the_app_sends_a_key_variable_only_once_the_user_confirms_it(tmp_path: Path, monkeypatch):
    """Models page: naming a variable is not enough to send its value to a URL; a tick is."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SLM_BENCH_DB", str(tmp_path / "bench.db"))
    monkeypatch.setenv("SLM_BENCH_APP_DIR", str(tmp_path / "app"))
    monkeypatch.delenv("FOUNDRY_LOCAL_ENDPOINT", raising=False)
    monkeypatch.setenv("SOME_SECRET", CANARY)
    with FaultServer(FaultConfig(require_key=CANARY)) as server:
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
        at.run()
        at.switch_page("pages/models.py").run()
        at.text_input[-3].set_value("keyed")
        at.text_input[-2].set_value(server.url)
        at.text_input[-1].set_value("SOME_SECRET")
        at.button[-1].click().run()
        at.button(key="ep_check_keyed").click().run()
        assert not at.exception
        errors = " ".join(e.value for e in at.error).replace("\\", "")  # undo Markdown escapes
        assert "is not confirmed as the API key" in errors and "SLM_BENCH_KEY_" in errors
        assert server.seen == []  # nothing was sent, not even without the key
        at.checkbox(key="ep_key_ok_keyed").check().run()
        at.button(key="ep_check_keyed").click().run()
        assert not at.exception
        assert f"`{MODEL}`" in " ".join(m.value for m in at.markdown)
        assert server.seen and all(s.authorized for s in server.seen)
        assert CANARY not in " ".join(str(e.value) for e in [*at.markdown, *at.error, *at.caption])


def test_a_variable_named_for_slm_bench_needs_no_confirmation(monkeypatch):
    from bench.backends.keys import endpoint_key, key_allowed

    monkeypatch.setenv("SLM_BENCH_KEY_LAB", CANARY)
    monkeypatch.setenv("HOME_TOKEN", CANARY)
    assert endpoint_key("SLM_BENCH_KEY_LAB", "http://h/v1") == CANARY
    assert not key_allowed("HOME_TOKEN", "http://h/v1")
    assert endpoint_key("HOME_TOKEN", "http://h/v1", {("HOME_TOKEN", "http://h/v1")}) == CANARY
    # confirmed for one URL is not confirmed for another
    assert not key_allowed("HOME_TOKEN", "http://other/v1", {("HOME_TOKEN", "http://h/v1")})


def test_the_model_builder_never_trusts_remote_code(tmp_path: Path):
    from bench.acquire.convert_worker import builder_command

    cmd = builder_command(
        tmp_path, tmp_path / "out", "int4", tmp_path / "c", ["hf_remote=true", "int4_block_size=32"]
    )
    opts = cmd[cmd.index("--extra_options") + 1 :]
    assert "hf_remote=true" not in opts and opts[-1] == "hf_remote=false" and "int4_block_size=32" in opts


def test_streamlit_listens_on_localhost_only():
    import tomllib

    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"


# ---- one guarded key path (issue 17) ---------------------------------------------------------------
KEY_READERS = ("bench", "rubrics", "ui", "pages")


def _python_files() -> list[Path]:
    files = [REPO / "app.py"]
    for folder in KEY_READERS:
        files += sorted((REPO / folder).rglob("*.py"))
    return files


def test_every_key_is_read_through_the_key_guard():
    """Only bench/backends/keys.py reads a key variable's value; everything else calls it."""
    import re

    arg = r"\s*[\w.]*(?:key|env_name)"  # api_key_env, self.api_key_env, key_env, env_name
    reads = re.compile(rf"os\.(?:environ\.get|getenv)\({arg}|os\.environ\[{arg}", re.IGNORECASE)
    guard = REPO / "bench" / "backends" / "keys.py"
    offenders = []
    for path in _python_files():
        text = path.read_text(encoding="utf-8")
        if path != guard and (reads.search(text) or "api_key_from_env" in text):
            offenders.append(str(path.relative_to(REPO)))
    assert offenders == []
    assert reads.search(guard.read_text(encoding="utf-8"))  # the pattern does find a real read


def _stranger_run(tmp_path: Path, prompt_file: Path, url: str) -> str:
    """A run made elsewhere (endpoint: a stranger's URL, api_key_env OPENAI_API_KEY), imported here."""
    from bench.inputs.config import RunSettings, load_prompt_set
    from bench.store.bundle import export_runs, import_bundle
    from bench.store.store import Store

    theirs = Store(tmp_path / "theirs.db")
    settings = RunSettings(models=[MODEL], rounds=1, warmup=0, endpoint=url, api_key_env="OPENAI_API_KEY")
    run_id = theirs.create_run(
        settings.model_dump(), load_prompt_set(prompt_file).model_dump(), {"transport": "http"}
    )
    theirs.set_run_status(run_id, "interrupted")
    export_runs(theirs, [run_id], tmp_path / "run.slmbench")
    import_bundle(Store(tmp_path / "bench.db"), tmp_path / "run.slmbench")
    return run_id


def test_resuming_an_imported_run_does_not_send_the_key_to_its_endpoint(tmp_path: Path, prompt_file: Path):
    """The issue's leak: resume read $OPENAI_API_KEY and sent it to whatever URL the stored run named."""
    with FaultServer(FaultConfig(require_key=CANARY)) as stranger:
        run_id = _stranger_run(tmp_path, prompt_file, stranger.url)
        refused = _bench(["run", "--resume", run_id], tmp_path, OPENAI_API_KEY=CANARY)
        assert "Traceback" not in refused.stderr
        assert all(not s.authorized and CANARY not in s.auth_header for s in stranger.seen)
        assert CANARY not in refused.stdout + refused.stderr
        # naming the variable again on the command line is the person's confirmation
        confirmed = _bench(
            ["run", "--resume", run_id, "--api-key-env", "OPENAI_API_KEY"], tmp_path, OPENAI_API_KEY=CANARY
        )
        assert confirmed.returncode == 0, confirmed.stderr
        assert any(s.authorized for s in stranger.seen)


def test_resume_in_process_sends_only_confirmed_pairs(tmp_path: Path, prompt_file: Path, monkeypatch):
    """bench.run.runner.resume_run: a pair confirmed for another URL sends nothing and says why."""
    import pytest

    from bench.errors import BenchError
    from bench.run.runner import resume_run
    from bench.store.store import Store

    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    with FaultServer(FaultConfig(require_key=CANARY)) as stranger:
        run_id = _stranger_run(tmp_path, prompt_file, stranger.url)
        store = Store(tmp_path / "bench.db")
        elsewhere = {("OPENAI_API_KEY", "http://127.0.0.1:9/v1")}
        with pytest.raises(BenchError, match="is not confirmed as the API key"):
            resume_run(store, run_id, confirmed_keys=elsewhere)
        assert not any(s.authorized for s in stranger.seen)
        status = resume_run(store, run_id, confirmed_keys={("OPENAI_API_KEY", stranger.url)})
        assert status == "completed"
        assert stranger.chat_requests() and stranger.chat_requests()[-1].authorized


def test_a_resumed_run_gets_no_prefix_shortcut(monkeypatch):
    """SLM_BENCH_KEY_* goes to the person's own endpoints in the app; a stored run must be confirmed."""
    import pytest

    from bench.backends.keys import endpoint_key, flag_key
    from bench.errors import BenchError

    monkeypatch.setenv("SLM_BENCH_KEY_LAB", CANARY)
    with pytest.raises(BenchError, match="--api-key-env SLM_BENCH_KEY_LAB"):
        endpoint_key("SLM_BENCH_KEY_LAB", "http://stranger/v1", trust_prefix=False)
    assert flag_key("SLM_BENCH_KEY_LAB", "http://mine/v1") == CANARY  # a flag confirms its own URL
    assert flag_key("SLM_BENCH_KEY_LAB", None) is None  # in-process: nothing to send


def test_judge_and_load_send_the_flag_key_only_to_the_flag_url(tmp_path: Path, prompt_file: Path):
    """`bench load --endpoint URL --api-key-env NAME`: the key is sent to URL (the flag is the consent)."""
    with FaultServer(FaultConfig(require_key=CANARY)) as server:
        args = ["load", "--endpoint", server.url, "--api-key-env", "MY_KEY", "--models", MODEL]
        args += ["--prompts", str(prompt_file), "--concurrency", "1", "--requests", "2", "--warmup", "0"]
        proc = _bench(args, tmp_path, MY_KEY=CANARY)
        assert server.seen and all(s.authorized for s in server.seen), proc.stderr[-2000:]
    assert CANARY not in proc.stdout + proc.stderr


def test_the_judge_sends_the_flag_key_to_the_judge_endpoint(tmp_path: Path):
    """`bench judge --endpoint URL --api-key-env NAME`: every judge request carries the key (the flag is the consent)."""
    from bench.inputs.config import resolve_prompt_set
    from bench.store.store import Store, utc_now

    store = Store(tmp_path / "bench.db")
    prompts = resolve_prompt_set("workshop")
    run_id = store.create_run({"models": ["m"]}, prompts.model_dump(), {})
    first = prompts.prompts[0]
    store.add_sample(
        {
            "run_id": run_id, "model": "m", "prompt_id": first.id, "round": 0, "warmup": False, "cold": False,
            "ok": True, "stream": True, "transport": "in-process", "started_at": utc_now(), "metrics": {},
            "answer": "Paris is the capital of France.",
        }
    )  # fmt: skip
    with FaultServer(FaultConfig(require_key=CANARY)) as server:
        args = ["judge", run_id, "--judge", MODEL, "--endpoint", server.url, "--api-key-env", "JUDGE_KEY"]
        proc = _bench([*args, "--attempts", "1"], tmp_path, JUDGE_KEY=CANARY)
        assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
        assert server.chat_requests() and all(s.authorized for s in server.seen), proc.stderr[-2000:]
    assert CANARY not in proc.stdout + proc.stderr
