"""The progress line and the live answer name the same request while a run streams.

Seen: the bar said "smollm2 · p1 · round 1/2" (the request that had just finished) above the
live answer of p2 (the one being streamed). The panel is rendered from a Job record in the state
the runner leaves it in between two requests.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _panel() -> None:
    from ui.job_view import _render
    from ui.jobs import Job, LiveAnswer

    job = Job(id="t1", kind="benchmark", title="Run", rounds=2, total=6, done=1)
    job.stage = "smollm2 · p1 · round 1/2"  # what the runner's last `sample` event said
    job.last_sample = {"model": "smollm2", "prompt_id": "p1", "round": 0, "ok": True, "metrics": {}}
    job.live = LiveAnswer("smollm2", "p2", 0, "The capital")  # the next request is streaming
    _render(job, "t", live=True)


def test_progress_and_live_answer_show_the_same_prompt() -> None:
    at = AppTest.from_function(_panel).run()
    assert not at.exception, [e.message for e in at.exception]
    bar = at.get("progress")[0].proto.text
    live = next(c.value for c in at.caption if c.value.startswith("Live answer"))
    assert "p2" in bar and "p1" not in bar, bar
    assert "smollm2 · p2 · round 1 of 2" in bar and "smollm2 · p2 · round 1 of 2" in live


def test_between_requests_the_line_keeps_the_runners_stage() -> None:
    from ui.job_view import progress_line

    last = {"model": "m", "prompt_id": "p1", "round": -1}
    assert progress_line("Loading m2…", ("m", "p1", -1), last, 3) == "Loading m2…"
    assert progress_line("x", ("m", "p2", -1), last, 3) == "answering m · p2 · warm-up 1"
    assert progress_line("starting", ("", "", 0), None, 3) == "starting"
