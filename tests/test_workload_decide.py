"""Decide on long inputs: ``ttft4k`` (TTFT p95 over the requests with >= 4,000 prompt tokens) as a hard
limit and as the latency criterion. Seeded synthetic TTFTs whose truth is known, then a real run."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.decide import hard_limits, ranking
from bench.decide.candidates import Candidate, from_results
from bench.decide.recommend import Criteria, decision_table
from bench.inputs.config import PromptSet, RunSettings, resolve_prompt_set
from bench.results import load_results
from bench.run.runner import run_benchmark
from bench.store.store import Store
from tests.workload_server import MODEL, Script, WorkloadServer


def _cand(name: str, short_s: float, long_s: float, seed: int) -> Candidate:
    """Short prompts equally fast; long prompts' TTFT lognormal around ``long_s`` (8% spread), 30 requests."""
    rng = np.random.default_rng(seed)
    long = long_s * rng.lognormal(0, 0.08, 30)
    return Candidate(name, e2e=short_s * rng.lognormal(0, 0.08, 30), ttft=np.r_[rng.lognormal(-2, 0.1, 30)],
                     ttft_long=long, long_prompt_ids=np.array([f"lc-{i % 6}" for i in range(30)]))  # fmt: skip


def test_ttft4k_limit_removes_only_the_model_that_is_slow_on_long_inputs() -> None:
    fast, slow = _cand("fast", 1.0, 1.5, 1), _cand("slow", 1.0, 6.0, 2)
    limits = hard_limits.parse_limits(["ttft4k=3s"])
    assert limits[0].words() == "TTFT p95 at >= 4k prompt tokens at most 3 s"
    assert not hard_limits.check(fast, limits).out
    verdict = hard_limits.check(slow, limits)
    assert verdict.out and len(verdict.reasons) == 1
    assert (
        verdict.reasons[0].startswith("TTFT p95 at >= 4k tokens")
        and "over the limit 3 s" in verdict.reasons[0]
    )
    unmeasured = hard_limits.check(Candidate("short-only", e2e=[1.0] * 30), limits)
    assert not unmeasured.out and "not measured" in " ".join(unmeasured.flags)  # never out for lack of data


def test_ttft4k_ranks_by_long_inputs_where_p95_cannot_tell() -> None:
    fast, slow = _cand("fast", 1.0, 1.5, 3), _cand("slow", 1.0, 6.0, 4)
    by_long = ranking.rank([slow, fast], {"latency": 1.0}, latency_stat="ttft4k", n_boot=400)
    assert by_long.winner == "fast" and by_long.rows[0].p_best > 0.95
    by_e2e = ranking.rank([slow, fast], {"latency": 1.0}, latency_stat="p95", n_boot=400)
    assert by_e2e.winner is None  # the same end-to-end latency: tied within the noise


def test_a_real_run_feeds_ttft4k_to_candidates_and_the_decision_table(tmp_path: Path) -> None:
    items = [p for p in resolve_prompt_set("long-context").prompts if p.id in ("lc-512-d25", "lc-8k-d50")]
    answers = {p.prompt: p.reference or "" for p in items}
    store = Store(tmp_path / "bench.db")
    with WorkloadServer(Script(answers, n_ctx=100_000)) as server:  # counts words as tokens: 8k ~ 5,900
        settings = RunSettings(models=[MODEL], rounds=3, warmup=0, endpoint=server.url)
        run_id, _ = run_benchmark(store, settings, PromptSet(name="long", prompts=items))
    results = load_results(store, [run_id])
    cand = from_results(results)[0]
    assert cand.ttft_long.size == 3 and set(cand.prompts_of("ttft_long")) == {"lc-8k-d50"}  # not the 512 one
    row = results.summary.iloc[0]
    assert row["ttft_4k_s_n"] == 3 and row["ttft_4k_s_p95"] > 0
    table = decision_table(store, [run_id], Criteria(latency_stat="ttft4k"), results=results)
    assert table.iloc[0]["latency_n"] == 3 and table.iloc[0]["latency"] == row["ttft_4k_s_p95"]
