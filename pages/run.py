"""Run: choose models, prompts and settings; start, watch live, cancel; stored through bench.run.runner."""

from __future__ import annotations

from typing import Any

import streamlit as st

from bench.errors import BenchError
from bench.inputs import user_files
from bench.inputs.config import PromptSet, RunSettings, load_prompt_set, validate
from bench.inputs.workloads import WORKLOAD_DESCRIPTIONS
from bench.quality.checks.consent import needs_code_consent
from bench.report.round_labels import plural
from ui import tasks
from ui.errors import guard, show_error
from ui.form_state import keep, remember
from ui.job_view import watch
from ui.jobs import Job, registry
from ui.resources import endpoint_api_key, endpoint_models, foundry_status, runnable_foundry_models, store
from ui.routing import require_router
from ui.runs import open_results

require_router()

RUN_JOB = "run_job"
FOUNDRY = "Foundry Local (in-process)"


def _prompt_sets() -> dict[str, Any]:
    return user_files.set_files("prompts")


def _finished(job: Job) -> None:
    if job.run_id:
        st.session_state["selected_runs"] = [job.run_id]


st.title("Run a benchmark")
st.caption(
    "Every model × prompt × round, warm-up rounds first (stored, flagged, excluded from statistics), fixed seed "
    "and temperature, prompts in a fixed order. Each request is stored the moment it ends — exactly as "
    "`python -m bench run` stores it — so Results, the CLI and the reports all read the same data."
)

active = registry().active()
if active is not None and active.kind in ("benchmark", "quick"):
    st.session_state[RUN_JOB] = active.id
job = registry().get(st.session_state.get(RUN_JOB))
busy = active is not None

