"""``python -m bench checks RUN [--allow-code]``: evaluate a run's task checks and print the pass rates."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bench.cli.output import DB_HELP, fail
from bench.errors import BenchError

err = Console(stderr=True)
out = Console()


def _pct(value: float) -> str:
    return "n/a" if value != value else f"{100 * value:.0f}%"  # nan != nan


def checks(
    run_id: Annotated[str, typer.Argument(help="The run whose answers to check.")],
    allow_code: Annotated[
        bool,
        typer.Option(
            "--allow-code",
            help="Run python_tests (the answers' code, in the sandbox) for a prompt set that is not built in."
            " A set or bundle cannot switch this on by itself (allow_code_execution is ignored).",
        ),
    ] = False,
    force: Annotated[bool, typer.Option(help="Evaluate again even where a verdict is stored.")] = False,
    db: Annotated[str | None, typer.Option(help=DB_HELP)] = None,
) -> None:
    """Evaluate the prompts' checks on a run's answers (stored per sample and check) and show pass rates."""
    from bench.quality.checks.run_checks import evaluate_run_checks
    from bench.quality.checks.source import INTERVAL_METHOD, ChecksProvider
    from bench.store.store import Store

    try:
        store = Store(db)

        def show(done: int, total: int) -> None:
            err.print(f"[{done}/{total}] checks", highlight=False)

        summary = evaluate_run_checks(store, run_id, allow_code=allow_code, force=force, progress=show)
        err.print(summary.text(), highlight=False)
        provider = ChecksProvider()
        overall = provider.summary(store, [run_id])
        if overall.empty:
            out.print("no prompt of this run carries checks")
            return
        table = Table(title=f"Task checks of {run_id}: answers passing all their checks ({INTERVAL_METHOD})")
        for column in ("model", "pass rate", "95% interval", "prompts", "not run"):
            table.add_column(column)
        for row in overall.itertuples():
            interval = f"{_pct(row.low)}–{_pct(row.high)}"
            table.add_row(row.model, _pct(row.mean), interval, str(row.n), str(row.missing))
        out.print(table)
        by_type = Table(title="Per check type (each check of each prompt counted once)")
        for column in ("model", "check", "pass rate", "95% interval", "n"):
            by_type.add_column(column)
        for row in provider.table(store, [run_id]).itertuples():
            interval = f"{_pct(row.low)}–{_pct(row.high)}"
            by_type.add_row(row.model, row.aspect, _pct(row.mean), interval, str(row.n))
        out.print(by_type)
    except BenchError as exc:
        fail(exc)
