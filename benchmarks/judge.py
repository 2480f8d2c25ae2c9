"""A real small judge on real answers: how often it parses, how long it takes, and what it says.

Grades the answers of a stored run (e.g. the one ``benchmarks/models.py`` makes) with a local judge
model (default Qwen2.5-Coder-1.5B, the largest PyPI-shipped chat model), per rubric aspect, then
writes the parse rate, the seconds per judgment, the scores per model and aspect, and a few raw
replies. Judging resumes: what is stored is not asked again, so ``--stop-after`` can split the work.

    .venv/bin/python benchmarks/judge.py --db DB --run RUN_ID --write benchmarks/judge.md
"""

from __future__ import annotations

import argparse
import itertools
import sys
import threading
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import pandas as pd  # noqa: E402

from bench.backends import backend_for  # noqa: E402
from bench.decide.recommend import Criteria, decision_table, recommendation, recommendation_markdown  # noqa: E402
from bench.quality.score_sources import quality_table  # noqa: E402
from bench.store.store import Store  # noqa: E402
from rubrics.judge import judge_run, judgments_frame, parse_rate  # noqa: E402
from rubrics.quality import INTERVAL_METHOD  # noqa: E402
from rubrics.schema import resolve_rubric_set  # noqa: E402


def seconds_per_judgment(frame: pd.DataFrame) -> float | None:
    """Median gap between consecutive stored judgments (each is stored the moment it ends)."""
    stamps = sorted(datetime.fromisoformat(t) for t in frame["created_at"])
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(stamps)]
    return float(pd.Series(gaps).median()) if gaps else None


def render(store: Store, run_id: str, judge: str, total: int) -> str:
    frame = judgments_frame(store, [run_id])
    frame = frame[frame["judge"] == judge]
    parsed, n = parse_rate(frame)
    per = seconds_per_judgment(frame)
    table = quality_table(store, [run_id], f"judge:{judge}")
    lines = [
        f"# {judge} as a judge", "",
        f"Run `{run_id}` graded per aspect of the built-in `workshop` rubric, temperature 0, seed 42,"
        f" at most 2 attempts per answer. {n} of {total} answers x aspects judged"
        f"{' (stopped early; judging resumes)' if n < total else ''}.", "",
        f"- Parse rate: **{parsed}/{n}** replies gave a readable 1-5 score (the rest are stored as missing).",
        f"- Median time per judgment on this machine (2 CPU cores): **{per:.0f} s**." if per else "",
        "", f"## Scores by judge:{judge} ({INTERVAL_METHOD})", "",
        "| model | aspect | mean | 95% interval | n | missing |", "|---|---|---|---|---|---|",
    ]  # fmt: skip
    for r in table.to_dict("records"):
        interval = "n/a (n < 2)" if pd.isna(r["low"]) else f"{r['low']:.2f}–{r['high']:.2f}"
        lines.append(
            f"| {r['model']} | {r['aspect']} | {r['mean']:.2f} | {interval} | {r['n']} | {r['missing']} |"
        )
    criteria = Criteria(scored_by=f"judge:{judge}")
    rec = recommendation(decision_table(store, [run_id], criteria))
    lines += ["", "## What Decide makes of it (default weights, quality by this judge)", ""]
    lines += recommendation_markdown(rec, criteria)
    if judge in set(frame["model"]):
        lines += ["", f"Note: {judge} also graded its own answers (self-preference is a known judge bias); check"
                  " its scores against people on the Annotate page before trusting this ranking."]  # fmt: skip
    lines += ["", "## Raw replies (first three)", ""]
    for r in frame.head(3).to_dict("records"):
        score = "missing" if pd.isna(r["score"]) else int(r["score"])
        lines += [
            f"**{r['model']} · {r['prompt_id']} · {r['aspect']} → {score}**",
            "",
            "```",
            r["raw"].strip(),
            "```",
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--run", required=True)
    parser.add_argument("--judge", default="qwen2.5-coder-1.5b")
    parser.add_argument("--stop-after", type=float, help="seconds; then render what is stored")
    parser.add_argument("--render-only", action="store_true")
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    store = Store(args.db)
    rubric = resolve_rubric_set("workshop")
    cancel = threading.Event()
    if args.stop_after:
        threading.Timer(args.stop_after, cancel.set).start()
    summary = judge_run(
        store, args.run, backend_for(), args.judge, rubric, cancel=cancel,
        load_model=not args.render_only,
        progress=lambda p: print(f"[{p.done}/{p.total}] {p.model} {p.prompt_id} {p.aspect}: {p.outcome}", file=sys.stderr),
    ) if not args.render_only else None  # fmt: skip
    from rubrics.judge import judge_tasks

    total = summary.total if summary else len(judge_tasks(store, args.run, rubric))
    text = render(store, args.run, args.judge, total)
    if args.write:
        args.write.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)


if __name__ == "__main__":
    main()