settings_box = st.container(border=True)
with settings_box:
    st.subheader("1 · Models")
    endpoints: list[user_files.Endpoint] = []
    with guard("The endpoints list could not be read."):
        endpoints = user_files.all_endpoints()
    backends = [FOUNDRY, *[f"{e.name} — {e.base_url} (HTTP)" for e in endpoints]]
    backend_label = st.radio(
        "Backend",
        backends,
        horizontal=True,
        key=keep("run_backend", FOUNDRY, backends),
        help="One backend per run. To compare in-process with HTTP, make two runs and pick both on Results.",
    )
    endpoint = None if backend_label == FOUNDRY else endpoints[backends.index(backend_label) - 1]
    available: list[str] = []
    if endpoint is None:
        available = runnable_foundry_models()
        if foundry_status().ok and not available:
            st.info(
                "No Foundry Local model is imported yet. Import one on **Models**, or run the quick benchmark on "
                "**Home** (it imports the default model).",
                icon=":material/info:",
            )
    else:
        try:
            available = endpoint_models(endpoint.base_url, endpoint.api_key_env)
        except BenchError as exc:
            show_error(exc, title=f"Endpoint {endpoint.name} did not answer.")
    default_models = [m for m in available if m == tasks.default_model_name()] or available[:1]
    models = st.multiselect(
        "Models to compare",
        available,
        key=keep(f"run_models_{backend_label}", default_models, available),
        placeholder="Choose one or more models",
    )

    st.subheader("2 · Prompts")
    sets = _prompt_sets()
    set_labels = list(sets)
    default_set = next((label for label in set_labels if label.startswith("workshop")), set_labels[0])
    set_label = st.selectbox(
        "Prompt set",
        set_labels,
        key=keep("run_prompt_set", default_set, set_labels),
        help="Edit or add sets on **Prompts & rubrics**. Workload sets: "
        + "; ".join(f"**{name}**: {text}" for name, text in WORKLOAD_DESCRIPTIONS.items()),
    )
    prompts: PromptSet | None = None
    try:
        prompts = load_prompt_set(sets[set_label]) if set_label else None
    except BenchError as exc:
        show_error(exc, title="That prompt set cannot be used.")
    if prompts is not None and prompts.workload:
        st.caption(f"Workload **{prompts.workload}**: {WORKLOAD_DESCRIPTIONS[prompts.workload]}.")
    allow_code = False
    if prompts is not None and needs_code_consent(prompts):
        allow_code = st.checkbox(
            "Run the answers' code (this set's `python_tests` are not built in)",
            value=False,
            key="run_allow_code",
            help="The code runs in the sandbox (no network, no files of yours, no environment). Without"
            " this tick those checks are stored as 'not run'; `allow_code_execution` in a file is ignored.",
        )
    if prompts is not None:
        with st.expander(f"{len(prompts.prompts)} prompts in `{prompts.name}`"):
            st.dataframe(
                [{"id": p.id, "prompt": p.prompt, "aspects": ", ".join(p.aspects)} for p in prompts.prompts],
                hide_index=True,
                width="stretch",
            )

    st.subheader("3 · Settings")
    c1, c2, c3, c4 = st.columns(4)
    rounds = c1.number_input(
        "Rounds", min_value=1, max_value=1000, key=keep("run_rounds", 3), help="Measured rounds per prompt"
    )
    warmup = c2.number_input(
        "Warm-up rounds",
        min_value=0,
        max_value=100,
        key=keep("run_warmup", 1),
        help="Run first, stored, excluded from statistics",
    )
    max_tokens = c3.number_input(
        "Max output tokens", min_value=1, max_value=32768, key=keep("run_max_tokens", 128)
    )
    temperature = c4.number_input(
        "Temperature",
        min_value=0.0,
        max_value=2.0,
        step=0.1,
        key=keep("run_temperature", 0.0),
        help="0 = greedy (deterministic)",
    )
    c5, c6, c7, c8 = st.columns(4)
    seed = c5.number_input("Seed", min_value=0, max_value=2**31 - 1, key=keep("run_seed", 42))
    stream = c6.toggle(
        "Stream tokens", key=keep("run_stream", True), help="Needed for TTFT and decode tokens/s"
    )
    live = c7.toggle(
        "Show answers live",
        key=keep("run_live", True),
        help="The page refreshes twice a second to show the answer; off, it refreshes every 2 s (less CPU taken from the model).",
    )
    label = c8.text_input("Label", key=keep("run_label", ""), placeholder="e.g. laptop on battery")
    with st.expander("Faults and caching"):
        r1, r2, r3 = st.columns(3)
        retries = r1.number_input(
            "Retries per request",
            min_value=0,
            max_value=10,
            key=keep("run_retries", 3),
            help="After HTTP 429/503, a dropped connection, a timeout or a cut stream; waits double each"
            " time (a server's Retry-After wins). Every try is logged on the sample.",
        )
        request_timeout = r2.number_input(
            "Request deadline (s)",
            min_value=1.0,
            max_value=3600.0,
            key=keep("run_request_timeout", 300.0),
            help="A request not finished by then (a stalled stream) fails and the run goes on.",
        )
        prompt_cache = r3.toggle(
            "Server prompt cache",
            key=keep("run_prompt_cache", True),
            help="Off asks llama.cpp not to reuse its prompt cache (cache_prompt: false), so TTFT is a"
            " real prefill; servers without the switch ignore it.",
        )
    remember(
        "run_backend",
        f"run_models_{backend_label}",
        "run_prompt_set",
        "run_rounds",
        "run_warmup",
        "run_max_tokens",
        "run_temperature",
        "run_seed",
        "run_stream",
        "run_live",
        "run_label",
        "run_retries",
        "run_request_timeout",
        "run_prompt_cache",
    )

    n_requests = len(models) * (int(rounds) + int(warmup)) * (len(prompts.prompts) if prompts else 0)
    st.caption(
        f"**{n_requests} requests**: {plural(len(models), 'model')} × ({plural(int(warmup), 'warm-up round')} + "
        f"{plural(int(rounds), 'measured round')}) × {plural(len(prompts.prompts) if prompts else 0, 'prompt')}"
        " · transport: "
        f"{'in-process' if endpoint is None else 'HTTP'}"
    )
    start = st.button(
        "Start the run",
        type="primary",
        icon=":material/play_arrow:",
        disabled=busy,
        help=f"Busy: {active.title}" if active else None,
        key="run_start",
    )
    if start:
        try:
            if not models:
                raise BenchError("Models to compare", "no model chosen", "pick at least one model above")
            if prompts is None:
                raise BenchError("Prompt set", "none usable", "pick or fix a prompt set on Prompts & rubrics")
            if endpoint is not None:
                endpoint_api_key(endpoint.base_url, endpoint.api_key_env)  # refuses an unconfirmed key
            settings = validate(
                RunSettings,
                {
                    "models": models,
                    "rounds": int(rounds),
                    "warmup": int(warmup),
                    "stream": bool(stream),
                    "max_tokens": int(max_tokens),
                    "temperature": float(temperature),
                    "seed": int(seed),
                    "endpoint": endpoint.base_url if endpoint else None,
                    "api_key_env": endpoint.api_key_env if endpoint else None,
                    "label": label,
                    "retries": int(retries),
                    "request_timeout_s": float(request_timeout),
                    "prompt_cache": bool(prompt_cache),
                },
                "run settings",
                "change the highlighted setting above",
            )
            title = (
                f"Run: {', '.join(models)} · {prompts.name} · {plural(int(rounds), 'round')} after "
                f"{plural(int(warmup), 'warm-up round')}"
            )
            job = tasks.start_benchmark(settings, prompts, title, allow_code=allow_code)
            st.session_state[RUN_JOB] = job.id
        except BenchError as exc:
            show_error(exc, title="The run did not start.")

if active is not None and active.kind not in ("benchmark", "quick"):
    st.info(f"Busy: **{active.title}** — {active.stage}. A run can start when it ends.")

if job is not None:
    st.subheader("Progress")
    watch(job.id, "run", live=st.session_state.get("run_live", True), on_finish=_finished)
    if (
        not job.running
        and job.run_id
        and st.button(
            "Open this run in Results", type="primary", icon=":material/monitoring:", key="run_open"
        )
    ):
        open_results([job.run_id])

# ---- interrupted runs ---------------------------------------------------------------------------
unfinished = [r for r in store().list_runs(50) if r["status"] in ("interrupted", "cancelled")]
if unfinished:
    with st.expander(f"Resume an unfinished run ({len(unfinished)})"):
        st.caption(
            "Resuming skips every request already stored and finishes the rest with the run's own settings."
        )
        for run in unfinished[:10]:
            c1, c2 = st.columns([4, 1], vertical_alignment="center")
            c1.markdown(
                f"`{run['id']}` · {run['status']} · {', '.join(run['settings'].get('models', []))} · "
                f"{run.get('n_samples', 0)} requests stored"
            )
            if c2.button("Resume", key=f"resume_{run['id']}", disabled=busy):
                with guard(f"Run {run['id']} could not be resumed."):
                    st.session_state[RUN_JOB] = tasks.start_resume(run["id"]).id
                    st.rerun()
