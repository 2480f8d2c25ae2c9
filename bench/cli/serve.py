"""``python -m bench serve``: imported models over Foundry Local's OpenAI-compatible web service.

The workshop's ``curl http://localhost:5273/v1/models`` then lists them, and any OpenAI client (or
``python -m bench run --endpoint http://127.0.0.1:5273/v1``) can use them. See
:mod:`bench.acquire.foundry_service` for how the service is made to see local models.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from bench.cli.output import fail
from bench.errors import BenchError

console = Console(stderr=True)


def serve(
    models: Annotated[
        list[str], typer.Argument(help="Imported models to serve, by name (tiny-test) or id (tiny-test:1).")
    ],
    port: Annotated[int, typer.Option(help="Port of the OpenAI-compatible service.")] = 5273,
    host: Annotated[str, typer.Option(help="Address to bind (0.0.0.0 for every interface).")] = "127.0.0.1",
    load: Annotated[
        bool,
        typer.Option(
            "--load/--no-load",
            help="Load the models now, so any OpenAI client works at once (--no-load: a benchmark that "
            "times the load loads them itself through /models/load).",
        ),
    ] = True,
) -> None:
    """Serve imported models at http://HOST:PORT/v1 until Ctrl-C (Foundry Local's web service)."""
    from bench.acquire import foundry_service

    def ready(served: list[foundry_service.ServedModel], url: str) -> None:
        console.print(f"serving at [bold]{url}[/bold] (Ctrl-C to stop)", highlight=False)
        for model in served:
            state = "loaded" if load else f"load with GET {url.removesuffix('/v1')}/models/load/{model.alias}"
            console.print(f"  {model.model_id}  ({state})", highlight=False)
        console.print(f"try: curl {url}/models", highlight=False)

    try:
        foundry_service.resolve_models(models)  # an unknown name fails before Foundry starts
        console.print(
            "[dim]Foundry Local runs offline here: its 'failed to fetch catalog' lines are expected.[/dim]"
        )
        foundry_service.serve(models, host=host, port=port, load=load, ready=ready)
    except BenchError as exc:
        fail(exc)
    console.print("stopped")
