"""Manual annotation on a real SQLite file: which answer is shown, blind order, saving, resume."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.store.store import Store
from rubrics.annotate import (
    OVERALL,
    annotation_items,
    annotations_frame,
    blind_answers,
    blind_label,
    blind_order,
    next_unannotated,
    progress,
    save_scores,
    saved_scores,
)
from rubrics.schema import builtin_rubric_sets

ROOT = Path(__file__).resolve().parent.parent
PROMPTS = {
    "name": "t",
    "prompts": [
        {"id": "p1", "prompt": "Summarize A.", "aspects": ["faithfulness", "format"]},
        {"id": "p2", "prompt": "Summarize B."},  # names no aspects
    ],
}


def _sample(run_id: str, model: str, prompt_id: str, rnd: int, answer: str, ok: bool = True) -> dict:
    return {
        "run_id": run_id, "model": model, "prompt_id": prompt_id, "round": rnd, "warmup": rnd < 0,
        "cold": rnd == -1, "ok": ok, "error": None if ok else "boom", "stream": True,
        "transport": "in-process", "started_at": "2026-01-01T00:00:00Z", "metrics": {},
        "answer": answer, "reasoning": "", "server_timings": None,
    }  # fmt: skip


def _run(tmp_path: Path) -> tuple[Store, str]:
    """Two models x two prompts, with a warm-up and a failed round to be skipped."""
    store = Store(tmp_path / "bench.db")
    run_id = store.create_run({"models": ["m1", "m2"]}, PROMPTS, {})
    for model in ("m1", "m2"):
        for pid in ("p1", "p2"):
            store.add_sample(_sample(run_id, model, pid, -1, f"warm {model} {pid}"))
            store.add_sample(_sample(run_id, model, pid, 1, f"{model} {pid} r1"))
    store.add_sample(_sample(run_id, "m1", "p1", 0, "m1 p1 r0"))
    store.add_sample(_sample(run_id, "m2", "p1", 0, "failed", ok=False))
    return store, run_id


def test_items_use_first_ok_non_warmup_answer(tmp_path: Path):
    store, run_id = _run(tmp_path)
    items = annotation_items(store, run_id)
    assert [i.prompt_id for i in items] == ["p1", "p2"]
    assert items[0].answers == {"m1": "m1 p1 r0", "m2": "m2 p1 r1"}  # m2's round 0 failed
    assert items[0].aspects == ("faithfulness", "format")
    assert items[1].aspects == (OVERALL,)  # no aspects, no rubric set
    with_rubric = annotation_items(store, run_id, builtin_rubric_sets()["meeting-notes"])
    assert with_rubric[1].aspects == ("faithfulness", "coverage", "concision", "format")


def test_prompt_without_usable_aspects_is_left_out_with_a_rubric(tmp_path: Path):
    store = Store(tmp_path / "bench.db")
    prompts = {"prompts": [{"id": "p9", "prompt": "x", "aspects": ["not-in-rubric"]}]}
    run_id = store.create_run({}, prompts, {})
    store.add_sample(_sample(run_id, "m1", "p9", 0, "answer"))
    assert annotation_items(store, run_id, builtin_rubric_sets()["meeting-notes"]) == []
    assert annotation_items(store, run_id)[0].aspects == ("not-in-rubric",)


def test_blind_order_is_stable_and_differs_between_annotators():
    models = ["m1", "m2", "m3", "m4"]
    first = blind_order("r", "p1", "ana", models)
    assert first == blind_order("r", "p1", "ana", list(reversed(models)))  # input order irrelevant
    assert sorted(first) == models
    orders = {
        pid: (blind_order("r", pid, "ana", models), blind_order("r", pid, "ben", models))
        for pid in (f"p{i}" for i in range(10))
    }
    assert any(a != b for a, b in orders.values())


def test_blind_order_survives_a_restart():
    """Seeded by SHA-256 of the strings, not Python's salted hash(): same order in a new process."""
    code = "from rubrics.blind import blind_order; print(blind_order('r', 'p1', 'ana', ['m1', 'm2', 'm3', 'm4']))"
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True, text=True, check=True, cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2")
    }  # fmt: skip
    assert outs == {str(blind_order("r", "p1", "ana", ["m1", "m2", "m3", "m4"]))}


