"""Answers cut by the token limit are marked, and people are warned before grading them.

Seen: the quick benchmark's 48-token cap cut 4 of 5 answers (``finish_reason=length``); Annotate,
Judge and Results showed them as normal text, as if the model had stopped there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from bench.inputs.config import PromptSet, RunSettings, resolve_prompt_set
from bench.run.runner import run_benchmark
from bench.store.store import Store
from ui.tasks import QUICK

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


def texts(elements: Any) -> str:
    return "\n".join(str(e.value) for e in elements)


def _workshop(ids: list[str]) -> PromptSet:
    full = resolve_prompt_set("workshop")
    return full.model_copy(update={"prompts": [p for p in full.prompts if p.id in ids]})


def test_the_quick_benchmark_cap_fits_the_answers_that_end(env: Path, default_model: str) -> None:
    """The default model finishes these three workshop answers by itself under the quick cap."""
    store = Store(env / "bench.db")
    settings = RunSettings(models=[default_model], rounds=1, warmup=0, max_tokens=QUICK["max_tokens"])
    run_id, _ = run_benchmark(store, settings, _workshop(["capital", "explain-onnx", "python-reverse"]))
    reasons = {s["prompt_id"]: s["metrics"]["finish_reason"] for s in store.samples([run_id])}
    assert reasons == {"capital": "stop", "explain-onnx": "stop", "python-reverse": "stop"}


def test_cut_answers_are_marked_and_warned_about_on_annotate_and_judge(env: Path, default_model: str) -> None:
    store = Store(env / "bench.db")
    settings = RunSettings(models=[default_model], rounds=1, warmup=0, max_tokens=6)
    run_id, status = run_benchmark(store, settings, _workshop(["capital", "explain-onnx"]))
    assert status == "completed"
    assert all(s["metrics"]["finish_reason"] == "length" for s in store.samples([run_id]))

    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/annotate.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert "2 of 2 answers were cut by the token limit" in texts(at.warning)
    assert "max tokens 6" in texts(at.warning)
    at.text_input(key="annotator_name").set_value("ana").run()
    assert "cut by the token limit at 6 tokens" in texts(at.markdown)  # the mark on the answer itself

    at.switch_page("pages/judge.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert "2 of 2 answers were cut by the token limit" in texts(at.warning)
