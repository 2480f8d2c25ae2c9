"""Judge vs people on answers scored by hand for this project: kappa, Spearman, within-one, intervals.

Three steps, each resumable:

    .venv/bin/python benchmarks/judge_agreement.py answers   # 2 models x 20 prompts, stored in DB
    .venv/bin/python benchmarks/judge_agreement.py judge [--judge MODEL]  # a judge scores them, 2 aspects
    .venv/bin/python benchmarks/judge_agreement.py dump      # answers + judge scores -> benchmarks/judge.json
    .venv/bin/python benchmarks/judge_agreement.py write     # + benchmarks/human_scores.json -> judge.md

The prompts: the 5 workshop prompts, 8 extraction and 7 classification prompts (the built-in sets,
which carry reference answers, so the judge grades reference-guided). Every prompt is graded on
two aspects of the built-in ``workshop`` rubric: ``accuracy`` and ``instruction_following``.
People's scores are in ``benchmarks/human_scores.json``: one person (the project's annotator)
scored every answer against the rubric's anchor sentences, *before* looking at the judge's scores,
with a one-line reason each. ``benchmarks/judge.json`` keeps the answers and the judge's raw
scores, so the agreement can be recomputed without re-running any model.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.inputs.config import PromptSet, RunSettings, resolve_prompt_set  # noqa: E402
from bench.store.store import Store  # noqa: E402
from rubrics.schema import RubricSet, resolve_rubric_set  # noqa: E402

DB = REPO / ".slm-bench" / "benchmarks" / "judge_agreement.db"
MODELS = ["smollm2-135m", "qwen2.5-coder-0.5b"]
JUDGE = "qwen2.5-coder-0.5b"
ASPECTS = ["accuracy", "instruction_following"]
PICK = {"workshop": 5, "extraction": 8, "classification": 7}
JUDGE_JSON = REPO / "benchmarks" / "judge.json"
HUMAN_JSON = REPO / "benchmarks" / "human_scores.json"
JUDGE_MD = REPO / "benchmarks" / "judge.md"
SECTION = "## Agreement with people"
NOTE = (
    "The qwen2.5-coder-1.5b run above kept only these aggregates: its per-item scores and answers lived in a"
    " database that is not in the repository, so its agreement with people cannot be computed from what is"
    " recorded. It needs the 1.5B model converted (`python -m bench models fetch qwen2.5-coder-1.5b`), then"
    " `benchmarks/judge_agreement.py judge --judge qwen2.5-coder-1.5b` (about 30 s per judgment on 2 cores),"
    " `dump` and `write`: the hand scores are reused as they are."
)


def prompt_set() -> PromptSet:
    prompts = []
    for name, count in PICK.items():
        for item in resolve_prompt_set(name).prompts[:count]:
            data = item.model_dump(exclude_none=True)
            data["id"] = f"{name}:{item.id}"
            data["aspects"] = ASPECTS
            data.pop("checks", None)
            prompts.append(data)
    return PromptSet.model_validate({"name": "judge-agreement", "prompts": prompts})


def rubric() -> RubricSet:
    workshop = resolve_rubric_set("workshop").model_dump()
    workshop["aspects"] = [a for a in workshop["aspects"] if a["id"] in ASPECTS]
    workshop["name"] = "workshop-2"
    return RubricSet.model_validate(workshop)


def the_run(store: Store) -> str | None:
    runs = [r for r in store.list_runs(200) if r["label"] == "judge-agreement" and r["status"] == "completed"]
    return runs[0]["id"] if runs else None


def make_answers(store: Store) -> str:
    from bench.run.runner import run_benchmark

    if (run_id := the_run(store)) is not None:
        return run_id
    settings = RunSettings(
        models=MODELS, rounds=1, warmup=0, max_tokens=128, temperature=0.0, seed=42, label="judge-agreement"
    )
    run_id, status = run_benchmark(store, settings, prompt_set())
    print(f"run {run_id}: {status}", file=sys.stderr)
    return run_id


def judge(store: Store, run_id: str, judge_model: str = JUDGE) -> None:
    from bench.backends import backend_for
    from rubrics.judge import judge_run

    judge_run(
        store, run_id, backend_for(), judge_model, rubric(),
        progress=lambda p: print(f"[{p.done}/{p.total}] {p.model} {p.prompt_id} {p.aspect}: {p.outcome}", file=sys.stderr),
    )  # fmt: skip


def dump(store: Store, run_id: str) -> None:
    from rubrics.answers import answers_by_prompt
    from rubrics.judge import judgments_frame

    frame = judgments_frame(store, [run_id])
    judges = sorted(frame["judge"].unique())
    scores = {(r.judge, r.model, r.prompt_id, r.aspect): r for r in frame.itertuples(index=False)}
    items = []
    for prompt, answers in answers_by_prompt(store, run_id):
        for model, answer in sorted(answers.items()):
            entry = {"model": model, "prompt_id": prompt.id, "prompt": prompt.prompt, "reference": prompt.reference,
                     "answer": answer.text, "judges": {}}  # fmt: skip
            for judge_model in judges:
                for aspect in ASPECTS:
                    row = scores.get((judge_model, model, prompt.id, aspect))
                    if row is not None:
                        score = None if row.score != row.score else int(row.score)
                        entry["judges"].setdefault(judge_model, {})[aspect] = {"score": score, "raw": row.raw}
            items.append(entry)
    meta = {"run_id": run_id, "judges": judges, "models": MODELS, "aspects": ASPECTS, "rubric": "workshop"}
    JUDGE_JSON.write_text(json.dumps({"meta": meta, "items": items}, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(items)} answers, judges {judges} -> {JUDGE_JSON}", file=sys.stderr)


def one_judge(judged: dict, judge_model: str) -> dict:
    """The view of ``judge.json`` for one judge: ``meta.judge`` and ``item.judge``."""
    meta = {**judged["meta"], "judge": judge_model}
    items = [{**i, "judge": i["judges"].get(judge_model, {})} for i in judged["items"]]
    return {"meta": meta, "items": items}


def _pairs(judged: dict, human: dict, aspect: str | None) -> tuple[list[int], list[int], int, int]:
    """Aligned (people, judge) scores of the items both scored; also the judge's missing and total."""
    people, scores, missing, total = [], [], 0, 0
    marks = {(h["model"], h["prompt_id"], h["aspect"]): h["score"] for h in human["items"]}
    for item in judged["items"]:
        for name, verdict in item["judge"].items():
            if aspect is not None and name != aspect:
                continue
            total += 1
            mine = marks.get((item["model"], item["prompt_id"], name))
            if verdict["score"] is None:
                missing += 1
            elif mine is not None:
                people.append(int(mine))
                scores.append(int(verdict["score"]))
    return people, scores, missing, total


