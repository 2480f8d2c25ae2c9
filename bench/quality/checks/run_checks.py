"""Evaluate the checks of a stored run: every ok, measured answer whose prompt carries checks.

Called at the end of every run (:mod:`bench.run.runner`) and by ``python -m bench checks RUN``. It is
idempotent: a verdict already stored for the current answer is kept (re-running a run's checks
costs nothing), a verdict older than its answer (the step was retried on resume) or a check that
was *not run* before (code execution was off) is evaluated again. ``python_tests`` runs only when
the caller passes ``allow_code=True`` (the person's ``--allow-code`` or the app's confirmation) or
its tests are the built-in ones (:mod:`bench.quality.checks.consent`); ``allow_code_execution`` in
a prompt set or an imported bundle is ignored.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from bench.errors import BenchError
from bench.inputs.check_spec import PythonTestsCheck
from bench.inputs.config import PromptSet, validate
from bench.quality.checks import store as check_store
from bench.quality.checks.consent import builtin_code
from bench.quality.checks.evaluate import evaluate
from bench.store.store import Store

ProgressFn = Callable[[int, int], None]


@dataclass
class CheckRunSummary:
    """What one evaluation did; ``not_run`` counts the reasons a check was refused."""

    evaluated: int = 0
    kept: int = 0
    passed: int = 0
    failed: int = 0
    not_run: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return self.evaluated + self.kept

    def text(self) -> str:
        lines = [
            f"{self.evaluated} checks evaluated ({self.passed} passed, {self.failed} failed"
            f", {sum(self.not_run.values())} not run), {self.kept} kept from before"
        ]
        lines += [
            f"  not run ({n}): {reason.removeprefix('not run: ')}" for reason, n in self.not_run.items()
        ]
        return "\n".join(lines)


def _stored(store: Store, run_id: str) -> dict[tuple[str, str, int, int], tuple[bool | None, str]]:
    frame = check_store.frame(store, [run_id])
    return {
        (r.model, r.prompt_id, int(r.round), int(r.check_index)): (
            None if pd.isna(r.passed) else bool(r.passed),
            str(r.created_at),
        )
        for r in frame.itertuples()
    }


def evaluate_run_checks(
    store: Store,
    run_id: str,
    allow_code: bool = False,
    force: bool = False,
    progress: ProgressFn | None = None,
) -> CheckRunSummary:
    """Evaluate and store every check of every ok measured answer of ``run_id``."""
    run = store.get_run(run_id)
    if run is None:
        raise BenchError(run_id, f"no such run in {store.path}", "list runs with `python -m bench runs`")
    prompts = validate(
        PromptSet, run["prompts"], f"run {run_id}: prompts", "this run's stored prompt set is not readable"
    )
    code_ok = allow_code or builtin_code(prompts)  # never prompts.allow_code_execution: data is not consent
    by_id = {p.id: p for p in prompts.prompts if p.checks}
    samples = [
        s
        for s in store.samples([run_id])
        if s["prompt_id"] in by_id and s["ok"] and not s["warmup"] and s.get("outcome", "ok") == "ok"
    ]
    stored = {} if force else _stored(store, run_id)
    summary = CheckRunSummary()
    total = sum(len(by_id[s["prompt_id"]].checks) for s in samples)
    done = 0
    for sample in samples:
        results = []
        for index, check in enumerate(by_id[sample["prompt_id"]].checks):
            done += 1
            key = (sample["model"], sample["prompt_id"], sample["round"], index)
            old = stored.get(key)
            if old is not None and old[0] is not None and old[1] >= sample["started_at"]:
                summary.kept += 1
                continue
            verdict = evaluate(sample["answer"], check, allow_code=code_ok)
            results.append(
                check_store.CheckResult(
                    run_id, sample["model"], sample["prompt_id"], sample["round"], index,
                    check.type, verdict.passed, verdict.detail,
                )
            )  # fmt: skip
            summary.evaluated += 1
            if verdict.passed is None:
                summary.not_run[verdict.detail] += 1
            elif verdict.passed:
                summary.passed += 1
            else:
                summary.failed += 1
            if progress and isinstance(check, PythonTestsCheck):
                progress(done, total)
        check_store.save(store, results)
    if progress:
        progress(total, total)
    return summary


def evaluate_after_run(store: Store, run_id: str, allow_code: bool = False) -> CheckRunSummary | None:
    """The runner's hook: evaluate the checks, never fail the run over them (the error is printed)."""
    try:
        return evaluate_run_checks(store, run_id, allow_code=allow_code)
    except Exception as exc:  # a finished run must not be lost over its checks
        print(f"checks of run {run_id} were not evaluated: {exc}", file=sys.stderr)
        return None
