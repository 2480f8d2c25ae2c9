"""The PyPI-shipped models on the four workload sets: long context, JSON output, tool calls, multi-turn.

One run per set (and one of ``extraction``, the json-output prompts without ``response_format``, for the
cost of the constraint), every model in each, Foundry Local in-process, streamed, greedy, fixed seed,
no warm-up round (the first request after a load is cold and left out of every statistic). The
numbers are SLM Bench's own Workloads section and per-set speed table for these runs; the machine, the
commit and the load average before the runs are printed with them. A section headed
``## What a team would choose`` in the existing file is written by hand and kept when the file is
rewritten.

    .venv/bin/python benchmarks/workloads.py --models smollm2-135m,qwen2.5-coder-0.5b --write benchmarks/workloads.md

Run it on an idle machine: anything CPU-heavy beside it changes every speed (the pass rates do not move).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.acquire.importer import import_model  # noqa: E402
from bench.inputs.config import PromptSet, RunSettings, resolve_prompt_set  # noqa: E402
from bench.report import workload_section  # noqa: E402
from bench.results import load_results  # noqa: E402
from bench.run.runner import run_benchmark  # noqa: E402
from bench.store.store import Store  # noqa: E402
from bench.units import fmt_seconds  # noqa: E402

MODELS = ["smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"]
SETS = ["long-context", "json-output", "extraction", "tool-calls", "multi-turn"]
KEEP = "## What a team would choose"


def _speed_lines(store: Store, run_ids: list[tuple[str, str]]) -> list[str]:
    """Per set and model: requests ok / refused / failed, TTFT p50, e2e p50, decode tok/s (mean)."""
    lines = [
        "| set | model | ok | refused | failed | TTFT p50 | e2e p50 | decode tok/s (mean) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, run_id in run_ids:
        results = load_results(store, [run_id])
        counts = store.outcome_counts(run_id)
        for m in results.models:
            c = counts.get(m.model, {})
            tps = m.stat("decode_tps_mean")
            lines.append(
                f"| {name} | {m.model} | {c.get('ok', 0)} | {c.get('refused', 0)} | {c.get('failed', 0)}"
                f" | {fmt_seconds(m.stat('ttft_s_p50'))} | {fmt_seconds(m.stat('e2e_s_p50'))}"
                f" | {'n/a' if tps is None else f'{tps:.1f}'} (n={m.n}) |"
            )
    return lines


def _without(
    prompts: PromptSet, model: str, skips: list[tuple[str, ...]], only: list[tuple[str, ...]]
) -> PromptSet:
    """``prompts`` less those ``--skip`` leaves out for ``model``, and only those ``--only`` keeps."""
    prefixes = tuple(prefix for who, prefix in skips if who == model)
    kept = [p for p in prompts.prompts if not (prefixes and p.id.startswith(prefixes))]
    wanted = tuple(prefix for who, prefix in only if who == model)
    kept = [p for p in kept if not wanted or p.id.startswith(wanted)]
    return prompts.model_copy(update={"prompts": kept})


def _machine() -> str:
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    load = os.getloadavg()
    return (
        f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; commit"
        f" {commit.stdout.strip() or 'unknown'}; load average before the runs {load[0]:.2f}, {load[1]:.2f},"
        f" {load[2]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument(
        "--skip",
        default="",
        help="MODEL:PREFIX,... leave out that model's prompts whose id starts with PREFIX (said in the output)",
    )
    parser.add_argument(
        "--only",
        default="",
        help="MODEL:PREFIX,... run only that model's prompts whose id starts with PREFIX (an addendum to"
        " an earlier run's --skip; said in the output)",
    )
    parser.add_argument(
        "--write", type=Path, help="write the Markdown here (a hand-written choice section is kept)"
    )
    args = parser.parse_args()
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    for name in models:  # fetch + convert once; reused afterwards
        import_model(
            name, name, progress=lambda stage, fraction, n=name: print(f"{n}: {stage}", file=sys.stderr)
        )
    machine = _machine()
    store = Store(Path(tempfile.mkdtemp(prefix="slm-bench-workloads-")) / "bench.db")
    settings = RunSettings(
        models=models,
        rounds=args.rounds,
        warmup=0,
        max_tokens=args.max_tokens,
        label="benchmarks/workloads.py",
    )
    skips = [tuple(item.strip().split(":", 1)) for item in args.skip.split(",") if ":" in item]
    only = [tuple(item.strip().split(":", 1)) for item in args.only.split(",") if ":" in item]
    run_ids: list[tuple[str, str]] = []
    started = time.perf_counter()
    for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
        for model in models:  # one run per (set, model): a model may leave some prompts out (--skip)
            prompts = _without(resolve_prompt_set(name), model, skips, only)
            run_id, status = run_benchmark(
                store,
                settings.model_copy(update={"models": [model]}),
                prompts,
                progress=lambda p, n=name: print(
                    f"{n} [{p.done}/{p.total}] {p.model} {p.prompt_id}", file=sys.stderr, flush=True
                ),
            )
            run_ids.append((name, run_id))
            print(f"{name} {model}: {status}", file=sys.stderr, flush=True)
    results = load_results(store, [run_id for _name, run_id in run_ids])
    text = "\n".join([
        "# The PyPI-shipped models on the four workload sets"
        + (": an addendum (only the prompts named below)" if args.only else ""),
        "",
        f"Measured with `benchmarks/workloads.py --models {','.join(models)} --rounds {args.rounds}"
        f" --max-tokens {args.max_tokens}{f' --skip {args.skip}' if args.skip else ''}"
        f"{f' --only {args.only}' if args.only else ''}` in"
        f" {time.perf_counter() - started:.0f} s on {machine}.",
        *([f"Left out (`--skip`, to fit the session): {args.skip}."] if args.skip else []),
        *([f"Only these prompts (`--only`, an addendum to an earlier run): {args.only}."] if args.only else []),
        "Foundry Local in-process, streamed, temperature 0, seed 42, no warm-up round (the cold first request"
        " of each model is left out of every statistic). Pass rates: answers that passed every deterministic"
        " check of their prompt, with Wilson 95% intervals; a refused prompt (over the context window, or"
        " tools offered to a model without a tool-call format) is not scored.",
        "",
        "## Speed per set",
        "",
        *_speed_lines(store, run_ids),
        "",
        *workload_section.markdown(store, results),
    ])  # fmt: skip
    if args.write:
        old = args.write.read_text(encoding="utf-8") if args.write.exists() else ""
        kept = old[old.index(KEEP) :] if KEEP in old else ""
        args.write.write_text(text + ("\n" + kept if kept else "\n"), encoding="utf-8")
    else:
        print(text)


if __name__ == "__main__":
    main()
