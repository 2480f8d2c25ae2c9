"""``python -m bench export RUN... --out FILE`` and ``python -m bench import FILE``: run bundles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bench.cli.output import DB_HELP, fail
from bench.errors import BenchError

console = Console(stderr=True)
out = Console()


def export_runs(
    run_ids: Annotated[list[str], typer.Argument(help="One or more run ids.")],
    out_file: Annotated[Path, typer.Option("--out", help="The bundle to write, e.g. runs.slmbundle.")],
    db: Annotated[str | None, typer.Option(help=DB_HELP)] = None,
) -> None:
    """Write runs with everything that belongs to them (samples, answers, annotations, judgments,
    machine) into one checksummed file for another store."""
    from bench.store.bundle import export_runs as export
    from bench.store.store import Store

    try:
        counts = export(Store(db), run_ids, out_file)
        detail = ", ".join(f"{t} {n}" for t, n in counts.items() if n)
        out.print(f"wrote {out_file}: {detail}", highlight=False)
    except BenchError as exc:
        fail(exc)


def import_bundle(
    bundle: Annotated[Path, typer.Argument(help="A bundle written by `python -m bench export`.")],
    db: Annotated[str | None, typer.Option(help=DB_HELP)] = None,
) -> None:
    """Add a bundle's runs to this store (idempotent: importing twice changes nothing)."""
    from bench.store.bundle import import_bundle as do_import
    from bench.store.store import Store

    try:
        store = Store(db)
        counts = do_import(store, bundle)
        new = sum(c["new"] for c in counts.values())
        kept = sum(c["kept"] for c in counts.values())
        detail = ", ".join(f"{t} +{c['new']}" for t, c in counts.items() if c["new"])
        out.print(
            f"imported {bundle} into {store.path}: {new} new rows ({detail or 'nothing new'}),"
            f" {kept} already there and left as they were",
            highlight=False,
        )
    except BenchError as exc:
        fail(exc)
