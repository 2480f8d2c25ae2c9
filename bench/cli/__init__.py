"""``python -m bench ...``: the command line (typer), a thin layer over the ``bench`` package."""

from bench.cli.main import app, main

__all__ = ["app", "main"]
