"""Task-check pass rates of real small models on the three built-in task sets.

Runs each set (extraction, classification, python-functions) once per model with deterministic
settings (1 round, temperature 0, seed 42), lets the run's own hook evaluate the checks (code runs
in the sandbox: the python set allows it), and writes pass rates with Wilson 95% intervals per set,
model and check type, plus the first failures, to ``benchmarks/quality.md``. Pass rates are not
timings: a busy machine makes the run slower, not the verdicts different.

    .venv/bin/python benchmarks/quality.py --write benchmarks/quality.md
    .venv/bin/python benchmarks/quality.py --render benchmarks/quality.json --write benchmarks/quality.md
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.inputs.check_spec import OneOfCheck  # noqa: E402
from bench.inputs.config import PromptItem, RunSettings, resolve_prompt_set  # noqa: E402
from bench.quality.checks.run_checks import evaluate_run_checks  # noqa: E402
from bench.quality.checks.source import INTERVAL_METHOD, ChecksProvider  # noqa: E402
from bench.quality.checks.store import frame as check_frame  # noqa: E402
from bench.run.runner import Progress, run_benchmark  # noqa: E402
from bench.store.store import Store  # noqa: E402

SETS = {"extraction": 256, "classification": 32, "python-functions": 320}  # set -> max_tokens
MODELS = "smollm2-135m,qwen2.5-coder-0.5b"


def run_all(store: Store, models: list[str], sets: dict[str, int]) -> dict[str, dict]:
    """One run per set; returns {set: {run_id, max_tokens, seconds}}."""
    done: dict[str, dict] = {}
    for name, max_tokens in sets.items():
        settings = RunSettings(
            models=models,
            rounds=1,
            warmup=0,
            max_tokens=max_tokens,
            temperature=0.0,
            seed=42,
            label=f"quality:{name}",
        )
        started = time.perf_counter()

        def show(p: Progress, name: str = name) -> None:
            if p.event in ("sample", "model_failed", "model_loaded"):
                print(
                    f"[{name}] {p.done}/{p.total} {p.event} {p.model} {p.prompt_id} {p.message}", flush=True
                )

        run_id, status = run_benchmark(store, settings, resolve_prompt_set(name), progress=show)
        evaluate_run_checks(store, run_id)  # the run's hook did it; this is a no-op unless it failed
        done[name] = {"run_id": run_id, "status": status, "max_tokens": max_tokens,
                      "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip
        print(f"[{name}] run {run_id} {status} in {done[name]['seconds']} s", flush=True)
    return done


def _pct(x: float) -> str:
    return "n/a" if x != x else f"{100 * x:.0f}%"


def _cut(store: Store, run_id: str) -> dict[str, int]:
    """Answers per model that stopped at max_tokens (finish reason 'length'): cut answers fail checks."""
    out: dict[str, int] = {}
    for s in store.samples([run_id]):
        if str(s["metrics"].get("finish_reason", "")).lower() in ("length", "max_tokens", "max_length"):
            out[s["model"]] = out.get(s["model"], 0) + 1
    return out


def _lenient(name: str, item: PromptItem, answer: str) -> bool:
    """A looser reading than the checks, to tell 'wrong' from 'right but badly formatted'."""
    if name == "classification":
        labels = next(c.values for c in item.checks if isinstance(c, OneOfCheck))
        said = {label for label in labels if re.search(rf"\b{re.escape(label)}\b", answer, re.IGNORECASE)}
        return said == {item.reference}
    if name == "extraction":
        match = re.search(r"\{.*\}", answer, re.DOTALL)
        try:
            return match is not None and isinstance(json.loads(match.group(0)), dict)
        except json.JSONDecodeError:
            return False
    return bool(re.search(r"def \w+\(", answer))


LENIENT = {
    "classification": "the right label is the only label the answer mentions (chatter around it allowed)",
    "extraction": "the answer contains a JSON object somewhere (text around it allowed; values not checked)",
    "python-functions": "the answer contains a Python function definition (not run)",
}


def lenient_section(store: Store, runs: dict[str, dict], models: list[str]) -> list[str]:
    lines = [
        "## A looser reading (diagnostic, not a score source)",
        "",
        "Small models often have the answer but not the format. These counts are computed here, not by the checks:",
        "",
        "| set | looser reading | " + " | ".join(models) + " |",
        "|---|---|" + "---|" * len(models),
    ]
    for name, info in runs.items():
        items = resolve_prompt_set(name).by_id()
        hits = dict.fromkeys(models, 0)
        totals = dict.fromkeys(models, 0)
        for s in store.samples([info["run_id"]]):
            if s["model"] in hits and s["ok"] and s["prompt_id"] in items:
                totals[s["model"]] += 1
                hits[s["model"]] += _lenient(name, items[s["prompt_id"]], s["answer"])
        cells = [f"{hits[m]}/{totals[m]}" for m in models]
        lines.append(f"| {name} | {LENIENT[name]} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def render(store: Store, runs: dict[str, dict], models: list[str], findings: list[str] | None = None) -> str:
    provider = ChecksProvider()
    lines = [
        "# Task checks: SmolLM2-135M and Qwen2.5-Coder-0.5B on the built-in task sets",
        "",
        f"Measured {time.strftime('%Y-%m-%d', time.gmtime())} on {platform.machine()} Linux, 2 CPU cores shared with"
        " other work, Foundry Local in-process (`foundry-local-sdk` 2.2.1), models converted from the PyPI-shipped"
        " GGUFs (see `benchmarks/models.md`). One round per prompt, temperature 0, seed 42, streaming.",
        "",
        "**Pass rates are not timings**: the machine was busy (other jobs ran beside it), which makes answers slower,"
        " not different; at temperature 0 the verdicts do not depend on load. An answer *passes* when all of its"
        f" checks pass. Intervals: {INTERVAL_METHOD} (25 prompts per set, so ±15–20 points is normal: a difference"
        " smaller than the intervals' overlap is not evidence).",
        "",
        "Reproduce: `.venv/bin/python benchmarks/quality.py --write benchmarks/quality.md` (run ids and raw numbers"
        " in `benchmarks/quality.json`), or `python -m bench run --prompts extraction --rounds 1 --warmup 0"
        " --temperature 0` then `python -m bench checks RUN`.",
        "",
        "## Pass rate per set and model",
        "",
        "| set | model | pass rate | 95% interval | prompts | answers cut at max_tokens |",
        "|---|---|---|---|---|---|",
    ]
    for name, info in runs.items():
        summary = provider.summary(store, [info["run_id"]]).set_index("model")
        cut = _cut(store, info["run_id"])
        for model in models:
            if model not in summary.index:
                lines.append(f"| {name} | {model} | no answers | | 0 | |")
                continue
            r = summary.loc[model]
            lines.append(
                f"| {name} (max_tokens {info['max_tokens']}) | {model} | **{_pct(r['mean'])}** |"
                f" {_pct(r['low'])}–{_pct(r['high'])} | {int(r['n'])} | {cut.get(model, 0)} |"
            )
    if findings:
        lines += [
            "",
            "## What it says",
            "",
            "Written by hand from this run (kept in `benchmarks/quality.json`, `findings`):",
            "",
        ]
        lines += [f"- {text}" for text in findings]
    lines += ["", "## Per check type", "", "Each check of each prompt counted once.", ""]
    lines += ["| set | model | check | pass rate | 95% interval | n |", "|---|---|---|---|---|---|"]
    for name, info in runs.items():
        for r in provider.table(store, [info["run_id"]]).to_dict("records"):
            lines.append(
                f"| {name} | {r['model']} | {r['aspect']} | {_pct(r['mean'])} | {_pct(r['low'])}–{_pct(r['high'])}"
                f" | {r['n']} |"
            )
    lines += ["", "## Per prompt", "", "✓ all checks passed, ✗ at least one failed.", ""]
    for name, info in runs.items():
        per = provider.per_prompt(store, [info["run_id"]])
        grid = per.pivot_table(index="prompt_id", columns="model", values="mean", aggfunc="first")
        present = [m for m in models if m in grid.columns]
        lines += [
            f"### {name}",
            "",
            "| prompt | " + " | ".join(present) + " |",
            "|---|" + "---|" * len(present),
        ]
        for prompt_id, row in grid.iterrows():
            marks = ["✓" if row[m] == 1 else "✗" for m in present]
            lines.append(f"| {prompt_id} | " + " | ".join(marks) + " |")
        lines.append("")
    lines += lenient_section(store, runs, models)
    lines += ["## What the failures look like (first five per set and model)", ""]
    for name, info in runs.items():
        results = check_frame(store, [info["run_id"]])
        failed = results[results["passed"] == False]  # noqa: E712
        answers = {(s["model"], s["prompt_id"]): s["answer"] for s in store.samples([info["run_id"]])}
        for model in models:
            rows = failed[failed["model"] == model].drop_duplicates("prompt_id").head(5)
            if rows.empty:
                continue
            lines += [f"**{name} · {model}**", ""]
            for r in rows.to_dict("records"):
                answer = answers.get((model, r["prompt_id"]), "").strip().replace("\n", " ⏎ ")
                answer = answer if len(answer) <= 140 else answer[:137] + "..."
                lines.append(
                    f"- `{r['prompt_id']}` {r['check_type']}: {r['detail']} — answer: `` {answer} ``"
                )
            lines.append("")
    lines += [
        "## Run time (for scale only, not a benchmark)",
        "",
        "| set | run | status | seconds (both models, incl. load) |",
        "|---|---|---|---|",
    ]
    lines += [f"| {n} | `{i['run_id']}` | {i['status']} | {i['seconds']} |" for n, i in runs.items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=MODELS)
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--db", default=str(REPO / ".slm-bench" / "benchmarks" / "quality.db"))
    parser.add_argument("--render", help="a quality.json from an earlier run: only write the markdown")
    parser.add_argument("--write", default=str(REPO / "benchmarks" / "quality.md"))
    args = parser.parse_args()
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    store = Store(args.db)
    findings: list[str] = []
    if args.render:
        record = json.loads(Path(args.render).read_text())
        runs, findings = record["runs"], record.get("findings", [])
    else:
        runs = run_all(store, models, {s: SETS[s] for s in args.sets.split(",")})
        record = {"db": args.db, "models": models, "runs": runs}
        Path(args.write).with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    Path(args.write).write_text(render(store, runs, models, findings), encoding="utf-8")
    print(f"wrote {args.write}")


if __name__ == "__main__":
    main()
