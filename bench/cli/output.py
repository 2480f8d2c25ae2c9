"""The one way every command prints a :class:`~bench.errors.BenchError`: 'subject: what' + fix, exit 2."""

from __future__ import annotations

import typer
from rich.console import Console

from bench.errors import BenchError

err = Console(stderr=True)

#: the --db option's help, the same for every command that opens the store
DB_HELP = "SQLite file or postgresql://USER@HOST/DB (env SLM_BENCH_DB; default .slm-bench/bench.db)."


def fail(exc: BenchError) -> None:
    """Print a BenchError as 'subject: what' + fix, in red, and exit 2 (never a traceback)."""
    err.print(f"[bold red]error:[/bold red] {exc.subject}: {exc.what}", highlight=False, soft_wrap=True)
    if exc.fix:
        err.print(f"  [yellow]fix:[/yellow] {exc.fix}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)
