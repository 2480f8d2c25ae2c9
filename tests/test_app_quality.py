"""The Annotate and Judge pages and the quality view, through ``streamlit.testing.v1.AppTest``.

Each test gets its own SQLite file (``SLM_BENCH_DB``, set before the AppTest is made) holding a real
run of the tiny model over two prompts that name aspects of the built-in workshop rubric. Pages are
opened through ``app.py`` (the router), as tests/test_app_pages.py does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from bench.inputs.config import PromptSet, RunSettings
from bench.run.runner import run_benchmark
from bench.store.store import Store
from rubrics.annotate import annotations_frame, save_scores
from rubrics.judge import judgments_frame

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
ANNOTATE = "pages/annotate.py"
JUDGE = "pages/judge.py"
CHART = "vega_lite_chart"
TIMEOUT = 60

PROMPTS = {
    "name": "team-quality",
    "prompts": [
        {"id": "capital", "prompt": "Capital of France?", "aspects": ["accuracy", "concision"]},
        {"id": "color", "prompt": "Name a color.", "aspects": ["instruction_following"]},
    ],
}


@pytest.fixture
def run_id(env: Path, tiny_model: str) -> str:
    """A completed run of the tiny model over the two prompts, in the test's database."""
    settings = RunSettings(models=[tiny_model], rounds=1, warmup=0, max_tokens=8)
    rid, status = run_benchmark(db(env), settings, PromptSet.model_validate(PROMPTS))
    assert status == "completed"
    return rid


def db(env: Path) -> Store:
    return Store(env / "bench.db")


def texts(elements: Any) -> str:
    return "\n".join(str(e.value) for e in elements)


