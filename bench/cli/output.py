"""The one way every command prints a :class:`~bench.errors.BenchError`: 'subject: what' + fix, exit 2."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console

from bench.errors import BenchError, plain_message

err = Console(stderr=True)

#: the --db option's help, the same for every command that opens the store
DB_HELP = "SQLite file or postgresql://USER@HOST/DB (env SLM_BENCH_DB; default .slm-bench/bench.db)."


def fail(exc: BenchError) -> None:
    """Print a BenchError as 'subject: what' + fix, in red, and exit 2 (never a traceback)."""
    err.print(f"[bold red]error:[/bold red] {exc.subject}: {exc.what}", highlight=False, soft_wrap=True)
    if exc.fix:
        err.print(f"  [yellow]fix:[/yellow] {exc.fix}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def flag_errors(exc: ValidationError, flag_names: dict[str, str] | None = None, whole: str = "flags") -> str:
    """A flags model's errors in the user's words, each naming its flag: ``--rounds: must be >= 1``.

    A field maps to ``--field-name`` unless ``flag_names`` says otherwise; an error about the whole
    model (no field) is put under ``whole``.
    """
    names = flag_names or {}
    lines = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else ""
        flag = names.get(field, f"--{field.replace('_', '-')}") if field else whole
        lines.append(f"{flag}: {plain_message(err)}")
    return "; ".join(lines)


def emit(text: str, out_file: Path | None) -> None:
    """A report's text to ``--out`` (folders made, the path said on stderr) or to stdout."""
    if out_file:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(text, encoding="utf-8")
        err.print(f"wrote {out_file}")
    else:
        sys.stdout.write(text)


def on_off(flag: str, value: str) -> bool:
    """``on`` / ``off`` (any case) as a bool; anything else names the flag and the two values it takes."""
    if value.lower() not in ("on", "off"):
        raise BenchError(flag, f"{value!r} is neither on nor off", f"pass {flag} on or {flag} off")
    return value.lower() == "on"
