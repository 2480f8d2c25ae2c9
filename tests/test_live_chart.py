"""The chart drawn while a run goes: every finished request becomes a point, from the runner's own events.

Real runner, real Foundry Local with the tiny test model, real SQLite: the points the Job collected
are compared with what the run stored, so the chart can never show a request the run did not keep,
nor count a warm-up or cold request as measured.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from bench.inputs.config import PromptSet, RunSettings, resolve_prompt_set
from bench.report import live_chart
from bench.run.runner import run_benchmark
from bench.store.store import Store
from ui.jobs import Job


def _two_prompts() -> PromptSet:
    workshop = resolve_prompt_set("workshop")
    return workshop.model_copy(update={"prompts": workshop.prompts[:2]})


def test_the_live_points_are_the_stored_requests(tiny_model: str, db_path: Path) -> None:
    store = Store(db_path)
    job = Job(id="live", kind="quick", title="quick", rounds=2)
    settings = RunSettings(models=[tiny_model], rounds=2, warmup=1, max_tokens=6, stream=True)
    run_id, status = run_benchmark(store, settings, _two_prompts(), progress=job.on_progress)
    assert status == "completed"
    stored = [s for s in store.samples([run_id]) if s["ok"] and s["metrics"].get("decode_tps") is not None]
    assert len(job.points) == len(stored) > 0
    requests = [p["request"] for p in job.points]
    assert requests == sorted(set(requests)) and requests[-1] <= job.total == 6
    measured = [s for s in stored if not s["warmup"] and not s["cold"]]
    assert live_chart.measured_count(job.points) == len(measured)
    by_phase = {p["phase"] for p in job.points}
    assert by_phase <= set(live_chart.PHASE_ORDER)
    assert sorted(p["decode_tps"] for p in job.points) == sorted(s["metrics"]["decode_tps"] for s in stored)


def test_a_failed_request_is_not_drawn() -> None:
    assert live_chart.live_point(1, {"ok": False, "metrics": {"decode_tps": 9.0}}) is None
    assert live_chart.live_point(1, {"ok": True, "metrics": {}}) is None
    cold = live_chart.live_point(
        1, {"ok": True, "warmup": True, "cold": True, "metrics": {"decode_tps": 3.0}}
    )
    warm = live_chart.live_point(2, {"ok": True, "warmup": True, "metrics": {"decode_tps": 3.0}})
    assert cold["phase"].startswith("cold") and warm["phase"].startswith("warm-up")


def _panel() -> None:
    from bench.report import live_chart
    from ui.job_view import _render
    from ui.jobs import Job

    job = Job(id="t1", kind="quick", title="Quick", rounds=2, total=15, done=3)
    for i, (warmup, cold) in enumerate([(True, True), (True, False), (False, False)], start=1):
        sample = {"ok": True, "warmup": warmup, "cold": cold, "model": "m", "prompt_id": f"p{i}",
                  "transport": "in-process", "metrics": {"decode_tps": 40.0 + i, "e2e_s": 1.0}}  # fmt: skip
        job.points.append(live_chart.live_point(i, sample))
    _render(job, "t", live=True)


def test_the_panel_draws_the_points_and_says_how_many_are_measured() -> None:
    at = AppTest.from_function(_panel).run()
    assert not at.exception, [e.message for e in at.exception]
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    caption = next(c.value for c in at.caption if c.value.startswith("Decode tokens/s of each request"))
    assert "3 drawn, 1 measured" in caption
