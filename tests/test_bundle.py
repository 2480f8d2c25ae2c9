"""Run bundles: export from one store, import into another (SQLite and a real PostgreSQL),
idempotent, and a damaged or edited file is refused before anything is written."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.measure import provenance
from bench.store import bundle
from bench.store.store import Store
from tests.pg_server import PgServer

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pg() -> Iterator[PgServer]:
    server = PgServer()
    server.start()
    yield server
    server.close()


def _metrics(e2e: float) -> dict:
    from bench.measure.request_metrics import RequestMetrics

    return RequestMetrics(e2e_s=e2e, ttft_s=0.1, output_tokens=3, output_token_source="usage").to_dict()


def _source(path: Path) -> tuple[Store, str, str]:
    """A store with two runs: samples, people's scores and a judge's on the first."""
    from rubrics import storage

    store = Store(path)
    from bench.inputs.config import PromptItem, PromptSet, RunSettings

    settings = RunSettings(models=["m"], rounds=2).model_dump()
    prompts = PromptSet(prompts=[PromptItem(id="p1", prompt="Say hi.")]).model_dump()
    meta = provenance.run_meta() | {"transport": "http"}
    keep = store.create_run(settings, prompts, meta, label="edge box")
    other = store.create_run(settings, prompts, meta)
    for run_id in (keep, other):
        for rnd in (-1, 0, 1):
            store.add_sample({
                "run_id": run_id, "model": "m", "prompt_id": "p1", "round": rnd, "warmup": rnd < 0, "cold": False,
                "ok": True, "error": None, "stream": True, "transport": "http", "started_at": "t",
                "metrics": _metrics(0.25 + rnd), "answer": f"answer {rnd}", "reasoning": "",
                "server_timings": None,
            })  # fmt: skip
    store.upsert_run_model(keep, "m", backend="openai", size_bytes=3 * 2**30, load_seconds=0.5)
    storage.upsert_annotations(store, (keep, "p1", "m", "ann"), {"correctness": 4}, "fine")
    storage.upsert_judgment(store, (keep, "m", "p1", "correctness", "judge-x"), 3, "ok", "3", 1)
    return store, keep, other


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "sqlite":
        return Store(tmp_path / "target.db")
    return Store(request.getfixturevalue("pg").new_db())


def test_export_then_import_twice_changes_nothing_the_second_time(tmp_path: Path, target: Store):
    from rubrics import storage

    source, keep, other = _source(tmp_path / "source.db")
    counts = bundle.export_runs(source, [keep], tmp_path / "runs.slmbundle")
    assert counts["runs"] == 1 and counts["samples"] == 3 and counts["annotations"] == 1
    first = bundle.import_bundle(target, tmp_path / "runs.slmbundle")
    assert first["samples"] == {"new": 3, "kept": 0} and first["runs"] == {"new": 1, "kept": 0}
    second = bundle.import_bundle(target, tmp_path / "runs.slmbundle")
    assert all(c["new"] == 0 for c in second.values()) and second["samples"]["kept"] == 3

    run = target.get_run(keep)
    assert run["label"] == "edge box" and run["meta"]["machine"]["machine_id"]
    assert target.get_run(other) is None  # only what was exported
    assert [(s["round"], s["answer"]) for s in target.samples([keep])] == [
        (-1, "answer -1"),
        (0, "answer 0"),
        (1, "answer 1"),
    ]
    assert target.samples([keep]) == [
        dict(s, id=t["id"]) for s, t in zip(source.samples([keep]), target.samples([keep]), strict=True)
    ]
    assert target.run_models(keep)[0]["size_bytes"] == 3 * 2**30
    assert [a["score"] for a in storage.annotations_of(target, keep, "p1", "ann")] == [4]
    assert storage.judged_keys(target, keep, "judge-x") == {("m", "p1", "correctness")}


def test_import_never_overwrites_what_the_store_has(tmp_path: Path):
    from rubrics import storage

    source, keep, _ = _source(tmp_path / "source.db")
    bundle.export_runs(source, [keep], tmp_path / "b.slmbundle")
    target = Store(tmp_path / "target.db")
    bundle.import_bundle(target, tmp_path / "b.slmbundle")
    storage.upsert_annotations(target, (keep, "p1", "m", "ann"), {"correctness": 2}, "rescored here")
    bundle.import_bundle(target, tmp_path / "b.slmbundle")
    assert [(a["score"], a["comment"]) for a in storage.annotations_of(target, keep, "p1", "ann")] == [
        (2, "rescored here")
    ]


def _rewrite(path: Path, change) -> None:
    content = json.loads(gzip.decompress(path.read_bytes()))
    change(content)
    path.write_bytes(gzip.compress(json.dumps(content).encode()))


def test_corrupted_or_tampered_bundles_are_refused_before_writing(tmp_path: Path):
    source, keep, _ = _source(tmp_path / "source.db")
    good = tmp_path / "good.slmbundle"
    bundle.export_runs(source, [keep], good)
    target = Store(tmp_path / "target.db")

    truncated = tmp_path / "truncated.slmbundle"
    truncated.write_bytes(good.read_bytes()[:-40])
    with pytest.raises(BenchError, match="not a readable run bundle"):
        bundle.import_bundle(target, truncated)

    edited = tmp_path / "edited.slmbundle"
    edited.write_bytes(good.read_bytes())
    _rewrite(edited, lambda c: c["tables"]["samples"]["rows"][0].__setitem__(-1, "better answer"))
    with pytest.raises(BenchError, match="checksum mismatch"):
        bundle.import_bundle(target, edited)

    sneaky = tmp_path / "sneaky.slmbundle"  # the outer checksum redone, the table's manifest not
    sneaky.write_bytes(good.read_bytes())

    def resum(c):
        c["tables"]["annotations"]["rows"][0][5] = 5
        c["sha256"] = bundle._sha({k: v for k, v in c.items() if k != "sha256"})

    _rewrite(sneaky, resum)
    with pytest.raises(BenchError, match="table annotations: checksum mismatch"):
        bundle.import_bundle(target, sneaky)

    not_bundle = tmp_path / "x.json.gz"
    not_bundle.write_bytes(gzip.compress(b'{"hello": 1}'))
    with pytest.raises(BenchError, match="not an SLM Bench run bundle"):
        bundle.import_bundle(target, not_bundle)
    assert target.list_runs() == []  # nothing was written by any refused file


def test_unknown_run_and_missing_file_say_so(tmp_path: Path):
    source, _, _ = _source(tmp_path / "source.db")
    with pytest.raises(BenchError, match="no such run"):
        bundle.export_runs(source, ["nope"], tmp_path / "x")
    with pytest.raises(BenchError, match="no such file"):
        bundle.import_bundle(source, tmp_path / "missing.slmbundle")


def test_cli_export_and_import(tmp_path: Path):
    from cli_inprocess import cli as in_process

    source, keep, other = _source(tmp_path / "source.db")
    env = dict(os.environ, PYTHONPATH=str(REPO), COLUMNS="200")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bench", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60)  # fmt: skip

    out = tmp_path / "two.slmbundle"
    done = cli("export", keep, other, "--out", str(out), "--db", str(source.path))
    assert done.returncode == 0, done.stderr
    assert "samples 6" in done.stdout
    # export and the refused import below are real processes; these two imports run in-process
    # (cli_inprocess, the same main; what they store and say is the subject, issue 18)
    first = in_process(
        "import", str(out), "--db", str(tmp_path / "t.db"), env={"COLUMNS": "200"}, cwd=tmp_path
    )
    again = in_process(
        "import", str(out), "--db", str(tmp_path / "t.db"), env={"COLUMNS": "200"}, cwd=tmp_path
    )
    assert first.returncode == 0 and "samples +6" in first.stdout, first.stderr
    assert again.returncode == 0 and "0 new rows" in again.stdout
    out.write_bytes(b"garbage")
    bad = cli("import", str(out), "--db", str(tmp_path / "t.db"))
    assert bad.returncode == 2 and "not a readable run bundle" in bad.stderr and "Traceback" not in bad.stderr


def test_report_page_offers_the_bundle_and_the_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from streamlit.testing.v1 import AppTest

    source, keep, _ = _source(tmp_path / "source.db")
    monkeypatch.setenv("SLM_BENCH_DB", str(source.path))
    monkeypatch.setenv("SLM_BENCH_APP_DIR", str(tmp_path / "app"))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/report.py").run()
    assert not at.exception, [e.message for e in at.exception]
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download run bundle" in labels
    assert any("Import a run bundle" in e.label for e in at.expander)
    # what the button serves is a valid bundle of the selected run
    data = bundle.bundle_bytes(source, [keep])
    target = Store(tmp_path / "t.db")
    assert bundle.import_bytes(target, data, "x.slmbundle")["runs"] == {"new": 1, "kept": 0}
    with pytest.raises(BenchError, match=r"x\.slmbundle"):
        bundle.import_bytes(target, b"junk", "x.slmbundle")
