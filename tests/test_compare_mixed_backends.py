"""One run, two backends: the tiny model in-process and the same model served by Foundry Local's web
service on 127.0.0.1 (its HTTP name is ``NAME:1``), measured together and decided on together."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from bench.decide import decision_log
from bench.errors import BenchError
from bench.inputs import model_refs
from bench.inputs.config import RunSettings, load_prompt_set
from bench.run.runner import run_benchmark
from bench.store.store import Store
from tests import service_ports
from tests.fault_server import closed_port

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_inprocess import cli


def test_model_references() -> None:
    names, where = model_refs.parse_refs(
        ["tiny", "llama@http://127.0.0.1:8080/v1/#LLAMA_KEY", "b@https://h/v1"]
    )
    assert names == ["tiny", "llama", "b"]
    assert where["llama"].endpoint == "http://127.0.0.1:8080/v1" and where["llama"].api_key_env == "LLAMA_KEY"
    assert where["b"].api_key_env is None and "tiny" not in where
    for bad, says in (
        ("@http://h/v1", "no model name"),
        ("x@ftp://h", r"not an http\(s\) URL"),
        ("x@http://h#1A", "not an environment"),
    ):
        with pytest.raises(BenchError, match=says):
            model_refs.parse_ref(bad)


def test_a_mixed_run_in_process_and_over_http(tiny_model: str, db_path: Path, prompt_file: Path) -> None:
    with service_ports.start_on_a_free_port([tiny_model]) as handle:
        served = f"{tiny_model}:1"
        names, where = model_refs.parse_refs([tiny_model, f"{served}@{handle.base_url}"])
        settings = RunSettings(models=names, model_endpoints=where, rounds=2, warmup=1, max_tokens=8)
        store = Store(db_path)
        run_id, status = run_benchmark(store, settings, load_prompt_set(prompt_file))
        handle.stop()
    assert status == "completed", store.get_run(run_id)
    models = {m["model"]: m for m in store.run_models(run_id)}
    assert models[tiny_model]["transport"] == "in-process" and models[served]["transport"] == "http"
    assert models[tiny_model]["status"] == models[served]["status"] == "done"
    samples = store.samples([run_id])
    assert {s["transport"] for s in samples if s["model"] == served} == {"http"}
    assert {s["transport"] for s in samples if s["model"] == tiny_model} == {"in-process"}
    run = store.get_run(run_id)
    assert run["meta"]["transport"] == "mixed"
    assert run["settings"]["model_endpoints"][served]["endpoint"] == handle.base_url
    # one decision over both backends: none until the person accepts HTTP against in-process
    _, blocked, _ = decision_log.take(store, [run_id])
    assert blocked.model is None and any("transport differs" in c for c in blocked.caveats)
    table, rec, _ = decision_log.take(store, [run_id], accept_differences=True)
    assert set(table["series"]) == {tiny_model, served} and table["rank"].notna().all()
    assert rec.model in (tiny_model, served) or set(rec.tied) == {tiny_model, served}
    assert rec.model is None or any("accepted" in c for c in rec.caveats)


def test_cli_mixed_run_checks_each_models_own_endpoint(
    tiny_model: str, db_path: Path, prompt_file: Path
) -> None:
    with closed_port() as port:  # nothing listens there while the test runs
        # `bench run` in-process (cli_inprocess): the refusal and its words are the subject; real run
        # processes are in tests/test_cli.py
        result = cli("run", "--models", f"{tiny_model},other@http://127.0.0.1:{port}/v1",
                     "--prompts", str(prompt_file), "--rounds", "1", "--db", str(db_path))  # fmt: skip
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert f"127.0.0.1:{port}" in result.stderr
        models_json = Path(db_path).parent / "models.json"
        models_json.write_text(json.dumps({"models": [
            {"name": tiny_model}, {"name": "other", "endpoint": f"http://127.0.0.1:{port}/v1", "api_key_env": "NO_SUCH_KEY_VAR"},
        ]}))  # fmt: skip
        result = cli(
            "run",
            "--models",
            str(models_json),
            "--prompts",
            str(prompt_file),
            "--rounds",
            "1",
            "--db",
            str(db_path),
        )
        assert result.returncode == 2 and "NO_SUCH_KEY_VAR is not set" in result.stderr
