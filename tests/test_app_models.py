"""The Models and Run pages with models and endpoints (AppTest): an OpenAI-compatible endpoint whose
one model fails while the run goes on, bad endpoints refused with the fix, an ONNX folder imported,
loaded and unloaded, the public catalog fetched only on request, an endpoint removed.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.app_support import (
    app,
    db,
    job_finished,
    open_page,
    start_run,
    texts,
    wait_for,
)


# ---- an OpenAI-compatible endpoint: one model fails, the run goes on -----------------------------------
class FakeOpenAI:
    """``good`` streams five tokens with usage; ``broken`` answers HTTP 500."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/") == "/v1/models":
                    body = json.dumps({"data": [{"id": "good"}, {"id": "broken"}]}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if request["model"] == "broken":
                    self.send_error(500, "model crashed")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for word in ["Paris", " is", " the", " capital", "."]:
                    chunk = {"choices": [{"delta": {"content": word}, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(0.005)
                usage = {"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 5}}
                self.wfile.write(f"data: {json.dumps(usage)}\n\ndata: [DONE]\n\n".encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_server() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    yield server
    server.close()


def test_endpoint_run_marks_the_failed_model_and_goes_on(env: Path, fake_server: FakeOpenAI) -> None:
    at = open_page(app(), "pages/models.py")
    form_inputs = at.text_input
    form_inputs[-3].set_value("fake")
    form_inputs[-2].set_value(fake_server.url)
    form_inputs[-1].set_value("FAKE_API_KEY")
    at.button[-1].click().run()  # "Add endpoint" (the form's submit button)
    assert not at.exception and not at.error, texts(at.error)
    saved = json.loads((env / "app" / "endpoints.json").read_text())
    assert saved == {
        "endpoints": [{"name": "fake", "base_url": fake_server.url, "api_key_env": "FAKE_API_KEY"}]
    }

    at.button(key="ep_check_fake").click().run()
    assert "`good`" in texts(at.markdown) and "`broken`" in texts(at.markdown)

    open_page(at, "pages/run.py")
    at.radio(key="run_backend").set_value(f"fake — {fake_server.url} (HTTP)").run()
    assert at.multiselect[0].options == ["good", "broken"]
    start_run(at, ["good", "broken"], rounds=1, warmup=0)
    wait_for(at, job_finished)
    assert "Model broken failed" in texts(at.error)
    assert "HTTP 500" in texts(at.error)
    assert "partial" in texts(at.warning)  # one model's requests all failed: the run is not complete

    run = db(env).list_runs()[0]
    models = {m["model"]: m for m in db(env).run_models(run["id"])}
    assert models["good"]["status"] == "done" and models["broken"]["status"] == "failed"
    assert all(s["transport"] == "http" for s in db(env).samples([run["id"]]))

    open_page(at, "pages/results.py")
    assert "broken failed" in texts(at.error)
    table = at.dataframe[0].value
    good = table[table["Model"] == "good"].iloc[0]
    assert good["Transport"] == "http" and good["Token source"] == "usage×5"

    # a run in which every request failed still renders: the reason, empty charts, no traceback
    open_page(at, "pages/run.py")
    at.radio(key="run_backend").set_value(f"fake — {fake_server.url} (HTTP)").run()
    start_run(at, ["broken"], rounds=1, warmup=0)
    wait_for(at, job_finished)
    assert db(env).list_runs()[0]["status"] == "failed"
    at.button(key="run_open").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "broken failed" in texts(at.error)
    assert at.metric[3].value == "5"  # failed requests: every prompt was still tried (no skipping)


def test_bad_endpoints_are_refused_with_the_fix(env: Path) -> None:
    at = open_page(app(), "pages/models.py")
    cases = [
        ("x", "not a url", "", "is not an http(s) URL"),
        ("y", "http://127.0.0.1:9/v1", "sk-live-123", "NAME of an environment variable"),
        ("has space", "http://127.0.0.1:9/v1", "", "letters, digits"),
    ]
    for name, url, key, expected in cases:
        at.text_input[-3].set_value(name)
        at.text_input[-2].set_value(url)
        at.text_input[-1].set_value(key)
        at.button[-1].click().run()
        assert not at.exception
        assert expected in texts(at.error), texts(at.error)
    assert not (env / "app" / "endpoints.json").exists()

    # an unreachable endpoint: a clear error on Models and on Run, no traceback
    at.text_input[-3].set_value("down")
    at.text_input[-2].set_value("http://127.0.0.1:9")
    at.text_input[-1].set_value("")
    at.button[-1].click().run()
    at.button(key="ep_check_down").click().run()
    assert not at.exception
    assert "unreachable" in texts(at.error)
    open_page(at, "pages/run.py")
    at.radio(key="run_backend").set_value("down — http://127.0.0.1:9/v1 (HTTP)").run()
    assert not at.exception
    assert "unreachable" in texts(at.error) and "start the server" in texts(at.error)


# ---- models: import, load and unload, endpoints removed ------------------------------------------------
@pytest.fixture
def tiny_copy(tiny_model: str) -> Iterator[str]:
    """A second registration of the tiny model's folder (an ONNX import: no conversion), removed after."""
    name = "tiny-copy-apptest"
    yield name
    from foundry_local_sdk import CatalogType

    from bench.foundry_runtime import get_manager

    catalog = get_manager().get_catalog(CatalogType.LOCAL)
    model = catalog.get_model_variant(f"{name}:1")
    if model is not None:
        if model.is_loaded:
            model.unload()
        catalog.unregister_model(f"{name}:1")


def test_import_an_onnx_folder_then_load_and_unload(env: Path, tiny_copy: str) -> None:
    from bench import paths

    at = open_page(app(), "pages/models.py")
    at.radio(key="import_kind").set_value("ONNX Runtime GenAI folder").run()
    at.text_input(key="import_path_onnx").set_value("/no/such/folder").run()
    at.button(key="import_start").click().run()
    assert "does not exist on this machine" in texts(at.error)

    at.text_input(key="import_path_onnx").set_value(str(paths.models_dir() / "tiny-test")).run()
    name_box = next(t for t in at.text_input if t.label == "Name in Foundry Local")
    name_box.set_value("Not A Valid Name!").run()
    at.button(key="import_start").click().run()
    assert not at.exception
    assert "is not a valid model name" in texts(at.error)

    name_box = next(t for t in at.text_input if t.label == "Name in Foundry Local")
    name_box.set_value(tiny_copy).run()
    at.button(key="import_start").click().run()
    assert not at.exception and not at.error, texts(at.error)
    wait_for(at, job_finished, 120)
    assert f"Registered (reused the converted folder) {tiny_copy}" in texts(at.success)
    listed = at.dataframe[0].value
    row = listed[listed["Name (alias)"] == tiny_copy].iloc[0]
    assert row["Resolves to (variant)"] == f"{tiny_copy}:1"
    assert row["Size on disk"].endswith("MB") and row["Precision"] == "fp32"

    at.selectbox(key="models_loadsel").set_value(tiny_copy).run()
    at.button(key="models_load").click().run()
    assert not at.exception and not at.error, texts(at.error)
    listed = at.dataframe[0].value
    assert bool(listed[listed["Name (alias)"] == tiny_copy].iloc[0]["Loaded"])
    at.button(key="models_unload").click().run()
    listed = at.dataframe[0].value
    assert not bool(listed[listed["Name (alias)"] == tiny_copy].iloc[0]["Loaded"])


def test_public_catalog_is_fetched_only_on_request(env: Path) -> None:
    at = open_page(app(), "pages/models.py")
    assert not any("public catalog returned" in str(i.value) for i in at.info)
    at.button(key="public_fetch").click().run()
    assert not at.exception and not at.error, texts(at.error)
    offline = "returned no model" in texts(at.info)
    online = any(b.key == "public_dl" for b in at.button)
    assert offline or online


def test_an_endpoint_can_be_removed(env: Path) -> None:
    from bench.inputs import user_files

    user_files.add_endpoint("old", "http://127.0.0.1:9", None)
    at = open_page(app(), "pages/models.py")
    at.button(key="ep_remove_old").click().run()
    assert not at.exception
    assert user_files.load_endpoints() == []
    assert "ep_remove_old" not in [b.key for b in at.button]
