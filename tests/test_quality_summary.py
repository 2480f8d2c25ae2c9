"""The typed quality summary per (run, model), on a real SQLite store whose scores are known.

Every source at once, written as the app writes them: people's 1–5 scores (Annotate), two judges'
scores (one agreeing with people item for item, one scoring the opposite way, some replies
unreadable), people's pairwise votes, and task-check verdicts. The summary must give each source's
own numbers, never mixed, with the judge's validated label as :mod:`rubrics.trust` decides it and
the judge's parse rate as its stored replies say.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from bench.quality.checks.source import wilson
from bench.quality.checks.store import CheckResult, save
from bench.quality.summary import QualitySummary, load_quality
from bench.results import load_results
from bench.store.store import Store
from rubrics import storage
from rubrics.annotate import save_scores
from rubrics.trust import judge_trust

APP = str(Path(__file__).resolve().parent.parent / "app.py")

PROMPTS = {"name": "t", "prompts": [{"id": f"p{i}", "prompt": f"Q{i}", "aspects": ["acc"]} for i in range(4)]}
SETTINGS = {"models": ["m1", "m2"], "rounds": 1, "warmup": 0, "stream": True, "max_tokens": 16,
            "temperature": 0.0, "seed": 42, "endpoint": None}  # fmt: skip
PEOPLE = {"m1": [5, 4, 4, 5], "m2": [2, 2, 1, 1]}
#: "good" gives people's score wherever it answers (None = an unreadable reply); "bad" the opposite
GOOD = {"m1": [5, 4, None, 5], "m2": [2, 2, 1, None]}
BAD = {"m1": [1, 2, 2, 1], "m2": [4, 4, 5, 5]}
#: the one check of each prompt: passed, failed, or not run (None)
CHECKS = {"m1": [True, True, True, False], "m2": [None, False, False, False]}


def _sample(run_id: str, model: str, prompt_id: str) -> dict:
    return {
        "run_id": run_id, "model": model, "prompt_id": prompt_id, "round": 0, "warmup": False,
        "cold": False, "ok": True, "error": None, "stream": True, "transport": "http",
        "started_at": "2026-01-01T00:00:00Z", "answer": f"{model} {prompt_id}", "reasoning": "",
        "server_timings": None, "metrics": {"e2e_s": 1.0, "output_tokens": 5, "output_token_source": "usage"},
    }  # fmt: skip


@pytest.fixture
def scored(tmp_path: Path) -> tuple[Store, str]:
    return _scored(Store(tmp_path / "bench.db"))


def _scored(store: Store) -> tuple[Store, str]:
    """A completed run of m1 and m2 over p0..p3, scored by every source (see the constants)."""
    run_id = store.create_run(SETTINGS, PROMPTS, {})
    for model in ("m1", "m2"):
        store.upsert_run_model(run_id, model, status="done")
        for i in range(4):
            prompt = f"p{i}"
            store.add_sample(_sample(run_id, model, prompt))
            save_scores(store, run_id, prompt, model, "ana", {"acc": PEOPLE[model][i]})
            for judge, scores in (("good", GOOD), ("bad", BAD)):
                score = scores[model][i]
                storage.upsert_judgment(store, (run_id, model, prompt, "acc", judge), score, "", "raw", 1)
            passed = CHECKS[model][i]
            detail = "not run: code not allowed" if passed is None else ""
            save(store, [CheckResult(run_id, model, prompt, 0, 0, "equals", passed, detail)])
    for i in range(3):  # people prefer m1 on three prompts
        storage.upsert_vote(store, {"run_id": run_id, "prompt_id": f"p{i}", "model_a": "m1", "model_b": "m2",
                                    "aspect": "overall", "annotator": "ana", "verdict": "A", "left_model": "m1"})  # fmt: skip
    store.set_run_status(run_id, "completed")
    return store, run_id


def test_every_source_has_its_own_numbers(scored: tuple[Store, str]) -> None:
    store, run_id = scored
    quality = load_quality(store, [run_id])
    assert quality.source_names == ["people", "judge:bad", "judge:good", "votes:people", "checks"]
    m1, m2 = quality.of(run_id, "m1"), quality.of(run_id, "m2")
    assert isinstance(m1, QualitySummary) and (m1.run_id, m1.model) == (run_id, "m1")

    assert m1.people is not None and m2.people is not None
    assert (m1.people.mean, m1.people.n, m1.people.missing) == (pytest.approx(4.5), 4, 0)
    assert m2.people.mean == pytest.approx(1.5) and m1.people.low <= 4.5 <= m1.people.high
    assert m1.people.aspect("acc") is not None and m1.people.aspect("acc").mean == pytest.approx(4.5)
    assert m1.people.validated and m1.people.replies is None and m1.people.parse_rate is None

    good = m1["judge:good"]
    assert (good.mean, good.n, good.missing) == (
        pytest.approx(14 / 3),
        3,
        1,
    )  # the unreadable reply is missing
    assert [j.source for j in m1.judges] == ["judge:bad", "judge:good"]

    checks = m1.checks
    assert checks is not None and checks.scale == "pass rate"
    assert (checks.mean, checks.n, checks.missing) == (pytest.approx(0.75), 4, 0)
    assert (checks.low, checks.high) == pytest.approx(wilson(0.75, 4))
    assert m2.checks is not None and (m2.checks.mean, m2.checks.n, m2.checks.missing) == (0.0, 3, 1)
    assert [a.aspect for a in checks.aspects] == ["equals"]

    [votes] = m1.votes
    assert votes.source == "votes:people" and votes.n == 3 and m2.votes[0].n == 3
    assert votes.mean > m2.votes[0].mean  # m1 won every vote


def test_a_judges_label_is_the_trust_rubrics_decides(scored: tuple[Store, str]) -> None:
    """ "good" matches people on all six items both scored; "bad" scores the other way round."""
    store, run_id = scored
    m1 = load_quality(store, [run_id]).of(run_id, "m1")
    for judge, expected in (("good", True), ("bad", False)):
        trust = judge_trust(store, [run_id], judge, resamples=500, kappa_only=True)
        score = m1[f"judge:{judge}"]
        assert trust.validated is expected and score.validated is expected
        assert score.label == ("validated" if expected else "not validated")
        assert score.trust == f"{trust.words} ({trust.reason})" and trust.reason  # plain words, then why
    assert m1.people is not None and m1.people.trust == ""  # people are the reference: nothing to check


def test_a_judges_parse_rate_counts_its_replies(scored: tuple[Store, str]) -> None:
    store, run_id = scored
    quality = load_quality(store, [run_id])
    good = quality.of(run_id, "m1")["judge:good"]
    assert good.replies is not None and (good.replies.parsed, good.replies.total) == (3, 4)
    assert good.parse_rate == pytest.approx(0.75)
    over_run = quality.replies("judge:good", [run_id])  # what the Judge page shows: every model of the run
    assert over_run is not None and (over_run.parsed, over_run.total) == (6, 8)
    bad = quality.replies("judge:bad")
    assert bad is not None and bad.rate == 1.0
    assert quality.replies("people") is None and quality.replies("checks") is None


def test_results_carry_the_same_summary(scored: tuple[Store, str]) -> None:
    store, run_id = scored
    results = load_results(store, [run_id])
    row = results.get(run_id, "m2")
    assert row is not None and row.quality == results.quality_for(run_id, "m2")
    assert row.quality["people"].mean == pytest.approx(1.5)
    assert [s.name for s in results.sources] == results.quality.source_names
    assert set(results.quality_tables) == set(results.quality.source_names)


def test_a_model_nobody_scored_has_an_empty_summary(scored: tuple[Store, str]) -> None:
    store, run_id = scored
    empty = load_quality(store, [run_id]).of(run_id, "never-run")
    assert empty == {} and empty.people is None and empty.judges == [] and len(empty) == 0
    nothing = load_quality(store, [])
    assert nothing.sources == [] and nothing.replies("judge:good") is None


def test_the_results_page_shows_what_the_summary_holds(env: Path) -> None:
    """The Results page draws the summary: the label with its reason, the judge's parse rate, the means."""
    store, run_id = _scored(Store(env / "bench.db"))
    quality = load_quality(store, [run_id])
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.query_params["run"] = [run_id]
    at.switch_page("pages/results.py").run()
    assert not at.exception, [e.message for e in at.exception]
    scored_by = at.selectbox(key="quality_scored_by")
    assert scored_by.options == ["people (annotators)", "judge model bad", "judge model good", "task checks"]
    people = next(d.value for d in at.dataframe if "Scored by" in d.value).set_index("Model")
    assert people.loc["m1", "Mean"] == pytest.approx(4.5) and int(people.loc["m1", "n (items)"]) == 4

    scored_by.set_value("judge:bad").run()
    tiles = {m.label: (m.value, m.delta) for m in at.metric}
    assert tiles["Judge parse rate"] == ("100%", "8/8 parsed")
    warnings = "\n".join(w.value for w in at.warning)
    bad = quality.info("judge:bad")
    assert bad is not None and not bad.validated and bad.trust in warnings

    scored_by.set_value("judge:good").run()
    tiles = {m.label: (m.value, m.delta) for m in at.metric}
    assert tiles["Judge parse rate"] == ("75%", "6/8 parsed")
    assert "readable score in only 6 of 8 replies (75%)" in "\n".join(w.value for w in at.warning)


