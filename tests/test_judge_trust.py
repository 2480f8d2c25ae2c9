"""Judge trust: agreement with people with bootstrap intervals, the validated label, what to score next.

Synthetic truth (seeded): a judge that copies people's scores with small noise must be validated;
a judge that scores at random must not, nor one never compared with people. The stratified sample
must cover every model and every judge score before repeating a stratum.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.store.store import Store
from rubrics import storage
from rubrics.trust import (
    DEFAULT_LEVEL,
    NOT_COMPARED,
    agreement_intervals,
    judge_trust,
    trust_from_pairs,
    validation_sample,
)


def _people_and_noisy_judge(rng: np.random.Generator, n: int, noise: float) -> tuple[list[int], list[int]]:
    people = rng.integers(1, 6, size=n)
    judge = np.clip(np.rint(people + rng.normal(0, noise, size=n)), 1, 5).astype(int)
    return people.tolist(), judge.tolist()


def test_a_judge_that_tracks_people_is_validated():
    people, judge = _people_and_noisy_judge(np.random.default_rng(7), 80, 0.5)
    trust = trust_from_pairs("good", people, judge, resamples=300)
    assert trust.validated and trust.label == "validated"
    assert trust.kappa.low >= DEFAULT_LEVEL and trust.kappa.low <= trust.kappa.value <= trust.kappa.high
    assert trust.within_one.value > 0.9 and trust.kappa.n == 80


def test_a_random_judge_is_not_validated_and_its_interval_covers_zero_agreement():
    rng = np.random.default_rng(8)
    people, judge = rng.integers(1, 6, 80).tolist(), rng.integers(1, 6, 80).tolist()
    trust = trust_from_pairs("coin", people, judge, resamples=300)
    assert not trust.validated and "below" in trust.reason
    assert trust.kappa.low < 0 < trust.kappa.high


def test_intervals_cover_the_true_kappa_in_most_seeded_trials():
    """Population kappa from a large sample; 95% intervals of 60-item samples cover it most of the time."""
    big_people, big_judge = _people_and_noisy_judge(np.random.default_rng(0), 20000, 1.0)
    truth = agreement_intervals(big_people, big_judge, resamples=1)["kappa"].value
    covered = []
    for trial in range(25):
        people, judge = _people_and_noisy_judge(np.random.default_rng(100 + trial), 60, 1.0)
        kappa = agreement_intervals(people, judge, resamples=300, seed=trial)["kappa"]
        covered.append(kappa.low <= truth <= kappa.high)
    assert np.mean(covered) >= 0.8


def test_too_few_items_or_none_is_not_validated():
    assert trust_from_pairs("j", [], []).reason == NOT_COMPARED
    few = trust_from_pairs("j", [5], [5])
    assert not few.validated and "no interval" in few.reason


def _store_with_judge(tmp_path: Path) -> tuple[Store, str]:
    store = Store(tmp_path / "bench.db")
    prompts = {"name": "t", "prompts": [{"id": f"p{i}", "prompt": f"Q{i}"} for i in range(6)]}
    run_id = store.create_run({}, prompts, {})
    for model in ("m1", "m2"):
        for i in range(6):
            store.add_sample({
                "run_id": run_id, "model": model, "prompt_id": f"p{i}", "round": 0, "warmup": False,
                "cold": False, "ok": True, "error": None, "stream": True, "transport": "in-process",
                "started_at": "2026-01-01T00:00:00Z", "metrics": {}, "answer": "x", "reasoning": "",
                "server_timings": None,
            })  # fmt: skip
            score = 5 if model == "m1" and i < 3 else (2 if model == "m2" else 4)
            storage.upsert_judgment(store, (run_id, model, f"p{i}", "accuracy", "tiny"), score, "", "", 1)
    return store, run_id


def test_judge_trust_from_the_store_and_the_stratified_sample(tmp_path: Path):
    store, run_id = _store_with_judge(tmp_path)
    trust = judge_trust(store, [run_id], "tiny", resamples=100)
    assert not trust.validated and trust.reason == NOT_COMPARED
    sample = validation_sample(store, [run_id], "tiny", size=3)
    # strata: (m1, 4), (m1, 5), (m2, 2): one of each before any repeats
    assert sorted(zip(sample["model"], sample["judge"], strict=True)) == [("m1", 4), ("m1", 5), ("m2", 2)]
    storage.upsert_annotations(store, (run_id, "p0", "m1", "ana"), {"accuracy": 5})
    rest = validation_sample(store, [run_id], "tiny", size=50)
    assert len(rest) == 11 and not ((rest["model"] == "m1") & (rest["prompt_id"] == "p0")).any()
    assert judge_trust(store, [run_id], "tiny", resamples=50).kappa.n == 1


def test_validated_sources_leave_out_an_unvalidated_judge_unless_asked(tmp_path: Path):
    from rubrics.trust import validated_sources

    store, run_id = _store_with_judge(tmp_path)
    storage.upsert_annotations(store, (run_id, "p0", "m1", "ana"), {"accuracy": 5})
    default = [s.name for s in validated_sources(store, [run_id])]
    everything = {s.name: s.validated for s in validated_sources(store, [run_id], include_unvalidated=True)}
    assert default == ["people"]
    assert everything == {"people": True, "judge:tiny": False}


def _loop_interval(stat, x: np.ndarray, y: np.ndarray, resamples: int, seed: int) -> list[float]:  # type: ignore[no-untyped-def]
    """The reference: one call of the public statistic per resample, the same seeded draws."""
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(resamples):
        index = rng.integers(0, len(x), size=len(x))
        value = stat(list(x[index]), list(y[index])).value
        if value is not None:
            draws.append(value)
    return np.percentile(draws, [2.5, 97.5]).tolist()


def test_every_resample_at_once_gives_the_intervals_of_one_call_each() -> None:
    """Kappa and within-one are computed for all resamples at once; the intervals must not move."""
    from rubrics.agreement import weighted_kappa, within_one

    rng = np.random.default_rng(7)
    cases = [_people_and_noisy_judge(rng, n, noise) for n, noise in ((12, 0.5), (30, 1.6), (80, 1.0))]
    cases.append(
        ([1, 2, 3, 4, 5, 5, 4], [3, 3, 3, 3, 3, 3, 4])
    )  # a judge that hardly varies: undefined draws
    for people, judge in cases:
        found = agreement_intervals(people, judge, resamples=400, seed=11)
        x, y = np.asarray(people), np.asarray(judge)
        for name, stat in (("kappa", weighted_kappa), ("within_one", within_one)):
            assert [found[name].low, found[name].high] == pytest.approx(_loop_interval(stat, x, y, 400, 11))
            assert found[name].value == pytest.approx(stat(people, judge).value)