def check(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    check(at.run())
    return check(at.switch_page(page).run())


def progress_text(at: AppTest) -> str:
    return "\n".join(p.proto.text for p in at.get("progress"))


def wait_for(at: AppTest, done: Callable[[AppTest], bool], seconds: float = 120) -> AppTest:
    """Rerun the page (as the fragment's auto-refresh would) until ``done`` or time is up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.5)
        check(at.run())
        if done(at):
            return at
    raise AssertionError(f"timed out; page shows: {texts(at.markdown)[:2000]}")


def job_finished(at: AppTest) -> bool:
    from ui.jobs import registry

    return registry().active() is None


# ---- router --------------------------------------------------------------------------------------
def test_the_router_lists_the_quality_pages() -> None:
    from ui.routing import PAGES

    files = [path for _, path, _, _ in PAGES]
    assert ANNOTATE in files and JUDGE in files
    assert (ROOT / ANNOTATE).exists() and (ROOT / JUDGE).exists()


def test_pages_explain_what_to_do_on_an_empty_database(env: Path) -> None:
    for page in (ANNOTATE, JUDGE):
        at = open_page(page)
        assert not at.error, texts(at.error)
        assert "No finished run with answers yet" in texts(at.info)


# ---- annotate ------------------------------------------------------------------------------------
def annotate_as(at: AppTest, name: str) -> AppTest:
    at.text_input(key="annotator_name").set_value(name)
    return check(at.run())


def test_annotate_saves_blind_scores_and_shows_progress(env: Path, run_id: str, tiny_model: str) -> None:
    at = open_page(ANNOTATE)
    assert "Enter your name" in texts(at.info)
    assert at.selectbox(key="annotate_run").value == run_id
    annotate_as(at, "ana")
    assert "0 of 2 annotated by ana" in progress_text(at)

    # first prompt: two aspects, one answer, shown blind
    assert "Capital of France?" in texts(at.markdown)
    assert any(m.value.startswith("#### Answer A") for m in at.markdown)
    assert not any(tiny_model in m.value for m in at.markdown)  # model hidden before saving
    sliders = at.segmented_control
    assert [s.label for s in sliders] == ["Accuracy", "Concision"]
    assert [s.value for s in sliders] == [None, None]  # no score until touched
    assert "Correct in everything that matters" in sliders[0].help  # the anchors of the scores
    sliders[0].set_value(4)
    sliders[1].set_value(2)
    at.text_input[-1].set_value("short but right")
    at.button[0].click()  # the form's Save (first button on the page)
    check(at.run())
    assert not at.error, texts(at.error)

    frame = annotations_frame(db(env), [run_id])
    assert sorted(zip(frame["aspect"], frame["score"], strict=True)) == [("accuracy", 4), ("concision", 2)]
    assert set(frame["annotator"]) == {"ana"} and set(frame["model"]) == {tiny_model}
    assert set(frame["comment"]) == {"short but right"}
    assert "1 of 2 annotated by ana" in progress_text(at)
    assert f"Answer A = `{tiny_model}`" in texts(at.success)  # revealed after saving

    # saving moved on to the next unannotated answer: the second prompt (issue 20: keyboard speed)
    assert "Name a color." in texts(at.markdown)
    assert [s.label for s in at.segmented_control] == ["Instruction following"]

    # a second annotator: own progress, own scores; the first one's stay as they were
    annotate_as(at, "ben")
    assert "0 of 2 annotated by ben" in progress_text(at)
    assert "Capital of France?" in texts(at.markdown)  # ben starts at his first unannotated prompt
    at.segmented_control[0].set_value(1)
    at.segmented_control[1].set_value(5)
    at.button[0].click()
    check(at.run())
    frame = annotations_frame(db(env), [run_id])
    ana = frame[frame["annotator"] == "ana"].set_index("aspect")["score"].to_dict()
    ben = frame[frame["annotator"] == "ben"].set_index("aspect")["score"].to_dict()
    assert ana == {"accuracy": 4, "concision": 2}
    assert ben == {"accuracy": 1, "concision": 5}
    assert "1 of 2 annotated by ben" in progress_text(at)

    # resume: a fresh session of ana starts at her first unannotated prompt
    again = open_page(ANNOTATE)
    annotate_as(again, "ana")
    assert "Name a color." in texts(again.markdown)
    assert "1 of 2 annotated by ana" in progress_text(again)


def test_untouched_scores_are_not_stored_and_the_page_shows_what_is_left(env: Path, run_id: str) -> None:
    """Issue 8: sliders used to start at 3 and Save stored every answer; now only touched scores count."""
    at = annotate_as(open_page(ANNOTATE), "ana")
    assert "3 scores left on 2 prompts" in progress_text(at)
    assert "Left on this prompt: 2 (Answer A · accuracy, Answer A · concision)" in texts(at.caption)
    at.button[0].click()  # Save with nothing touched
    check(at.run())
    assert "Nothing was scored" in texts(at.error)
    assert annotations_frame(db(env), [run_id]).empty  # no deliberate-looking 3s

    at.segmented_control[1].set_value(2)  # concision only; accuracy stays untouched
    at.button[0].click()
    check(at.run())
    frame = annotations_frame(db(env), [run_id])
    assert list(zip(frame["aspect"], frame["score"], strict=True)) == [("concision", 2)]
    assert "2 scores left on 2 prompts" in progress_text(at)
    assert "Left on this prompt: 1 (Answer A · accuracy)" in texts(at.caption)
    assert [s.value for s in at.segmented_control] == [None, 2]  # saved score shown, untouched still empty


def test_annotate_agreement_table_between_two_annotators(env: Path, run_id: str, tiny_model: str) -> None:
    store = db(env)
    for name, scores in (("ana", (4, 2, 5)), ("ben", (5, 2, 4))):
        save_scores(
            store, run_id, "capital", tiny_model, name, {"accuracy": scores[0], "concision": scores[1]}
        )
        save_scores(store, run_id, "color", tiny_model, name, {"instruction_following": scores[2]})
    at = annotate_as(open_page(ANNOTATE), "ana")
    assert "All 2 answers of this run are scored by ana" in texts(at.success)
    table = next(d.value for d in at.dataframe if "Annotator A" in d.value)
    assert list(table["Annotator A"]) == ["ana"] and list(table["Annotator B"]) == ["ben"]
    assert int(table["n"].iloc[0]) == 3
    assert "Krippendorff's alpha" in {m.label for m in at.metric}
    assert "n = 3 items" in {m.delta for m in at.metric}


def test_default_rubric_follows_the_prompt_set() -> None:
    from ui.quality_view import default_rubric_label

    labels = ["meeting-notes (built-in)", "workshop (built-in)", "mine (yours)"]
    assert default_rubric_label({"prompts": {"name": "meeting-notes"}}, labels) == "meeting-notes (built-in)"
    assert default_rubric_label({"prompts": {"name": "team-quality"}}, labels) == "workshop (built-in)"
    assert default_rubric_label({"prompts": {"name": "workshop"}}, labels) == "workshop (built-in)"


# ---- quality view --------------------------------------------------------------------------------
def _quality_script(run: str) -> None:
    from ui.quality_view import render_quality
    from ui.resources import store

    render_quality(store(), [run])


def test_render_quality_shows_peoples_scores(env: Path, run_id: str, tiny_model: str) -> None:
    store = db(env)
    save_scores(store, run_id, "capital", tiny_model, "ana", {"accuracy": 4, "concision": 2})
    save_scores(store, run_id, "capital", tiny_model, "ben", {"accuracy": 2, "concision": 2})
    at = AppTest.from_function(_quality_script, args=(run_id,), default_timeout=TIMEOUT)
    check(at.run())
    assert at.selectbox(key="quality_scored_by").options == ["people (annotators)"]
    table: pd.DataFrame = at.dataframe[0].value
    rows = table.set_index("Aspect")
    assert rows.loc["accuracy", "Mean"] == pytest.approx(3.0)  # (4 + 2) / 2, one item
    assert int(rows.loc["accuracy", "n (items)"]) == 1
    assert set(table["Scored by"]) == {"people"}
    assert set(table["Model"]) == {tiny_model}
    assert len(at.get(CHART)) == 1
    assert "Scored by **people (annotators)**" in texts(at.caption)


def test_render_quality_without_scores_says_where_to_get_them(env: Path, run_id: str) -> None:
    at = AppTest.from_function(_quality_script, args=(run_id,), default_timeout=TIMEOUT)
    check(at.run())
    assert "No quality scores for these runs yet" in texts(at.info)


# ---- judge ---------------------------------------------------------------------------------------
def test_judge_page_renders_a_run_without_judgments(env: Path, run_id: str, tiny_model: str) -> None:
    at = open_page(JUDGE)
    assert not at.error, texts(at.error)
    assert at.selectbox(key="judge_run").value == run_id
    assert at.selectbox(key=f"judge_rubric_{run_id}").value == "workshop (built-in)"
    assert tiny_model in at.selectbox(key=f"judge_model_{FOUNDRY}").options
    assert "No answer of this run is graded by a judge yet" in texts(at.info)
    assert "Pairwise needs a run with answers of at least two models" in texts(at.info)


FOUNDRY = "Foundry Local (in-process)"


def test_judge_page_grades_with_the_tiny_model(env: Path, run_id: str, tiny_model: str) -> None:
    at = open_page(JUDGE)
    at.selectbox(key=f"judge_model_{FOUNDRY}").set_value(tiny_model)
    at.number_input(key="judge_attempts").set_value(1)
    check(at.run())
    assert "one of the graded models" in texts(at.caption)  # self-preference warning
    at.button(key="judge_start").click()
    check(at.run())
    assert not at.error, texts(at.error)
    wait_for(at, lambda a: job_finished(a) and not a.get("progress"))

    frame = judgments_frame(db(env), [run_id])
    assert len(frame) == 3  # capital: accuracy + concision; color: instruction_following
    assert set(frame["scored_by"]) == {f"judge:{tiny_model}"}
    assert (frame["raw"].str.len() > 0).all()
    parsed = int(frame["score"].notna().sum())

    tiles = {m.label: (m.value, m.delta) for m in at.metric}
    assert tiles["Judge parse rate"] == (f"{parsed / 3:.0%}", f"{parsed}/3 parsed")
    if parsed < 3 * 0.8:
        assert "readable score in only" in texts(at.warning)
    assert at.selectbox(key="judge_results_judge").value == tiny_model
    judged = at.dataframe[1].value  # [0] the quality table, [1] the judgments
    assert len(judged) == 3 and set(judged["aspect"]) == {"accuracy", "concision", "instruction_following"}
    if parsed < 3:
        assert any(e.label.startswith("Raw replies of the") for e in at.expander)
    assert f"judge model {tiny_model}" in texts(at.caption)
    assert "Judged" not in texts(at.error)


def test_judge_vs_people_shows_agreement_with_n(env: Path, run_id: str, tiny_model: str) -> None:
    """Judgments stored as judge_run stores them (readable ones), against two people's scores."""
    store = db(env)
    with store.connect() as conn:
        for prompt, aspect, score in (
            ("capital", "accuracy", 4),
            ("capital", "concision", 2),
            ("color", "instruction_following", 5),
        ):
            conn.execute(
                "INSERT INTO judgments (run_id, model, prompt_id, aspect, judge, score, rationale, raw, attempts,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, 'why', 'raw', 1, '2026-01-01')",
                (run_id, tiny_model, prompt, aspect, "big-judge", score),
            )
    save_scores(store, run_id, "capital", tiny_model, "ana", {"accuracy": 4, "concision": 3})
    save_scores(store, run_id, "color", tiny_model, "ana", {"instruction_following": 5})
    at = open_page(JUDGE)
    assert at.selectbox(key="judge_results_judge").value == "big-judge"
    tiles = {m.label: (m.value, m.delta) for m in at.metric}
    assert tiles["Judge parse rate"] == ("100%", "3/3 parsed")
    assert tiles["Exact agreement"] == ("67%", "n = 3 items")
    assert tiles["Within 1"] == ("100%", "n = 3 items")
    assert "Weighted kappa" in tiles and "Spearman" in tiles
    assert "rounded half up" in texts(at.caption)
    assert len(at.get(CHART)) == 2  # quality points, confusion heat map
    # issue 10: three items cannot validate a judge; the label says so and why
    assert "too few answers scored by both" in texts(at.warning) or "too little to trust" in texts(at.warning)
    assert "Not validated: kappa" in texts(at.caption)  # the statistic, for who wants it
    assert tiles["Kappa (95% interval)"][1] == "n = 3 items"


def test_a_judge_never_compared_with_people_is_not_validated_and_gets_a_sample(
    env: Path, run_id: str, tiny_model: str
) -> None:
    from rubrics import storage

    store = db(env)
    for prompt, aspect, score in (
        ("capital", "accuracy", 4),
        ("capital", "concision", 2),
        ("color", "instruction_following", 5),
    ):
        storage.upsert_judgment(
            store, (run_id, tiny_model, prompt, aspect, "big-judge"), score, "why", "raw", 1
        )
    at = open_page(JUDGE)
    assert "not checked against people yet" in texts(at.warning)
    assert "never compared with people" in texts(at.caption)
    sample = next(
        d.value for d in at.dataframe if "prompt_id" in d.value and "aspect" in d.value and len(d.value) == 3
    )
    assert "judge" not in sample.columns  # the judge's scores are hidden from the person about to score
    assert set(sample["aspect"]) == {"accuracy", "concision", "instruction_following"}


def test_judge_pairwise_verdicts_are_ranked_with_intervals(env: Path) -> None:
    from bench.store.store import utc_now
    from rubrics import storage

    rid = _two_model_run(env)
    for prompt, final in (("capital", "B"), ("color", "B")):
        storage.upsert_pairwise(db(env), {"run_id": rid, "prompt_id": prompt, "model_a": "m-alpha", "model_b": "m-beta",
                                          "judge": "big-judge", "aspect": "overall", "verdict_ab": final,
                                          "verdict_ba": final, "final": final, "created_at": utc_now()})  # fmt: skip
    at = open_page(JUDGE)
    assert any("Scored by judge model **big-judge** (overall), not by people" in c.value for c in at.caption)
    assert len(at.get(CHART)) == 2  # win-rate bars and the Bradley–Terry ranking


def test_annotator_name_survives_a_page_switch(env: Path, run_id: str) -> None:
    at = annotate_as(open_page(ANNOTATE), "ana")
    check(at.switch_page(JUDGE).run())
    check(at.switch_page(ANNOTATE).run())
    assert at.text_input(key="annotator_name").value == "ana"
    assert "0 of 2 annotated by ana" in progress_text(at)


def test_pairwise_verdicts_show_position_consistency_and_win_rates(env: Path, run_id: str) -> None:
    """Rows as judge_pairwise stores them (judge and criterion in their own columns), read back by the page."""
    with db(env).connect() as conn:
        for prompt, ab, ba, final in (("capital", "A", "A", "A"), ("color", "A", "B", "tie")):
            conn.execute(
                "INSERT INTO pairwise_judgments (run_id, prompt_id, model_a, model_b, judge, aspect, verdict_ab,"
                " verdict_ba, final, raw_ab, raw_ba, created_at) VALUES (?, ?, 'm1', 'm2', 'big-judge', 'overall',"
                " ?, ?, ?, '[[A]]', '[[B]]', '2026-01-01')",
                (run_id, prompt, ab, ba, final),
            )
    at = open_page(JUDGE)
    table = next(d.value for d in at.dataframe if "Position consistency" in d.value)
    row = table.iloc[0]
    assert (row["Judge"], row["Criterion"], row["Model A"], row["Model B"]) == (
        "big-judge",
        "overall",
        "m1",
        "m2",
    )
    assert (row["A wins"], row["B wins"], row["Ties"], row["n"]) == (1, 0, 1, 2)
    assert row["Position consistency"] == "50%" and row["Consistency n"] == 2
    assert len(at.get(CHART)) == 2  # the win-rate bars and the judge's Bradley–Terry ranking
    assert "Scored by the judge model named in each row" in texts(at.caption)


def test_an_unreachable_judge_endpoint_is_an_error_not_a_traceback(env: Path, run_id: str) -> None:
    at = open_page(JUDGE)
    at.radio(key="judge_backend").set_value("Another endpoint URL")
    check(at.run())
    at.text_input(key="judge_url").set_value("http://127.0.0.1:9/v1")
    check(at.run())
    assert "unreachable" in texts(at.error)
    assert at.button(key="judge_start").disabled  # no judge model to grade with


def test_results_page_shows_quality_by_scorer(env: Path, run_id: str, tiny_model: str) -> None:
    """Results joins speed with quality; the scorer is named and people's scores stay apart."""
    save_scores(db(env), run_id, "capital", tiny_model, "ana", {"accuracy": 5, "concision": 3})
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    check(at.run())
    at.query_params["run"] = [run_id]
    check(at.switch_page("pages/results.py").run())
    assert "Quality" in texts(at.subheader)
    assert at.selectbox(key="quality_scored_by").options == ["people (annotators)"]
    quality = next(df.value for df in at.dataframe if "Scored by" in df.value.columns)
    assert set(quality["Scored by"]) == {"people"}
    assert quality.set_index("Aspect").loc["accuracy", "Mean"] == pytest.approx(5.0)


# ---- pairwise votes (issue 10) -------------------------------------------------------------------
def _two_model_run(env: Path) -> str:
    """A stored run with two models' answers (written as the runner stores samples)."""
    store = db(env)
    rid = store.create_run({"models": ["m-alpha", "m-beta"]}, PROMPTS, {})
    for model in ("m-alpha", "m-beta"):
        for prompt in PROMPTS["prompts"]:
            store.add_sample({
                "run_id": rid, "model": model, "prompt_id": prompt["id"], "round": 0, "warmup": False,
                "cold": False, "ok": True, "error": None, "stream": True, "transport": "in-process",
                "started_at": "2026-01-01T00:00:00Z", "metrics": {}, "answer": f"{model} answer",
                "reasoning": "", "server_timings": None,
            })  # fmt: skip
    store.set_run_status(rid, "completed")
    return rid


def test_pairwise_votes_are_blind_stored_and_ranked(env: Path) -> None:
    from rubrics.votes import votes_frame

    rid = _two_model_run(env)
    at = annotate_as(open_page(ANNOTATE), "ana")
    at.radio(key="annotate_mode").set_value("Pairwise votes")
    check(at.run())
    assert "0 of 2 comparisons voted by ana · 2 left" in progress_text(at)
    shown = texts(at.markdown)
    assert "#### Answer A" in shown and "#### Answer B" in shown
    assert "m-alpha answer" in shown and "m-beta answer" in shown
    headers = [m.value for m in at.markdown if m.value.startswith("####")]
    assert not any("m-alpha" in h or "m-beta" in h for h in headers)  # names hidden
    left_is_alpha = shown.index("m-alpha answer") < shown.index("m-beta answer")
    at.button(key="vote_left").click()  # "A is better"
    check(at.run())
    votes = votes_frame(db(env), [rid])
    winner = votes.iloc[0]["model_a"] if votes.iloc[0]["verdict"] == "A" else votes.iloc[0]["model_b"]
    assert winner == ("m-alpha" if left_is_alpha else "m-beta") and list(votes["annotator"]) == ["ana"]
    assert f"you preferred `{winner}`" in texts(at.success)  # revealed after the vote
    assert "1 of 2 comparisons voted by ana · 1 left" in progress_text(at)
    assert len(at.get(CHART)) == 1  # the ranking with intervals
    ranking = next(d.value for d in at.dataframe if "Rating" in d.value)
    assert list(ranking["Model"]) == [winner, *({"m-alpha", "m-beta"} - {winner})]
    at.button(key="vote_skip").click()
    check(at.run())
    assert "Every comparison of this run on `overall` has your vote" in texts(at.success)


def test_render_quality_shows_the_rankings_from_votes(env: Path) -> None:
    from rubrics import storage

    rid = _two_model_run(env)
    storage.upsert_annotations(db(env), (rid, "capital", "m-alpha", "ana"), {"accuracy": 4})
    for prompt in ("capital", "color"):
        storage.upsert_vote(db(env), {"run_id": rid, "prompt_id": prompt, "model_a": "m-alpha", "model_b": "m-beta",
                                      "aspect": "overall", "annotator": "ana", "verdict": "B", "left_model": "m-beta"})  # fmt: skip
    at = AppTest.from_function(_quality_script, args=(rid,), default_timeout=TIMEOUT)
    check(at.run())
    assert any(e.label == f"Rankings from pairwise votes · run {rid}" for e in at.expander)
    ranking = next(d.value for d in at.dataframe if "Rating" in d.value)
    assert list(ranking["Model"]) == ["m-beta", "m-alpha"]
    assert "The left answer won 100% of 2 decisive votes" in texts(at.caption)


def test_an_untouched_answer_beside_a_scored_one_is_not_stored(env: Path) -> None:
    rid = _two_model_run(env)
    at = annotate_as(open_page(ANNOTATE), "ana")
    at.selectbox(key="annotate_run").set_value(rid)
    check(at.run())
    assert [s.label for s in at.segmented_control] == ["Accuracy", "Concision"] * 2  # two answers, blind
    at.segmented_control[0].set_value(5)  # Answer A's accuracy only
    at.button[0].click()
    check(at.run())
    frame = annotations_frame(db(env), [rid])
    assert len(frame) == 1 and frame.iloc[0]["aspect"] == "accuracy" and frame.iloc[0]["score"] == 5
    assert "Left on this prompt: 3" in texts(at.caption)