def test_the_report_names_each_judges_parse_rate_and_label(scored: tuple[Store, str]) -> None:
    """The Markdown report reads the same summary: a judge's line says its label and its parse rate."""
    from bench.report.exports import render_markdown

    store, run_id = scored
    lines = render_markdown(store, [run_id]).splitlines()
    good = next(line for line in lines if line.startswith("Scored by **judge:good**"))
    bad = next(line for line in lines if line.startswith("Scored by **judge:bad**"))
    assert "parse rate 75% (6 of 8 replies)" in good and "validated" in good
    assert "parse rate 100% (8 of 8 replies)" in bad and "not validated" in bad
    people = next(line for line in lines if line.startswith("Scored by **people**"))
    assert "parse rate" not in people


def test_the_label_is_the_one_the_judge_page_shows_near_the_threshold(tmp_path: Path) -> None:
    """Seen: a judge whose kappa interval starts near 0.4 was "validated" in Decide and the reports
    (the label came from 500 resamples) and "not validated" on the Judge page (1,000). Seeded data
    chosen to sit on that edge: people's scores, and a judge adding rounded N(0, 1.6) noise, 30 items."""
    rng = np.random.default_rng(120)
    people = rng.integers(1, 6, size=30)
    judge = np.clip(np.rint(people + rng.normal(0, 1.6, size=30)), 1, 5).astype(int)
    store = Store(tmp_path / "bench.db")
    prompts = {
        "name": "edge",
        "prompts": [{"id": f"p{i:02d}", "prompt": f"Q{i}", "aspects": ["acc"]} for i in range(30)],
    }
    run_id = store.create_run({**SETTINGS, "models": ["m1"]}, prompts, {})
    for i in range(30):
        store.add_sample(_sample(run_id, "m1", f"p{i:02d}"))
        save_scores(store, run_id, f"p{i:02d}", "m1", "ana", {"acc": int(people[i])})
        storage.upsert_judgment(
            store, (run_id, "m1", f"p{i:02d}", "acc", "edge"), int(judge[i]), "", "raw", 1
        )
    shown = judge_trust(store, [run_id], "edge")  # what the Judge page's trust panel computes
    score = load_quality(store, [run_id]).of(run_id, "m1")["judge:edge"]
    assert (score.validated, score.trust) == (shown.validated, f"{shown.words} ({shown.reason})")


def test_decide_names_an_unvalidated_source_and_starts_on_a_validated_one(env: Path) -> None:
    """Decide's source picker reads the summary's label: a judge that fails the check says so."""
    store, run_id = _scored(Store(env / "bench.db"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.query_params["run"] = [run_id]
    at.switch_page("pages/decide.py").run()
    assert not at.exception, [e.message for e in at.exception]
    picker = at.selectbox(key="decide_source")
    labels = dict(zip(load_quality(store, [run_id]).source_names, picker.options, strict=True))
    assert labels["judge:bad"] == "judge:bad (not validated)"
    assert labels["judge:good"] == "judge:good" and labels["people"] == "people"
    assert picker.value == "people"