def agreement_lines(judged: dict, human: dict) -> list[str]:
    """The Markdown section: per aspect and overall, kappa / Spearman / within-one with intervals."""
    from rubrics.agreement import exact_agreement
    from rubrics.trust import INTERVAL_METHOD, trust_from_pairs

    meta = judged["meta"]
    n_answers = len({(h["model"], h["prompt_id"]) for h in human["items"]})
    lines = [
        f"{SECTION}: {meta['judge']}", "",
        f"Judge **{meta['judge']}** against hand scores of **{n_answers} answers** (2 models x 20"
        f" prompts: workshop, extraction and classification, each with a reference answer the judge sees) on"
        f" **{len(meta['aspects'])} aspects** of the `workshop` rubric ({', '.join(meta['aspects'])}). Run"
        f" `{meta['run_id']}`; answers and the judge's raw scores are in `benchmarks/judge.json`, the hand"
        " scores with a one-line reason each in `benchmarks/human_scores.json` (scored against the anchors"
        " before the judge ran, and committed first). The hand scores were written by this project's quality"
        " session, an AI assistant acting as the annotator, not by an outside person: read the numbers as"
        f" agreement with one careful reader. {INTERVAL_METHOD}.", "",
        "| aspect | items both scored | judge missing | weighted kappa | Spearman | within one | exact | label |",
        "|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for aspect in [*meta["aspects"], None]:
        people, scores, missing, total = _pairs(judged, human, aspect)
        trust = trust_from_pairs(meta["judge"], people, scores)
        exact = exact_agreement(people, scores)
        exact_text = f"{exact.value:.0%}" if exact.value is not None else "n/a"
        lines.append(
            f"| {aspect or '**both**'} | {trust.kappa.n} | {missing}/{total} | {trust.kappa.text()} |"
            f" {trust.spearman.text()} | {trust.within_one.text()} | {exact_text} | {trust.label} |"
        )
    people, scores, _, _ = _pairs(judged, human, None)
    overall = trust_from_pairs(meta["judge"], people, scores)
    lines += ["", f"Verdict: **{overall.label}** ({overall.reason}; the level is 0.4, `rubrics/trust.py`)."]
    lines += [
        "",
        "Mean score per model (the same items):",
        "",
        "| model | hand scores | judge |",
        "|---|---|---|",
    ]
    marks = {(h["model"], h["prompt_id"], h["aspect"]): h["score"] for h in human["items"]}
    for model in meta["models"]:
        pairs = [
            (marks[(i["model"], i["prompt_id"], a)], v["score"])
            for i in judged["items"] if i["model"] == model
            for a, v in i["judge"].items()
            if v["score"] is not None and (i["model"], i["prompt_id"], a) in marks
        ]  # fmt: skip
        if pairs:
            p_mean = sum(p for p, _ in pairs) / len(pairs)
            j_mean = sum(j for _, j in pairs) / len(pairs)
            lines.append(f"| {model} | {p_mean:.2f} | {j_mean:.2f} (n={len(pairs)}) |")
    return lines


def write(judge_json: Path, human_json: Path, judge_md: Path) -> None:
    """Replace (or append) the agreement section of ``judge_md``."""
    judged = json.loads(judge_json.read_text(encoding="utf-8"))
    human = json.loads(human_json.read_text(encoding="utf-8"))
    text = judge_md.read_text(encoding="utf-8")
    head = text.split(SECTION)[0].rstrip() + "\n\n"
    lines = []
    for judge_model in judged["meta"]["judges"]:
        lines += [*agreement_lines(one_judge(judged, judge_model), human), ""]
    if "qwen2.5-coder-1.5b" not in judged["meta"]["judges"]:
        lines += [NOTE]
    judge_md.write_text(head + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"agreement section -> {judge_md}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=["answers", "judge", "dump", "write"])
    parser.add_argument("--db", type=Path, default=DB)
    parser.add_argument("--judge", default=JUDGE, help="the judge model (judge step)")
    args = parser.parse_args()
    if args.step == "write":
        write(JUDGE_JSON, HUMAN_JSON, JUDGE_MD)
        return
    args.db.parent.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SLM_BENCH_DB", str(args.db))
    store = Store(args.db)
    run_id = make_answers(store) if args.step == "answers" else the_run(store)
    if run_id is None:
        sys.exit("no judge-agreement run yet: run the 'answers' step first")
    if args.step == "judge":
        judge(store, run_id, args.judge)
    if args.step in ("judge", "dump"):
        dump(store, run_id)


if __name__ == "__main__":
    main()
