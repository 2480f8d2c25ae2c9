"""``bench.acquire.foundry_service``: the offline catalog snapshot that lets Foundry's web service serve
imported models, its isolation from the in-process BYOM catalog, and the errors when it breaks.

Everything that starts Foundry Local runs in a child process: the manager is a singleton, and
this test process may use it in-process for other tests.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from bench import paths
from bench.acquire import foundry_service
from bench.errors import BenchError
from tests import service_ports

REPO = Path(__file__).resolve().parent.parent


def _fake_model(root: Path) -> foundry_service.ServedModel:
    src = root / "src-model"
    (src / "sub").mkdir(parents=True)
    (src / "genai_config.json").write_text("{}")
    (src / "model.onnx").write_bytes(b"onnx")
    (src / "sub" / "extra.bin").write_bytes(b"x")
    (src / foundry_service.IMPORT_MANIFEST).write_text("{}")
    return foundry_service.ServedModel("demo:1", "demo", src, "Demo model", "MIT", 3_500_000)


def test_snapshot_has_foundrys_catalog_format(tmp_path: Path):
    model = _fake_model(tmp_path)
    cache = tmp_path / "cache"
    path = foundry_service.write_snapshot([model], cache)
    assert path == cache / "foundry.modelinfo.json"
    snap = json.loads(path.read_text())
    assert snap["version"] == 1 and isinstance(snap["savedAtUnix"], int)
    (entry,) = snap["models"]
    assert entry["id"] == "demo:1" and entry["name"] == entry["alias"] == "demo" and entry["version"] == 1
    assert entry["providerType"] == "FoundryLocal" and entry["modelType"] == "ONNX"
    assert entry["runtime"] == {"deviceType": "CPU", "executionProvider": "CPUExecutionProvider"}
    assert entry["task"] == "chat-completion" and entry["license"] == "MIT" and entry["fileSizeMb"] == 3

    folder = cache / "local" / "demo-1"
    assert json.loads((folder / "inference_model.json").read_text()) == {
        "Name": "demo:1",
        "PromptTemplate": None,
    }
    assert (folder / "model.onnx").is_symlink() and (folder / "model.onnx").read_bytes() == b"onnx"
    assert (folder / "sub").is_symlink() and (folder / "sub" / "extra.bin").read_bytes() == b"x"
    assert not (folder / foundry_service.IMPORT_MANIFEST).exists()
    # the imported folder itself is never written to
    assert sorted(p.name for p in model.source_dir.iterdir()) == sorted(
        ["genai_config.json", "model.onnx", "sub", foundry_service.IMPORT_MANIFEST]
    )


def test_rewriting_the_snapshot_drops_old_models_and_keeps_the_sources(tmp_path: Path):
    model = _fake_model(tmp_path)
    cache = tmp_path / "cache"
    foundry_service.write_snapshot([model], cache)
    foundry_service.write_snapshot([], cache)
    assert json.loads((cache / "foundry.modelinfo.json").read_text())["models"] == []
    assert not (cache / "local" / "demo-1").exists()
    assert (model.source_dir / "model.onnx").read_bytes() == b"onnx"  # links removed, targets kept
    assert (model.source_dir / "sub" / "extra.bin").exists()


def test_resolve_by_name_or_id(tiny_model: str):
    (by_name,) = foundry_service.resolve_models([tiny_model])
    (by_id,) = foundry_service.resolve_models([f"{tiny_model}:1"])
    assert by_name == by_id
    assert foundry_service.resolve_models([tiny_model, f"{tiny_model}:1"]) == [by_name]  # once
    assert by_name.model_id == f"{tiny_model}:1" and by_name.alias == tiny_model
    assert (by_name.source_dir / "genai_config.json").is_file()


def test_unknown_model_lists_the_known_ones(tiny_model: str):
    with pytest.raises(BenchError) as err:
        foundry_service.resolve_models(["no-such-model"])
    assert "is not an imported model" in err.value.message
    assert f"{tiny_model}:1" in err.value.fix and "models import" in err.value.fix


def test_service_cache_is_apart_from_the_byom_cache():
    cache = foundry_service.service_cache_path(5273)
    assert cache.parent.parent == paths.data_dir()
    assert paths.foundry_cache_dir() not in (cache, *cache.parents)


def test_trick_broken_error_names_the_sdk_version():
    err = foundry_service.trick_broken("nothing listed")
    assert err.subject == f"foundry-local-sdk {foundry_service.sdk_version()}"
    assert "stopped working" in err.what and "nothing listed" in err.what
    assert "in-process" in err.fix


def test_port_in_use_is_refused(tiny_model: str):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(BenchError, match="already in use"):
            foundry_service.start_service_process([tiny_model], port=port)


def test_a_child_that_dies_reports_its_output(tiny_model: str):
    # 192.0.2.1 (TEST-NET-1) is on no interface here: the web service cannot bind it
    port = foundry_service.free_port()
    with pytest.raises(BenchError) as err:
        foundry_service.start_service_process([tiny_model], port=port, host="192.0.2.1", timeout=60)
    assert "exited with status 2 before it was ready" in err.value.what
    assert "did not start" in err.value.what  # the child's own message, from its output
    assert not foundry_service.service_cache_path(port).exists()  # cleaned up


def test_serve_lists_models_and_leaves_the_byom_catalog_alone(tiny_model: str):
    byom = paths.foundry_cache_dir() / foundry_service.BYOM_FILE
    before = byom.read_bytes()
    with service_ports.start_on_a_free_port([tiny_model]) as handle:
        port = service_ports.port_of(handle)
        listed = httpx.get(f"{handle.base_url}/models").json()
        assert [m["id"] for m in listed["data"]] == [f"{tiny_model}:1"]
        cache = foundry_service.service_cache_path(port)
        assert (cache / "foundry.modelinfo.json").is_file()
        assert (cache / "local" / f"{tiny_model}-1" / "inference_model.json").is_file()
        rc = handle.stop(clean=False)
    assert rc == 0
    assert byom.read_bytes() == before
    assert not (paths.foundry_cache_dir() / foundry_service.SNAPSHOT_FILE).exists()
    handle.stop()  # now clean
    assert not foundry_service.service_cache_path(port).exists()


# A future SDK that ignores the snapshot (or the model folders) is simulated by writing them in a
# form this SDK ignores: serve must then fail with the "trick stopped working" error, not hang or
# serve nothing.
BROKEN = {
    "snapshot ignored": ("SNAPSHOT_VERSION = 2", "the snapshot foundry.modelinfo.json was not read"),
    "folder ignored": ('INFERENCE_MODEL_FILE = "unknown.json"', "is not seen as a cached model"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_serve_says_when_the_trick_stops_working(tiny_model: str, case: str):
    patch, expected = BROKEN[case]
    port = foundry_service.free_port()
    code = textwrap.dedent(
        f"""
        import sys
        from bench.acquire import service_snapshot
        service_snapshot.{patch}
        from bench.cli import main
        sys.argv = ["bench", "serve", "{tiny_model}", "--port", "{port}"]
        main()
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        env=dict(os.environ),
    )
    shutil.rmtree(foundry_service.service_cache_path(port), ignore_errors=True)
    out = " ".join((proc.stderr + proc.stdout).split())  # undo the console's line wrapping
    assert proc.returncode == 2, out
    assert "Traceback" not in out
    assert "stopped working" in out and expected in out
    assert f"foundry-local-sdk {foundry_service.sdk_version()}" in out