def test_blind_labels():
    assert [blind_label(i) for i in (0, 1, 2, 25, 26, 27)] == [
        "Answer A", "Answer B", "Answer C", "Answer Z", "Answer AA", "Answer AB",
    ]  # fmt: skip


def test_blind_answers_hide_nothing_but_order(tmp_path: Path):
    store, run_id = _run(tmp_path)
    item = annotation_items(store, run_id)[0]
    shown = blind_answers(item, "ana")
    assert [b.label for b in shown] == ["Answer A", "Answer B"]
    assert {b.model: b.text for b in shown} == dict(item.answers)


def test_save_validates(tmp_path: Path):
    store, run_id = _run(tmp_path)
    with pytest.raises(BenchError, match="annotator"):
        save_scores(store, run_id, "p1", "m1", "  ", {"format": 3})
    for bad in (0, 6, 2.5, True, "4"):
        with pytest.raises(BenchError, match="not a score"):
            save_scores(store, run_id, "p1", "m1", "ana", {"format": bad})
    with pytest.raises(BenchError, match="none given"):
        save_scores(store, run_id, "p1", "m1", "ana", {})
    with pytest.raises(BenchError, match="has no answer"):
        save_scores(store, run_id, "p1", "nobody", "ana", {"format": 3})
    assert annotations_frame(store, [run_id]).empty


def test_save_is_an_upsert_and_progress_resumes(tmp_path: Path):
    store, run_id = _run(tmp_path)
    assert progress(store, run_id, "ana") == (0, 4)
    save_scores(store, run_id, "p1", "m1", "ana", {"faithfulness": 2, "format": 4}, "first")
    save_scores(store, run_id, "p1", "m1", "ana", {"faithfulness": 5}, "second")
    saved = saved_scores(store, run_id, "p1", "ana")
    assert saved["m1"].scores == {"faithfulness": 5, "format": 4}
    assert progress(store, run_id, "ana") == (1, 4)
    assert next_unannotated(store, run_id, "ana").prompt_id == "p1"  # m2 still open
    save_scores(store, run_id, "p1", "m2", "ana", {"faithfulness": 3})  # format still missing
    assert progress(store, run_id, "ana") == (1, 4)
    save_scores(store, run_id, "p1", "m2", "ana", {"format": 3})
    assert next_unannotated(store, run_id, "ana").prompt_id == "p2"
    for model in ("m1", "m2"):
        save_scores(store, run_id, "p2", model, "ana", {OVERALL: 4})
    assert progress(store, run_id, "ana") == (4, 4)
    assert next_unannotated(store, run_id, "ana") is None
    assert progress(store, run_id, "ben") == (0, 4)  # per annotator
    frame = annotations_frame(store, [run_id])
    assert len(frame) == 6 and set(frame["annotator"]) == {"ana"}
    assert frame.loc[frame["aspect"] == "faithfulness", "comment"].tolist() == ["second", ""]


def test_two_concurrent_annotators_lose_nothing(tmp_path: Path):
    store, run_id = _run(tmp_path)
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def annotate(name: str, score: int) -> None:
        try:
            own = Store(store.path)  # as a second Streamlit session would
            start.wait()
            for _ in range(10):
                for pid in ("p1", "p2"):
                    for model in ("m1", "m2"):
                        save_scores(own, run_id, pid, model, name, {"faithfulness": score, "format": score})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=annotate, args=(n, s)) for n, s in (("ana", 2), ("ben", 4))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    frame = annotations_frame(store, [run_id])
    assert len(frame) == 2 * 2 * 2 * 2  # annotators x prompts x models x aspects
    assert frame.groupby("annotator")["score"].unique().map(list).to_dict() == {"ana": [2], "ben": [4]}
