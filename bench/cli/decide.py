"""``python -m bench decide RUN...``: hard limits, then a ranking that says how sure it is.

Prints the same table as the app's Decide page (rank, P(best), rank interval, the numbers with n,
the limits' verdict), the recommendation or the tie, and saves the decision with its limits so the
reports of these runs print them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from bench.cli.output import DB_HELP, fail, flag_errors
from bench.errors import BenchError

FORMATS = ("table", "md", "json")
CRITERIA = ("quality", "latency", "throughput", "memory", "size", "energy", "cost")  # bench.decide.ranking's
err = Console(stderr=True)


def parse_weights(text: str) -> dict[str, Any]:
    """``quality=0.5,latency=0.3,pass:tool-calls=2`` -> those weights; criteria not named get 0.

    ``pass:WORKLOAD`` weighs one workload's pass rate; they come back under ``workloads``
    (:class:`bench.decide.recommend.Criteria`'s field).
    """
    weights: dict[str, Any] = dict.fromkeys(CRITERIA, 0.0)
    workloads: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, sep, raw = part.partition("=")
        name = name.strip().lower()
        workload = name.split(":", 1)[1].strip() if name.startswith("pass:") else None
        if not sep or (name not in CRITERIA and workload is None):
            raise BenchError(
                f"--weights {text}",
                f"{part!r} is not CRITERION=NUMBER" if not sep else f"unknown criterion {name!r}",
                f"criteria: {', '.join(CRITERIA)}, pass:WORKLOAD; e.g. --weights quality=0.5,latency=0.3,"
                "pass:tool-calls=0.2",
            )
        if workload is not None:
            from bench.decide.workload_pass import require_known

            require_known(workload, f"--weights {text}")
        try:
            value = float(raw)
        except ValueError:
            raise BenchError(f"--weights {text}", f"{raw!r} is not a number", "e.g. quality=0.5") from None
        if workload is None:
            weights[name] = value
        else:
            workloads[workload] = value
    return {**weights, "workloads": workloads}


def _criteria(weights: str | None, scored_by: str | None, latency: str, level: float) -> Any:
    from bench.decide.recommend import Criteria

    values: dict[str, Any] = parse_weights(weights) if weights else {}
    try:
        return Criteria(**values, scored_by=scored_by, latency_stat=latency, level=level)
    except ValidationError as exc:
        what = flag_errors(exc, {"scored_by": "--scored-by", "latency_stat": "--latency"}, whole="--weights")
        raise BenchError(
            "decide options", what, "weights >= 0 and not all 0; --level between 0.5 and 1"
        ) from None


def decide(
    run_ids: Annotated[list[str], typer.Argument(help="One or more run ids: every model in them competes.")],
    limit: Annotated[
        list[str] | None,
        typer.Option(
            "--limit",
            help="A hard limit, repeatable: p95=1.5s, p50=800ms, ttft=300ms, memory=2GB, size=900MB,"
            " quality:people=3.5, license=apache-2.0,mit, tag=chat, energy=0.5J (per output token),"
            " cost=0.01 (estimate per 1k output tokens), errors=5%, truncated=10%, pass:tool-calls=80% (a"
            " workload's pass rate). Out only when broken with"
            " 95% confidence. An error limit of 5% applies unless you set one.",
        ),
    ] = None,
    weights: Annotated[
        str | None,
        typer.Option(
            help="e.g. quality=0.5,latency=0.3,memory=0.2,energy=0.2,cost=0.1,pass:tool-calls=0.5 (unnamed"
            " criteria get 0; energy = J per output token, cost = estimate per 1k output tokens, pass:WORKLOAD ="
            " that workload's pass rate: long-context, json-output, tool-calls, multi-turn)."
        ),
    ] = None,
    level: Annotated[
        float, typer.Option(help="Name a model only when it is best in this share of resamples.")
    ] = 0.8,
    scored_by: Annotated[
        str | None, typer.Option(help="Quality source: people, judge:MODEL... (default: people if scored).")
    ] = None,
    latency: Annotated[
        str,
        typer.Option(help="Latency statistic: p95, p50, ttft or ttft4k (TTFT p95 at >= 4k prompt tokens)."),
    ] = "p95",
    models_file: Annotated[
        Path | None, typer.Option(help="models.json with licenses and capabilities (for license= and tag=).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, md or json.")] = "table",
    save: Annotated[
        bool, typer.Option("--save/--no-save", help="Store the decision with its limits.")
    ] = True,
    accept_differences: Annotated[
        bool,
        typer.Option(
            "--accept-differences",
            help="Recommend even when the candidates were measured differently (settings, prompts, HTTP vs"
            " in-process, machine); the output says so. Without it such candidates get no recommendation.",
        ),
    ] = False,
    db: Annotated[str | None, typer.Option(help=DB_HELP)] = None,
) -> None:
    """Recommend a default model: limits first, then a weighted ranking with P(best) and rank intervals."""
    from bench.decide import decision_log
    from bench.decide import recommend as decide_mod
    from bench.decide.candidates import info_from_model_list
    from bench.store.store import Store

    try:
        if fmt not in FORMATS:
            raise BenchError("--format", f"unknown format {fmt!r}", f"use one of {', '.join(FORMATS)}")
        criteria = _criteria(weights, scored_by, latency, level)
        info = info_from_model_list(str(models_file)) if models_file else None
        store = Store(db)
        texts = list(limit or [])
        table, rec, record = decision_log.take(
            store, run_ids, criteria, texts, info, accept_differences=accept_differences
        )
        if save:
            record["info"] = {k: vars(v) for k, v in (info or {}).items()}
            decision_id = decision_log.save(store, run_ids, criteria.model_dump(), texts, record)
            err.print(f"saved decision {decision_id} (the reports of these runs print its limits)")
        lines = decide_mod.recommendation_markdown(
            rec, criteria, table, [lim["words"] for lim in record["limits"]]
        )
        if fmt == "json":
            sys.stdout.write(json.dumps(_clean(record), indent=2, sort_keys=True) + "\n")
        elif fmt == "md":
            sys.stdout.write("\n".join(lines) + "\n")
        else:
            _print(table, lines)
    except BenchError as exc:
        fail(exc)


def _clean(value: Any) -> Any:
    """JSON-safe: NaN -> null, numpy numbers -> Python numbers."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def _print(table: Any, lines: list[str]) -> None:
    from bench.decide.explain import decision_rows

    out = Console(width=220)
    text = [line for line in lines if not line.startswith("|")]
    text = [line for i, line in enumerate(text) if line or (i and text[i - 1])]  # no double blank lines
    for line in text:
        out.print(line.replace("**", ""), highlight=False, soft_wrap=True)
    rows = decision_rows(table)
    grid = Table(*(rows[0] if rows else ["model"]))
    for row in rows:
        style = "green" if row["rank"] == "1" else ("red" if row["limits"].startswith("out") else "")
        grid.add_row(*row.values(), style=style)
    out.print(grid)
