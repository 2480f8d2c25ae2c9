"""The Streamlit app through ``streamlit.testing.v1.AppTest``: every page, real runs, bad input.

Each test gets its own SQLite file (``SLM_BENCH_DB``) and its own folder for endpoints and user
prompt/rubric sets (``SLM_BENCH_APP_DIR``); models stay in the repo's ``.slm-bench`` (built once).
Runs happen on a background thread of the app, so tests poll with ``at.run()`` like a browser does.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from bench import report
from bench.store import Store

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGES = [
    "pages/home.py",
    "pages/models.py",
    "pages/prompts.py",
    "pages/run.py",
    "pages/results.py",
    "pages/annotate.py",
    "pages/judge.py",
    "pages/decide.py",
    "pages/report.py",
]
CHART = "vega_lite_chart"  # the node type AppTest gives st.altair_chart
TIMEOUT = 60


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SLM_BENCH_DB", str(tmp_path / "bench.db"))
    monkeypatch.setenv("SLM_BENCH_APP_DIR", str(tmp_path / "app"))
    monkeypatch.delenv("FOUNDRY_LOCAL_ENDPOINT", raising=False)
    return tmp_path


def app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def open_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(elements: Any) -> str:
    return "\n".join(str(e.value) for e in elements)


def wait_for(at: AppTest, done: Callable[[AppTest], bool], seconds: float = 240) -> AppTest:
    """Rerun the page (as the browser's auto-refresh would) until ``done`` or time is up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        if done(at):
            return at
    raise AssertionError(f"timed out; page shows: {texts(at.markdown)[:2000]}")


def job_finished(at: AppTest) -> bool:
    from ui.jobs import registry

    return registry().active() is None and not at.get("progress")


def db(env: Path) -> Store:
    return Store(env / "bench.db")


# ---- every page renders ------------------------------------------------------------------------------
def test_every_page_renders_on_an_empty_database(env: Path) -> None:
    at = app()
    assert at.title[0].value == "SLM Bench"
    assert any(b.label == "Run the quick benchmark" for b in at.button)
    labels = {m.label for m in at.metric}
    assert {"SDK", "Models", "Providers", "Runs"} <= labels
    for page in PAGES[1:]:
        open_page(at, page)
        assert not at.error, f"{page}: {texts(at.error)}"
    # Results and Report explain what to do when there is nothing to show
    open_page(at, "pages/results.py")
    assert "No runs in the database yet" in texts(at.info)


# ---- a run from the Run page ---------------------------------------------------------------------------
def start_run(at: AppTest, models: list[str], rounds: int = 2, warmup: int = 1, max_tokens: int = 16) -> None:
    at.multiselect[0].set_value(models)
    at.number_input(key="run_rounds").set_value(rounds)
    at.number_input(key="run_warmup").set_value(warmup)
    at.number_input(key="run_max_tokens").set_value(max_tokens)
    at.button(key="run_start").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "did not start" not in texts(at.error), texts(at.error)
    assert at.get("subheader")[-1].value == "Progress"


def test_run_page_stores_a_run_that_results_draws(env: Path, tiny_model: str) -> None:
    at = open_page(app(), "pages/run.py")
    assert tiny_model in at.multiselect[0].options
    start_run(at, [tiny_model], rounds=2, warmup=1)
    wait_for(at, job_finished)
    assert "completed" in texts(at.success), texts(at.markdown)

    runs = db(env).list_runs()
    assert len(runs) == 1 and runs[0]["status"] == "completed"
    run_id = runs[0]["id"]
    samples = db(env).samples([run_id])
    prompts = 5  # the built-in workshop set, the page's default
    assert len(samples) == (2 + 1) * prompts
    assert sum(s["warmup"] for s in samples) == prompts
    assert all(s["transport"] == "in-process" for s in samples)
    assert runs[0]["settings"]["max_tokens"] == 16  # stored as the CLI stores it: the full settings

    at.button(key="run_open").click().run()  # "Open this run in Results"
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "Results"
    assert len(at.get(CHART)) >= 7  # distribution, p50/p95, scatter, per prompt, TTFT, 3 resource panels
    table = at.dataframe[0].value
    assert list(table["Model"]) == [tiny_model]
    assert int(table["Requests (warm)"].iloc[0]) > 0
    assert table["Transport"].iloc[0] == "in-process"
    assert "usage" in table["Token source"].iloc[0]
    assert {"Runs", "Models", "Measured requests", "Failed requests"} <= {m.label for m in at.metric}

    open_page(at, "pages/report.py")  # the same selection, the same text the CLI writes
    markdown = report.render_markdown(db(env), [run_id])
    shown = [m.value for m in at.markdown if "SLM Bench report" in str(m.value)]
    assert [s.strip() for s in shown] == [markdown.strip()]
    assert [b.label for b in at.get("download_button")] == [
        "Download benchmark_report.md",
        "Download samples.csv",
        "Download report.json",
    ]


def test_cancel_stops_the_run_and_keeps_what_was_measured(env: Path, tiny_model: str) -> None:
    at = open_page(app(), "pages/run.py")
    start_run(at, [tiny_model], rounds=300, warmup=0, max_tokens=64)
    wait_for(at, lambda a: bool(db(env).list_runs()) and db(env).list_runs()[0]["n_samples"] >= 3, 60)
    at.button(key="run_cancel").click().run()
    wait_for(at, job_finished, 60)
    assert "Cancelled" in texts(at.warning)
    run = db(env).list_runs()[0]
    assert run["status"] == "cancelled"
    assert 3 <= run["n_samples"] < 300 * 5


def test_run_without_a_model_says_what_to_do(env: Path, tiny_model: str) -> None:
    at = open_page(app(), "pages/run.py")
    at.multiselect[0].set_value([])
    at.button(key="run_start").click().run()
    assert not at.exception
    assert "no model chosen" in texts(at.error)
    assert "pick at least one model" in texts(at.error)
    assert db(env).list_runs() == []


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
    wait_for(at, job_finished, 60)
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
    wait_for(at, job_finished, 60)
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
    from bench import user_files

    user_files.add_endpoint("old", "http://127.0.0.1:9", None)
    at = open_page(app(), "pages/models.py")
    at.button(key="ep_remove_old").click().run()
    assert not at.exception
    assert user_files.load_endpoints() == []
    assert "ep_remove_old" not in [b.key for b in at.button]


# ---- results: several runs side by side --------------------------------------------------------------
def test_results_compares_runs_side_by_side(env: Path, tiny_model: str) -> None:
    from bench.config import RunSettings, resolve_prompt_set
    from bench.runner import run_benchmark

    settings = RunSettings(models=[tiny_model], rounds=1, warmup=0, max_tokens=8)
    ids = [run_benchmark(db(env), settings, resolve_prompt_set("workshop"))[0] for _ in range(2)]
    at = app()
    at.query_params["run"] = ids
    open_page(at, "pages/results.py")
    assert sorted(at.multiselect[0].value) == sorted(ids)
    table = at.dataframe[0].value
    assert len(table) == 2 and table["Model"].nunique() == 2  # "model · run" keeps them apart
    assert all(name.startswith(f"{tiny_model} · ") for name in table["Model"])
    assert at.metric[1].value == "2"  # two series
    assert len(at.get(CHART)) >= 7


# ---- prompt and rubric sets ------------------------------------------------------------------------
def test_prompt_import_accepts_the_workshop_list_and_points_at_bad_rows(env: Path) -> None:
    at = open_page(app(), "pages/prompts.py")
    assert "Valid: 5 prompts." in texts(at.success)  # the built-in workshop set opens first

    uploader = at.get("file_uploader")[0]
    uploader.set_value(("bare.json", b'["Say hello.", "Name a color."]', "application/json")).run()
    assert not at.exception and not at.error, texts(at.error)
    assert "Valid: 2 prompts." in texts(at.success)
    at.text_input(key="prompts_name").set_value("team-set").run()
    at.button(key="prompts_save").click().run()
    saved = json.loads((env / "app" / "prompts" / "team-set.json").read_text())
    assert [p["prompt"] for p in saved["prompts"]] == ["Say hello.", "Name a color."]

    bad = {"prompts": [{"id": "a", "prompt": "ok"}, {"id": "b", "prompt": ""}, {"id": "a", "prompt": "dup"}]}
    at.get("file_uploader")[0].set_value(("bad.json", json.dumps(bad).encode(), "application/json")).run()
    assert not at.exception
    assert "bad.json" in texts(at.error) and "prompts.1.prompt" in texts(at.error)

    at.get("file_uploader")[0].set_value(("broken.json", b"[1, 2", "application/json")).run()
    assert "is not valid JSON" in texts(at.error)

    open_page(at, "pages/run.py")  # the saved set is offered for runs
    assert "team-set (yours)" in at.selectbox(key="run_prompt_set").options


def test_editing_a_cell_points_at_its_row_and_column(env: Path) -> None:
    at = open_page(app(), "pages/prompts.py")
    version = at.session_state["prompts_version"]
    at.session_state[f"prompts_editor_{version}"] = {
        "edited_rows": {1: {"prompt": ""}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    assert "row 2, column `prompt`" in texts(at.error)
    assert [b.key for b in at.get("download_button")] == ["rubrics_export"]  # the invalid set has none

    version = at.session_state["rubrics_version"]
    at.session_state[f"rubrics_editor_{version}"] = {
        "edited_rows": {0: {"anchor_5": ""}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert "row 1, column `score 5`" in texts(at.error)


def test_editor_errors_name_row_and_column() -> None:
    from bench.config import prompt_set_from_data
    from bench.errors import BenchError
    from rubrics import schema
    from ui import editing

    table = editing.prompt_table({"prompts": [{"id": "a", "prompt": "x"}, {"id": "b", "prompt": "y"}]})
    table.loc[2, "prompt"] = ""
    table.loc[3] = ["", "", "", "", ""]  # a blank row the editor added: ignored
    data, _ = editing.prompt_data("set", "", table)
    with pytest.raises(BenchError) as err:
        prompt_set_from_data(data, "prompt set")
    problems = editing.cell_errors(err.value, "prompts", editing.kept_rows(table, editing.PROMPT_COLUMNS))
    assert [(p.row, p.column) for p in problems] == [(2, "prompt")]

    rubric = editing.rubric_table(schema.builtin_rubric_sets()["workshop"].model_dump())
    rubric.loc[3, "anchor_4"] = " "
    with pytest.raises(BenchError) as err:
        schema.rubric_set_from_data(editing.rubric_data("r", "", rubric), "rubric set")
    problems = editing.cell_errors(err.value, "aspects", editing.kept_rows(rubric, editing.RUBRIC_COLUMNS))
    assert [str(p) for p in problems] == [
        "row 3, column `score 4`: blank: write the sentence that describes this score"
    ]


def test_rubric_tab_imports_and_validates(env: Path) -> None:
    at = open_page(app(), "pages/prompts.py")
    assert any("Valid:" in s and "aspects" in s for s in texts(at.success).splitlines())
    missing = {
        "name": "r",
        "aspects": [{"id": "tone", "name": "Tone", "description": "d", "anchors": {"1": "a", "2": "b"}}],
    }
    at.get("file_uploader")[1].set_value(("r.json", json.dumps(missing).encode(), "application/json")).run()
    assert not at.exception
    assert "aspects.0.anchors.3" in texts(at.error)


# ---- home: the one-click quick benchmark on the real default model -------------------------------------
@pytest.mark.slow
def test_quick_benchmark_lands_on_results_with_charts(env: Path, default_model: str) -> None:
    at = app()
    at.button(key="quick_start").click().run()
    assert not at.exception and not at.error, texts(at.error)
    wait_for(at, lambda a: a.title and a.title[0].value == "Results", 240)
    runs = db(env).list_runs()
    assert len(runs) == 1 and runs[0]["status"] == "completed"
    assert runs[0]["settings"]["models"] == [default_model]
    assert runs[0]["label"] == "quick benchmark"
    assert at.multiselect[0].value == [runs[0]["id"]]
    assert len(at.get(CHART)) >= 7
