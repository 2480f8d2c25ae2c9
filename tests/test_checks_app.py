"""The app's consent to run code and its key path on resume, through the real pages (AppTest).

The model is served by ``tests/fault_server.py`` on 127.0.0.1 (a stand-in OpenAI-compatible server);
the run, its checks and the sandbox are the real ones. Its answers are not Python, so a check that
ran is *failed* and a check that was refused is *not run* (NULL): the two are told apart.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from bench.inputs import user_files
from bench.quality.checks import store as check_store
from bench.quality.checks.sandbox import support_problem
from tests.app_support import app, db, job_finished, open_page, texts, wait_for
from tests.fault_server import MODEL, FaultConfig, FaultServer

CODE_SET = {
    "name": "my-code",
    "allow_code_execution": True,  # ignored: only the tick on the Run page counts
    "prompts": [{"id": "f", "prompt": "Write f()", "checks": [{"type": "python_tests", "tests": ["assert f() == 1"]}]}],
}  # fmt: skip


def _save_set(env: Path) -> None:
    folder = env / "app" / "prompts"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "my-code.json").write_text(json.dumps(CODE_SET))


def _run_from_the_page(env: Path, url: str, tick: bool) -> list[bool | None]:
    at = open_page(app(), "pages/run.py")
    at.radio(key="run_backend").set_value(f"fault — {url} (HTTP)").run()
    at.selectbox(key="run_prompt_set").set_value("my-code (yours)").run()
    assert not at.exception, [e.message for e in at.exception]
    box = at.checkbox(key="run_allow_code")
    if tick:
        box.check().run()
    at.multiselect[0].set_value([MODEL])
    at.number_input(key="run_rounds").set_value(1)
    at.number_input(key="run_warmup").set_value(0)
    at.button(key="run_start").click().run()
    assert "did not start" not in texts(at.error), texts(at.error)
    wait_for(at, job_finished, 120)
    run_id = db(env).list_runs()[0]["id"]
    frame = check_store.frame(db(env), [run_id])
    return [None if pd.isna(v) else bool(v) for v in frame["passed"]]


@pytest.mark.skipif(support_problem() is not None, reason=f"{support_problem()}")
def test_the_run_page_runs_code_only_once_ticked(env: Path) -> None:
    _save_set(env)
    with FaultServer(FaultConfig()) as server:
        user_files.add_endpoint("fault", server.url, None)
        assert _run_from_the_page(env, server.url, tick=False) == [None]  # the file's flag is not consent
        assert _run_from_the_page(env, server.url, tick=True) == [False]  # ran; the answer is not code


def test_the_built_in_code_set_needs_no_tick(env: Path) -> None:
    at = open_page(app(), "pages/run.py")
    at.selectbox(key="run_prompt_set").set_value("python-functions (built-in)").run()
    assert not at.exception
    assert not [c for c in at.checkbox if c.key == "run_allow_code"]


CANARY = "sk-canary-app-5d1e0b7c"


def _imported_stranger_run(env: Path, url: str) -> str:
    """A run made on another machine (endpoint: `url`, key variable OPENAI_API_KEY), imported here."""
    from bench.inputs.config import RunSettings, resolve_prompt_set
    from bench.store.bundle import export_runs, import_bundle
    from bench.store.store import Store

    theirs = Store(env / f"theirs-{len(list(env.glob('theirs-*.db')))}.db")
    settings = RunSettings(models=[MODEL], rounds=1, warmup=0, endpoint=url, api_key_env="OPENAI_API_KEY")
    prompts = resolve_prompt_set("workshop").model_copy(
        update={"prompts": resolve_prompt_set("workshop").prompts[:1]}
    )
    run_id = theirs.create_run(settings.model_dump(), prompts.model_dump(), {"transport": "http"})
    theirs.set_run_status(run_id, "interrupted")
    export_runs(theirs, [run_id], env / "run.slmbench")
    import_bundle(db(env), env / "run.slmbench")
    return run_id


def test_the_app_resumes_an_imported_run_without_sending_its_key(env: Path, monkeypatch) -> None:
    """Resume on the Run page: the stored run's variable goes to its URL only once ticked on Models."""
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    with FaultServer(FaultConfig(require_key=CANARY)) as stranger:
        run_id = _imported_stranger_run(env, stranger.url)
        later = _imported_stranger_run(env, stranger.url)  # one more, resumed after the tick
        at = open_page(app(), "pages/run.py")
        at.button(key=f"resume_{run_id}").click().run()
        wait_for(at, job_finished, 120)
        assert not any(s.authorized for s in stranger.seen)
        assert CANARY not in texts(at.markdown) + texts(at.error)
        # the person names this endpoint and ticks 'send $OPENAI_API_KEY to this endpoint'
        user_files.add_endpoint("stranger", stranger.url, "OPENAI_API_KEY")
        open_page(at, "pages/models.py")
        at.checkbox(key="ep_key_ok_stranger").check().run()
        open_page(at, "pages/run.py")
        at.button(key=f"resume_{later}").click().run()
        wait_for(at, job_finished, 120)
        assert any(s.authorized for s in stranger.seen)
