"""Which stored answer of a run gets graded, shared by people and the judge.

A run repeats every prompt several times per model (warm-up rounds first, negative). Grading all
rounds would multiply the work for no gain: with temperature 0 and a fixed seed the rounds are the
same text. So both the annotation API and the judge grade one answer per (model, prompt): the
first non-warm-up round that succeeded. Using the same rule in both places is what makes people's
and the judge's scores comparable item by item.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.errors import BenchError
from bench.inputs.config import PromptItem, PromptSet
from bench.store.store import Store


@dataclass(frozen=True)
class Answer:
    """The graded answer of ``model`` to ``prompt_id`` (from sample round ``round``)."""

    model: str
    prompt_id: str
    round: int
    text: str


def run_prompt_set(store: Store, run_id: str) -> PromptSet:
    """The prompt set exactly as the run used it (stored with the run, not re-read from disk)."""
    run = store.get_run(run_id)
    if run is None:
        raise BenchError(f"run {run_id}", "not found in the store", "pick a run from the run list")
    return PromptSet.model_validate(run["prompts"])


def graded_answers(store: Store, run_id: str) -> dict[tuple[str, str], Answer]:
    """``{(model, prompt_id): Answer}``: the first ok, non-warm-up sample of each pair."""
    chosen: dict[tuple[str, str], Answer] = {}
    for s in store.samples([run_id]):
        if s["warmup"] or s["round"] < 0 or not s["ok"]:
            continue
        key = (s["model"], s["prompt_id"])
        if key not in chosen or s["round"] < chosen[key].round:
            chosen[key] = Answer(s["model"], s["prompt_id"], s["round"], s["answer"])
    return chosen


def answers_by_prompt(store: Store, run_id: str) -> list[tuple[PromptItem, dict[str, Answer]]]:
    """Prompts in the run's order, each with ``{model: Answer}``; prompts nobody answered are left out."""
    answers = graded_answers(store, run_id)
    result = []
    for item in run_prompt_set(store, run_id).prompts:
        per_model = {m: a for (m, pid), a in sorted(answers.items()) if pid == item.id}
        if per_model:
            result.append((item, per_model))
    return result
