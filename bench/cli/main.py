"""``python -m bench``: models, run, report, runs — the whole benchmark without the app.

Bad input never shows a traceback: every :class:`~bench.errors.BenchError` is printed as
``subject: what is wrong`` plus the fix, and the command exits with status 2.
"""

from __future__ import annotations

import importlib
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import click
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from bench.cli.output import DB_HELP, emit, fail, flag_errors, on_off
from bench.errors import BenchError

if TYPE_CHECKING:  # imported where used: --help stays fast (pydantic models)
    from bench.inputs import config

#: sub-commands that live in their own modules, as "module:attribute", imported only when that command
#: runs (or shows its own --help): `python -m bench --help` lists them without importing pandas, the SDK
#: or an HTTP client. Other packages plug in here too (found by name, like score sources), so bench
#: never imports them.
LAZY_COMMANDS: dict[str, str] = {
    "models": "bench.cli.models:models_app",
    "serve": "bench.cli.serve:serve",
    "compare": "bench.cli.compare:compare",
    "decide": "bench.cli.decide:decide",
    "load": "bench.cli.load:load",
    "checks": "bench.cli.checks:checks",
    "export": "bench.cli.bundle:export_runs",
    "import": "bench.cli.bundle:import_bundle",
}
PLUGIN_COMMANDS = {"judge": "rubrics.cli:judge"}
#: a sub-app's one-line help (a command's is its docstring, read without importing its module)
GROUP_HELP = {"models": "List, import, fetch and register models."}


def _docstring(target: str) -> str:
    """The docstring of ``module:function`` read from its source file, so listing costs no import."""
    import ast
    import importlib.util

    module, attr = target.split(":")
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        return ""
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == attr:
            return ast.get_docstring(node) or ""
    return ""


