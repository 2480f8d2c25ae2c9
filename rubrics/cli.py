"""``python -m bench judge``: grade a run's answers with a local judge model.

Lives in ``rubrics`` (the judge is quality, not measurement); ``bench.cli.main`` mounts it by name
through ``PLUGIN_COMMANDS`` so ``bench`` never imports ``rubrics``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from bench.cli.output import DB_HELP, fail
from bench.errors import BenchError
from bench.inputs import config

console = Console(stderr=True)
out = Console()


def judge(
    run_id: Annotated[str, typer.Argument(help="The run whose answers to grade.")],
    judge_model: Annotated[str, typer.Option("--judge", help="The judge model (a second local model).")],
    rubric: Annotated[
        str, typer.Option(help="Rubric file or built-in set: workshop, meeting-notes.")
    ] = "workshop",
    endpoint: Annotated[
        str | None, typer.Option(help="OpenAI-compatible base URL of the judge; default in-process.")
    ] = None,
    api_key_env: Annotated[
        str | None, typer.Option(help="Name of the env var holding the judge endpoint's API key.")
    ] = None,
    attempts: Annotated[int, typer.Option(help="Tries per item before it is stored as missing.")] = 2,
    k: Annotated[
        int,
        typer.Option(help="Judgments per item: 1 = deterministic; more = at temperature 0.3, median kept."),
    ] = 1,
    db: Annotated[str | None, typer.Option(help=DB_HELP)] = None,
) -> None:
    """Grade a run's answers per rubric aspect with a local judge model (1-5 with anchors)."""
    from bench.backends import backend_for
    from bench.store.store import Store
    from rubrics.judge import judge_run
    from rubrics.schema import resolve_rubric_set

    try:
        store = Store(db)
        if store.get_run(run_id) is None:
            raise BenchError(run_id, f"no such run in {store.path}", "list runs with `python -m bench runs`")
        rubric_set = resolve_rubric_set(rubric)
        from bench.backends.keys import flag_key

        url = endpoint or config.endpoint_from_env()
        backend = backend_for(url, flag_key(api_key_env, url))  # --api-key-env confirms it for this URL

        def show(p: Any) -> None:
            console.print(
                f"[{p.done}/{p.total}] {p.model} · {p.prompt_id} · {p.aspect}: {p.outcome}", highlight=False
            )

        summary = judge_run(
            store, run_id, backend, judge_model, rubric_set, max_attempts=attempts, progress=show, k=k
        )
        parsed = summary.judged - summary.missing
        out.print(
            f"judged {summary.judged} (parsed {parsed}, missing {summary.missing}), skipped {summary.skipped}"
            f" already judged, of {summary.total}"
        )
    except BenchError as exc:
        fail(exc)
