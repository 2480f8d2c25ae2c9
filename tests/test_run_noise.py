"""Run-to-run noise (``bench run --repeat N``) and drift inside a run, on seeded synthetic runs whose
truth is known, then through the real store, report and CLI (an HTTP fake server on 127.0.0.1 stands
in for a model server; it is a real ``http.server``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench.stats.aggregates import samples_frame
from bench.stats.drift import PRACTICAL_FALL, drift_of
from bench.stats.run_noise import cv_band, noise_note, repeat_group_runs, run_noise
from bench.store.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_inprocess import cli

REPO = Path(__file__).resolve().parent.parent
PROMPT_SPEED = (0.7, 0.85, 1.0, 1.15, 1.3)  # real prompt effects: some prompts decode slower by nature
START = datetime(2026, 1, 1, tzinfo=UTC)


def synthetic(run_id: str, rng: np.random.Generator, *, rate: float = 50.0, fall: float = 0.0,
              rounds: int = 20, model: str = "m") -> list[dict[str, Any]]:  # fmt: skip
    """A run's samples in request order (rounds x prompts, as the runner sends them): decode rate
    ``rate`` x prompt effect x (1 - fall x position / (n - 1)) x log-normal noise (6%)."""
    n = rounds * len(PROMPT_SPEED)
    out = []
    for k in range(n):
        prompt = k % len(PROMPT_SPEED)
        speed = rate * PROMPT_SPEED[prompt] * (1 - fall * k / (n - 1)) * rng.lognormal(0, 0.06)
        out.append({
            "id": k, "run_id": run_id, "model": model, "prompt_id": f"p{prompt}", "round": k // len(PROMPT_SPEED),
            "warmup": False, "cold": False, "ok": True, "outcome": "ok",
            "started_at": (START + timedelta(seconds=k)).isoformat(),
            "metrics": {"decode_tps": speed, "e2e_s": 0.2 + 64 / speed, "ttft_s": 0.2 * rng.lognormal(0, 0.05),
                        "output_tokens": 65, "output_token_source": "usage"},
        })  # fmt: skip
    return out


# ---- the coefficient of variation and its bands ----------------------------------------------------


def test_cv_bands_are_aiperfs():
    assert [cv_band(c) for c in (0.0, 0.049, 0.05, 0.099, 0.10, 0.5)] == [
        "excellent", "excellent", "good", "good", "noisy", "noisy"
    ]  # fmt: skip
    assert cv_band(None) == "n/a"


@pytest.mark.parametrize(("run_sd", "band"), [(0.02, "excellent"), (0.25, "noisy")])
def test_the_between_run_spread_is_found_on_runs_of_known_spread(run_sd: float, band: str):
    # 100 seeded groups in one frame, one model name per group: run_noise gives one RunNoise per model,
    # the same figures as one frame per group (the same draws, seed by seed)
    samples = []
    for seed in range(100):
        rng = np.random.default_rng(seed)
        for r in range(6):  # six runs; each run's speed is off by a run effect of sd run_sd
            model = f"m-{seed:03d}"
            samples += synthetic(f"run{r}", rng, rate=50 * rng.lognormal(0, run_sd), rounds=4, model=model)
    groups = [n for n in run_noise(samples_frame(samples)) if n.metric == "decode_tps"]
    assert len(groups) == 100
    hits = 0
    for decode in groups:
        assert decode.runs == 6 and decode.requests == (20,) * 6
        hits += decode.band == band
    assert hits >= 90  # the band is right in at least 90 of 100 seeded groups


def test_one_run_has_no_run_to_run_spread():
    (decode, *_) = run_noise(samples_frame(synthetic("only", np.random.default_rng(0))))
    assert decode.cv is None and decode.band == "n/a" and "one run" in decode.sentence()


def test_compare_note_says_whether_a_change_is_within_run_to_run_noise():
    rng = np.random.default_rng(1)
    samples = [s for r in range(4) for s in synthetic(f"r{r}", rng, rate=50 * (1 + 0.04 * r), rounds=4)]
    noise = run_noise(samples_frame(samples))
    decode = next(n for n in noise if n.metric == "decode_tps")
    limit = 1.96 * np.sqrt(2) * decode.cv * 100
    assert "within run-to-run noise" in noise_note(noise, "m", "decode_tps", limit * 0.5)
    assert "beyond run-to-run noise" in noise_note(noise, "m", "decode_tps", -limit * 1.5)
    assert noise_note(noise, "other-model", "decode_tps", 3.0) == ""


# ---- drift inside a run --------------------------------------------------------------------------


def test_a_steady_run_is_rarely_flagged_and_a_planted_decline_is_found():
    # 200 seeded runs of each kind in one frame: drift_of gives one Drift per (run, model), the same
    # figures as 200 frames of one run each (the same draws, seed by seed), without 400 DataFrames
    steady_runs, falling_runs = [], []
    for seed in range(200):
        rng = np.random.default_rng(seed)
        steady_runs += synthetic(f"steady-{seed:03d}", rng)
        falling_runs += synthetic(f"falling-{seed:03d}", rng, fall=0.15)
    a_all, b_all = drift_of(samples_frame(steady_runs)), drift_of(samples_frame(falling_runs))
    assert len(a_all) == len(b_all) == 200
    steady = sum(a.flagged for a in a_all)
    falling = sum(b.flagged for b in b_all)
    assert all(b.n == 100 for b in b_all)
    assert steady <= 10  # at most 5% false alarms over 200 steady runs (5 prompts x 20 rounds)
    assert falling >= 180  # a 15% fall over the run is found in at least 90% of runs


def test_the_drift_estimate_covers_the_planted_fall():
    # 200 seeded runs in one frame: one Drift per run, the same figures as one frame per run
    runs = [
        s for seed in range(200) for s in synthetic(f"f-{seed:03d}", np.random.default_rng(seed), fall=0.15)
    ]
    found = drift_of(samples_frame(runs))
    assert len(found) == 200
    covered = sum(d.low <= -0.15 <= d.high for d in found)
    assert covered >= 180  # the 95% interval holds the truth in at least 90% of runs


def test_prompt_effects_alone_are_not_a_trend():
    rng = np.random.default_rng(3)
    samples = synthetic("p", rng)
    samples.sort(key=lambda s: s["prompt_id"])  # prompt-major order: slow prompts first, fast ones last
    for k, s in enumerate(samples):
        s["started_at"] = (START + timedelta(seconds=k)).isoformat()
    (d,) = drift_of(samples_frame(samples))
    assert not d.flagged and abs(d.change) < PRACTICAL_FALL


def test_too_few_requests_is_no_verdict():
    (d,) = drift_of(samples_frame(synthetic("tiny", np.random.default_rng(0), rounds=1)))
    assert d.verdict == "too few requests" and not d.flagged and "too few" in d.sentence()


# ---- through the store, the report and the CLI -----------------------------------------------------


def _store(store: Store, samples: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    settings = {"models": ["m"], "rounds": 20, "warmup": 0, "stream": True, "max_tokens": 64,
                "temperature": 0.0, "seed": 42, "endpoint": None}  # fmt: skip
    prompts = {"name": "synthetic", "prompts": [{"id": f"p{i}", "prompt": f"p {i}"} for i in range(5)]}
    run_id = store.create_run(settings, prompts, {"transport": "in-process", **meta})
    store.upsert_run_model(run_id, "m", status="done")
    for s in samples:
        store.add_sample({k: v for k, v in s.items() if k != "id"} | {"run_id": run_id, "stream": True,
                         "transport": "in-process", "answer": "x", "reasoning": "", "error": None})  # fmt: skip
    store.set_run_status(run_id, "completed")
    return run_id


def test_repeat_groups_are_found_and_reported_with_their_noise_and_drift(tmp_path: Path):
    from bench.report.exports import render_markdown, report_dict

    store = Store(tmp_path / "b.db")
    rng = np.random.default_rng(7)
    ids = [
        _store(store, synthetic("x", rng, fall=0.3 if i == 2 else 0.0),
               {"repeat": {"group": "rep-1", "index": i + 1, "of": 3}})
        for i in range(3)
    ]  # fmt: skip
    lone = _store(store, synthetic("y", rng), {})
    runs = store.list_runs(10)
    assert repeat_group_runs(runs, ids[1]) == ids and repeat_group_runs(runs, lone) == [lone]
    md = render_markdown(store, ids)
    assert "## Run-to-run noise" in md and "| rep-1 | m | Decode tokens/s | 3 |" in md
    assert "## Drift within a run" in md and "FELL" in md and ids[2] in md
    data = report_dict(store, ids)
    assert {n["metric"] for n in data["run_noise"]} >= {"decode_tps", "e2e_s"}
    assert [d["run_id"] for d in data["drift"] if d["flagged"]] == [ids[2]]
    single = render_markdown(store, [lone])
    assert "## Run-to-run noise" not in single and "## Drift within a run" in single


@pytest.fixture
def fake() -> Iterator[Any]:
    from tests.test_openai_faults import FakeServer, Reply, delta, usage_chunk

    server = FakeServer()
    events = [
        delta("", role="assistant"),
        delta("one"),
        delta(" two"),
        delta(finish="stop"),
        usage_chunk(3, 2),
    ]
    server.chat(Reply(content_type="text/event-stream", events=events))
    yield server
    server.close()


def test_cli_repeat_makes_grouped_runs_and_prints_their_noise(fake: Any, tmp_path: Path):
    prompts = tmp_path / "prompts.json"
    prompts.write_text('["Say hi.", "Name a colour."]')
    db = tmp_path / "b.db"
    # in-process (cli_inprocess): the grouped runs and the words are the subject, not a new interpreter
    env = {"COLUMNS": "200"}
    done = cli("run", "--endpoint", fake.url, "--models", "fake-model", "--prompts", str(prompts), "--rounds",
               "2", "--warmup", "0", "--repeat", "3", "--db", str(db), env=env, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    ids = done.stdout.split()
    assert len(ids) == 3
    store = Store(db)
    metas = [store.get_run(i)["meta"]["repeat"] for i in ids]
    assert len({m["group"] for m in metas}) == 1 and [m["index"] for m in metas] == [1, 2, 3]
    assert all(m["of"] == 3 for m in metas)
    assert "run-to-run noise: fake-model" in done.stderr and "between 3 runs" in done.stderr
    refused = cli("run", "--resume", ids[0], "--repeat", "2", "--db", str(db), env=env, cwd=tmp_path)
    assert refused.returncode == 2 and "--repeat" in refused.stderr and "Traceback" not in refused.stderr


def test_compare_notes_each_speed_row_against_the_run_to_run_noise(tmp_path: Path):
    from bench.compare.changes import compare_runs, noise_notes

    store = Store(tmp_path / "b.db")
    rng = np.random.default_rng(11)

    def group(name: str, rate: float) -> list[str]:
        return [
            _store(store, synthetic("x", rng, rate=rate * rng.lognormal(0, 0.05)),
                   {"repeat": {"group": name, "index": i + 1, "of": 3}})
            for i in range(3)
        ]  # fmt: skip

    base, same, slower = group("base", 50.0), group("same", 50.0), group("slower", 25.0)
    lone_a, lone_b = _store(store, synthetic("a", rng), {}), _store(store, synthetic("b", rng), {})
    assert noise_notes(store, compare_runs(store, lone_a, lone_b, quality=False)) == {}

    close = noise_notes(store, compare_runs(store, base[0], same[0], quality=False))
    far = noise_notes(store, compare_runs(store, base[0], slower[0], quality=False))
    assert set(close) >= {("m", "decode_tps"), ("m", "e2e_p50"), ("m", "e2e_p95")}
    assert "over 3 runs" in close[("m", "decode_tps")]
    assert "beyond run-to-run noise" in far[("m", "decode_tps")]  # half the speed: far beyond any noise
    # same settings, same truth: the change of the run means is within 1.96 x sqrt 2 x CV
    assert "within run-to-run noise" in close[("m", "decode_tps")]

    done = cli("compare", base[0], slower[0], "--db", str(store.path), env={"COLUMNS": "200"}, cwd=tmp_path)
    assert "run-to-run noise · m · decode_tps:" in done.stderr and "beyond run-to-run noise" in done.stderr


def test_results_page_flags_a_falling_run_and_shows_the_groups_noise(tmp_path: Path, monkeypatch: Any):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SLM_BENCH_DB", str(tmp_path / "bench.db"))
    monkeypatch.setenv("SLM_BENCH_APP_DIR", str(tmp_path / "app"))
    store = Store(tmp_path / "bench.db")
    rng = np.random.default_rng(5)
    ids = [
        _store(store, synthetic("x", rng, fall=0.3 if i == 1 else 0.0),
               {"repeat": {"group": "rep-9", "index": i + 1, "of": 2}})
        for i in range(2)
    ]  # fmt: skip
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    at.query_params["run"] = ids
    at.switch_page("pages/results.py").run()
    assert not at.exception, [e.message for e in at.exception]
    warnings = "\n".join(str(w.value) for w in at.warning)
    assert f"Run `{ids[1]}`" in warnings and "FELL" in warnings and f"Run `{ids[0]}`" not in warnings
    assert any("Run-to-run noise · repeat group `rep-9` (2 runs)" in e.label for e in at.expander)
    # above the charts, where it is read first, though it is computed after them (the charts are not held back)
    order = [str(getattr(e, "value", "")) for e in _in_order(at.main)]
    warning = next(i for i, text in enumerate(order) if "FELL" in text)
    assert warning < order.index("Latency distribution")


def _in_order(node: Any) -> Iterator[Any]:
    """Every element under ``node`` (an AppTest block) in the order the page shows them."""
    yield node
    for key in sorted(getattr(node, "children", {}) or {}):
        yield from _in_order(node.children[key])


def test_a_load_run_is_not_drift_its_levels_raise_the_load_on_purpose():
    rng = np.random.default_rng(2)
    samples = synthetic("load", rng, fall=0.5)  # speed falls because each level sends more at once
    for k, s in enumerate(samples):
        s["metrics"]["load_level"] = f"c={2 ** (k // 25)}"
    assert drift_of(samples_frame(samples)) == []
