"""``python -m bench compare BASE NEW``: what changed between two runs, and a CI gate on it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bench.cli.output import DB_HELP, emit, fail
from bench.errors import BenchError

FORMATS = ("table", "md", "json")
err = Console(stderr=True)


def compare(
    base: Annotated[str, typer.Argument(help="The base run id (before).")],
    new: Annotated[str, typer.Argument(help="The new run id (after).")],
    fail_on: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-on",
            help="METRIC:PERCENT, e.g. decode_tps:5 or e2e_p95:10: exit 1 when that metric got worse by more"
            " than PERCENT with 95% confidence (percentage points for errors, truncated and pass rates),"
            " Holm–Bonferroni across the gated rows. A model gone from NEW, or with no successful request"
            " in it, fails. Metrics: decode_tps, ttft, e2e_p50, e2e_p95, errors, truncated, memory,"
            " quality:SOURCE. Repeatable.",
        ),
    ] = None,
    accept_differences: Annotated[
        bool,
        typer.Option(
            "--accept-differences",
            help="Give verdicts even when the runs differ in settings, prompts, backend or machine (the output"
            " says so). Without it such runs get no verdict and a gate fails.",
        ),
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="table, md or json.")] = "table",
    out_file: Annotated[Path | None, typer.Option("--out", help="Write here instead of stdout.")] = None,
    db: Annotated[str | None, typer.Option(help=DB_HELP)] = None,
) -> None:
    """Compare two runs model by model: each metric's change with a 95% interval and a verdict."""
    from bench.compare import changes as cmp
    from bench.store.store import Store

    try:
        if fmt not in FORMATS:
            raise BenchError("--format", f"unknown format {fmt!r}", f"use one of {', '.join(FORMATS)}")
        rules = cmp.parse_fail_on(fail_on or [])
        comparison = cmp.compare_runs(Store(db), base, new, accept_differences=accept_differences)
        report = cmp.gate_report(comparison, rules)
        failures = report.failures
        unknown = [m for m in rules if m not in {r.metric for r in comparison.rows}]
        for metric in unknown:
            err.print(
                f"[yellow]--fail-on {metric}: no model has this metric in both runs; not checked[/yellow]"
            )
        for line in report.not_checked:
            err.print(f"[yellow]--fail-on {line}[/yellow]", highlight=False, soft_wrap=True)
        if fmt == "table":
            _print_table(comparison, report.note())
        else:
            render = cmp.markdown if fmt == "md" else cmp.to_json
            emit(render(comparison, failures, report.note()), out_file)
        for (model, metric), note in cmp.noise_notes(Store(db), comparison).items():  # --repeat groups
            err.print(f"run-to-run noise · {model} · {metric}: {note}", highlight=False, soft_wrap=True)
        for failure in failures:
            err.print(f"[bold red]gate failed:[/bold red] {failure}", highlight=False, soft_wrap=True)
        if failures:
            raise typer.Exit(1)
    except BenchError as exc:
        fail(exc)


def _print_table(comparison: object, gate_note: str) -> None:
    from bench.compare import changes as cmp

    assert isinstance(comparison, cmp.Comparison)
    out = Console(width=200)
    rows = cmp.table_rows(comparison)
    table = Table(
        *(rows[0] if rows else ["model"]), title=f"{comparison.new_run} against {comparison.base_run}"
    )
    for row in rows:
        style = {"worse": "red", "better": "green"}.get(row["verdict"], "")
        table.add_row(*row.values(), style=style)
    table.caption = comparison.machine_line()
    out.print(table)
    for line in comparison.difference_lines():
        out.print(line, highlight=False, soft_wrap=True)
    for line in cmp.only_lines(comparison):
        out.print(line, highlight=False, soft_wrap=True)
    out.print(cmp.method_note(), highlight=False, soft_wrap=True)
    if gate_note:
        out.print(gate_note, highlight=False, soft_wrap=True)