def load_command(name: str) -> click.Command:
    """Import one sub-command and build its click command (what typer would have mounted)."""
    module, attr = {**LAZY_COMMANDS, **PLUGIN_COMMANDS}[name].split(":")
    target = getattr(importlib.import_module(module), attr)
    if isinstance(target, typer.Typer):
        command: click.Command = typer.main.get_group(target)
        command.help = GROUP_HELP.get(name, command.help)
    else:
        single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class _LazyGroup(TyperGroup):
    """The top-level group: a lazy command is a help-only stand-in until it is the one that runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        lazy = [n for n in (*LAZY_COMMANDS, *PLUGIN_COMMANDS) if n not in self.commands]
        lazy.sort(key=lambda n: n in GROUP_HELP)  # groups after commands, as typer lists them
        return [*super().list_commands(ctx), *lazy]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.commands or name not in {**LAZY_COMMANDS, **PLUGIN_COMMANDS}:
            return super().get_command(ctx, name)
        target = {**LAZY_COMMANDS, **PLUGIN_COMMANDS}[name]
        return click.Command(name, help=GROUP_HELP.get(name) or _docstring(target))

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else None
        if name in {**LAZY_COMMANDS, **PLUGIN_COMMANDS} and name not in self.commands:
            self.commands[name] = load_command(name)
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=_LazyGroup,
    help="SLM Bench: measure small language models on your own hardware.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console(stderr=True)
out = Console()

FLAG_NAMES = {"max_tokens": "--max-tokens", "models": "--models", "rounds": "--rounds", "warmup": "--warmup"}


def _settings(**values: Any) -> config.RunSettings:
    """Validate the run flags; a bad value names its flag (``--rounds: must be >= 1``)."""
    from bench.inputs import config

    try:
        return config.RunSettings(**values)
    except ValidationError as exc:
        raise BenchError(
            "command line", flag_errors(exc, FLAG_NAMES), "see `python -m bench run --help`"
        ) from None


def _model_names(models: str | None) -> list[str]:
    """``--models A,B``, a models.json path (the workshop's format works), or ``BENCH_MODELS``."""
    from bench.inputs import config

    if models and (models.endswith(".json") or Path(models).is_file()):
        return [m.name for m in config.load_model_list(models).models]
    if models:
        return [m.strip() for m in models.split(",") if m.strip()]
    from_env = config.models_from_env()
    if from_env:
        return from_env
    raise BenchError("--models", "no model given", "pass --models NAME[,NAME] or set BENCH_MODELS")


def _model_refs(models: str | None) -> tuple[list[str], dict[str, config.ModelEndpoint]]:
    """Names and, for a mixed run, where each model is served (``NAME@URL#ENV`` or models.json ``endpoint``)."""
    from bench.inputs import config, model_refs

    if models and (models.endswith(".json") or Path(models).is_file()):
        return model_refs.from_specs(config.load_model_list(models).models)
    return model_refs.parse_refs(_model_names(models))


def _check_models(settings: config.RunSettings) -> None:
    """Fail before creating a run when the endpoint is down, refuses the key, or a model is unknown.

    The check goes through the same backend (same URL, same key) the run will use.
    """
    from bench.backends import backend_for
    from bench.backends.keys import flag_key, is_set

    if settings.api_key_env and not is_set(settings.api_key_env):
        raise BenchError(
            "--api-key-env",
            f"the environment variable {settings.api_key_env} is not set (or empty)",
            f"export {settings.api_key_env}=... before the run, or drop --api-key-env",
        )
    backend = backend_for(settings.endpoint, flag_key(settings.api_key_env, settings.endpoint))
    for name in settings.models:
        where = settings.model_endpoints.get(name)
        if where and where.api_key_env and not is_set(where.api_key_env):
            raise BenchError(f"--models {name}@{where.endpoint}#{where.api_key_env}",
                             f"the environment variable {where.api_key_env} is not set (or empty)",
                             f"export {where.api_key_env}=... before the run")  # fmt: skip
        own = backend_for(where.endpoint, flag_key(where.api_key_env, where.endpoint)) if where else backend
        own.resolve(name)


def _resume_keys(store: Any, run_id: str, api_key_env: str | None) -> set[tuple[str, str]]:
    """``--api-key-env NAME`` with ``--resume`` confirms sending NAME to the stored run's endpoints.

    Without it nothing is sent: the stored run may be an imported one whose endpoint is a stranger's.
    """
    run = store.get_run(run_id) if api_key_env else None
    if run is None:
        return set()
    stored = run["settings"]
    places = [stored, *(stored.get("model_endpoints") or {}).values()]
    return {
        (api_key_env, p["endpoint"])
        for p in places
        if p.get("api_key_env") == api_key_env and p.get("endpoint")
    }


@app.command()
def run(
    models: Annotated[
        str | None, typer.Option(help="Comma list or a models.json file (env BENCH_MODELS).")
    ] = None,
    prompts: Annotated[
        str,
        typer.Option(
            help="Prompt file (.json, .jsonl, .csv) or a built-in set: workshop, meeting-notes, extraction,"
            " classification, python-functions."
        ),
    ] = "workshop",
    rounds: Annotated[int, typer.Option(help="Measured rounds per prompt.")] = 3,
    warmup: Annotated[int, typer.Option(help="Warm-up rounds (stored, excluded from statistics).")] = 1,
    stream: Annotated[
        bool | None, typer.Option("--stream/--no-stream", help="Stream tokens (env BENCH_STREAM).")
    ] = None,
    max_tokens: Annotated[int, typer.Option(help="Max output tokens per request.")] = 128,
    temperature: Annotated[float, typer.Option(help="Sampling temperature (0 = greedy).")] = 0.0,
    seed: Annotated[int, typer.Option(help="Sampling seed.")] = 42,
    endpoint: Annotated[
        str | None,
        typer.Option(help="OpenAI-compatible base URL (env FOUNDRY_LOCAL_ENDPOINT); default in-process."),
    ] = None,
    api_key_env: Annotated[
        str | None,
        typer.Option(
            help="Name of the env var holding the endpoint's API key (with --resume: confirms sending it"
            " to the stored run's endpoint; without, a resumed run sends no key)."
        ),
    ] = None,
    label: Annotated[str, typer.Option(help="A note stored with the run.")] = "",
    retries: Annotated[
        int, typer.Option(help="Tries after the first for HTTP 429/503, dropped connections, timeouts.")
    ] = 3,
    request_timeout: Annotated[
        float, typer.Option(help="Seconds one request may take, first byte to last token.")
    ] = 300.0,
    prompt_cache: Annotated[
        str, typer.Option(help="on | off: off asks the server not to reuse its prompt cache (llama.cpp).")
    ] = "on",
    db: Annotated[str | None, typer.Option(help=DB_HELP)] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Write the run's reports here when it ends.")
    ] = None,
    resume: Annotated[str | None, typer.Option(help="Finish an interrupted run by id.")] = None,
    repeat: Annotated[
        int, typer.Option(min=1, help="Run the same settings N times, grouped: shows run-to-run noise.")
    ] = 1,
    allow_code: Annotated[
        bool,
        typer.Option(
            "--allow-code",
            help="Run the answers' code for python_tests checks of a prompt set that is not built in (in the"
            " sandbox). A prompt set or bundle cannot switch this on by itself.",
        ),
    ] = False,
) -> None:
    """Run a benchmark: every model x prompt x round, each sample stored as it ends."""
    from bench.cli.progress import progress_printer
    from bench.cli.repeat import print_noise, run_repeated
    from bench.inputs import config
    from bench.run.runner import resume_run
    from bench.store.store import Store

    try:
        store = Store(db)
        printer = progress_printer(console)
        cancel = threading.Event()
        if resume and repeat > 1:
            raise BenchError("--repeat", "cannot be combined with --resume", "resume one run at a time")
        if resume:
            keys = _resume_keys(store, resume, api_key_env)
            status = resume_run(
                store, resume, progress=printer, cancel=cancel, confirmed_keys=keys, allow_code=allow_code
            )
            run_ids = [resume]
        else:
            names, where = _model_refs(models)
            settings = _settings(
                models=names,
                model_endpoints=where,
                rounds=rounds,
                warmup=warmup,
                stream=config.stream_from_env() if stream is None else stream,
                max_tokens=max_tokens,
                temperature=temperature,
                seed=seed,
                endpoint=endpoint or config.endpoint_from_env(),
                api_key_env=api_key_env,
                label=label,
                retries=retries,
                request_timeout_s=request_timeout,
                prompt_cache=on_off("--prompt-cache", prompt_cache),
            )
            prompt_set = config.resolve_prompt_set(prompts)
            _check_models(settings)
            run_ids, status = run_repeated(
                store, settings, prompt_set, repeat, progress=printer, cancel=cancel, allow_code=allow_code
            )
            print_noise(store, run_ids, console)
        run_id = run_ids[-1]
        if out_dir:
            from bench.report.exports import write_reports

            for path in write_reports(store, run_ids, out_dir):
                console.print(f"wrote {path}")
        for printed in run_ids:  # one id a line, the last run last
            out.print(printed)
        if status == "completed":
            from bench.cli.keep import keep_for_the_app

            keep_for_the_app(store, run_ids, console)
        if status not in ("completed",):
            run = store.get_run(run_id) or {}
            detail = f": {run['error']}" if run.get("error") else ""
            console.print(f"[yellow]run {run_id} ended {status}{detail}[/yellow]", soft_wrap=True)
            if status in ("partial", "cancelled", "interrupted"):
                console.print(f"resume with: python -m bench run --resume {run_id}", soft_wrap=True)
            raise typer.Exit(1)
    except BenchError as exc:
        fail(exc)


@app.command()
def report(
    run_ids: Annotated[list[str], typer.Argument(help="One or more run ids.")],
    fmt: Annotated[
        str,
        typer.Option("--format", help="md, csv, json, or html (one self-contained file with its charts)."),
    ] = "md",
    out_file: Annotated[Path | None, typer.Option("--out", help="Write here instead of stdout.")] = None,
    charts: Annotated[
        bool,
        typer.Option(
            "--charts", help="With --format md --out FILE: write the charts as SVG files and link them."
        ),
    ] = False,
    charts_format: Annotated[str, typer.Option(help="Image format of --charts: svg or png.")] = "svg",
    db: Annotated[str | None, typer.Option(help=DB_HELP)] = None,
) -> None:
    """Print or write a run's report (benchmark_report.md, samples.csv, report.json or report.html)."""
    from bench.report.exports import FORMATS
    from bench.store.store import Store

    try:
        if fmt not in (*FORMATS, "html"):
            raise BenchError("--format", f"unknown format {fmt!r}", f"use one of {', '.join(FORMATS)}, html")
        if charts and (fmt != "md" or not out_file):
            raise BenchError("--charts", "needs --format md and --out FILE (the images go next to it)",
                             "e.g. --format md --charts --out reports/benchmark_report.md")  # fmt: skip
        if fmt == "html":
            from bench.report.html import render_html

            text = render_html(Store(db), run_ids)
        elif charts and out_file:
            from bench.report.html import markdown_with_charts

            if charts_format not in ("svg", "png"):
                raise BenchError("--charts-format", f"unknown format {charts_format!r}", "use svg or png")
            text = markdown_with_charts(Store(db), run_ids, out_file, charts_format)
        else:
            text = FORMATS[fmt][1](Store(db), run_ids)
        emit(text, out_file)
    except BenchError as exc:
        fail(exc)


@app.command()
def runs(
    db: Annotated[str | None, typer.Option(help=DB_HELP)] = None,
    limit: Annotated[int, typer.Option(help="How many.")] = 20,
    machine: Annotated[
        str | None,
        typer.Option(
            help="Only runs whose machine (host, CPU, GPU, id) contains this text, case-insensitive."
        ),
    ] = None,
) -> None:
    """List stored runs, newest first (an interrupted run can be resumed with run --resume)."""
    from bench.measure import machine as machines
    from bench.store.store import Store

    table = Table()
    table.add_column(
        "run", no_wrap=True, min_width=len("20261122-184653-3fa2")
    )  # never cut: it is typed back
    for name in ("status", "models", "samples", "created", "machine", "label"):
        table.add_column(name, overflow="fold")
    stored = Store(db).list_runs(limit if machine is None else 10**6)
    shown = 0
    for r in stored:
        fp = machines.of_run(r)
        if machine and machine.lower() not in f"{fp['label']} {fp['machine_id']}".lower():
            continue
        if shown >= limit:
            break
        shown += 1
        table.add_row(
            r["id"],
            r["status"],
            ",".join(r["settings"].get("models", [])),
            str(r["n_samples"]),
            r["created_at"],
            fp["label"],
            r["label"],
        )
    out.print(table)
    if machine and not shown:
        console.print(
            f"no stored run ran on a machine matching {machine!r} (see the machine column of `runs`)"
        )


def main() -> None:
    try:
        app()
    except BenchError as exc:
        try:
            fail(exc)
        except typer.Exit as done:
            sys.exit(done.exit_code)
    except KeyboardInterrupt:
        console.print(
            "[yellow]interrupted: finished samples are stored; resume with run --resume RUN_ID[/yellow]"
        )
        sys.exit(130)


if __name__ == "__main__":
    main()
