"""Race: the same prompt streamed live to 1-4 models side by side, for demos; save it as a run."""

from __future__ import annotations

from typing import Any

import streamlit as st

from bench.errors import BenchError
from bench.inputs import user_files
from bench.inputs.config import resolve_prompt_set
from bench.run import race as races
from ui import race_stage
from ui.errors import guard, show_error
from ui.form_state import keep, remember
from ui.jobs import Job, registry
from ui.race import Board, draw_lanes, start_race, watch_race, winner_lines
from ui.resources import (
    endpoint_api_key,
    endpoint_models,
    foundry_backend,
    foundry_status,
    runnable_foundry_models,
    store,
)
from ui.routing import require_router
from ui.runs import open_results
from ui.speed_view import fastest_first

require_router()

RACE_JOB = "race_job"
SAVED = "race_saved"
CUSTOM = "(your own prompt)"
DEFAULT_PROMPT = "Explain in two sentences what ONNX is and why it helps run models on a laptop."
NO_ENDPOINT = "(none)"


def _workshop_prompts() -> dict[str, str]:
    try:
        return {f"{p.id}: {p.prompt}": p.prompt for p in resolve_prompt_set("workshop").prompts}
    except BenchError:
        return {}


def _pick_prompt() -> None:
    choice = st.session_state.get("race_prompt_pick")
    if choice and choice != CUSTOM:
        st.session_state["race_prompt"] = _workshop_prompts().get(choice, st.session_state.get("race_prompt"))


def _lane_backends(foundry: Any, endpoint_lanes: dict[str, tuple[Any, str]]) -> Any:
    """``lane -> backend`` (or ``(backend, model name)`` for an endpoint's model), for the race thread."""
    keys: dict[str, Any] = {}  # through the key guard here: the race thread has no session state
    for lane, (endpoint, _name) in endpoint_lanes.items():
        try:
            keys[lane] = endpoint_api_key(endpoint.base_url, endpoint.api_key_env)
        except BenchError as exc:
            keys[lane] = exc

    def backend_for_model(lane: str) -> Any:
        if lane in endpoint_lanes:
            from bench.backends import backend_for

            endpoint, name = endpoint_lanes[lane]
            if isinstance(keys[lane], BenchError):
                raise keys[lane]
            return backend_for(endpoint.base_url, keys[lane]), name
        if foundry is None:
            raise BenchError(lane, "Foundry Local (in-process) did not start", "see the Home page")
        return foundry

    return backend_for_model


# ---- presenter view (kept in the URL: ?presenter=1) and a race asked for by a link (?models=a&models=b&go=1)
presenter = st.toggle(
    "Presenter view",
    value=st.query_params.get("presenter") == "1",
    key="race_presenter",
    help="For a projector: lanes, big numbers and the winner on one 1280×720 screen, the set-up folded away.",
)
if presenter:
    st.query_params["presenter"] = "1"
    race_stage.style()
elif "presenter" in st.query_params:
    del st.query_params["presenter"]
autostart = st.query_params.get("go") == "1"
asked: list[str] = []  # the models a link asked to race
if autostart:  # once: "Race these two" on Decide, or a bookmarked demo
    asked = st.query_params.get_all("models")
    st.session_state["race_models"] = asked
    del st.query_params["go"]

if not presenter:
    st.title("Race")
    st.caption(
        "The same prompt, streamed live to up to four models side by side — for demos. By default the models run "
        "**one after another** (each gets the whole machine, so the numbers compare fairly); **together** is more "
        "fun to watch but the models share the CPU, so it is *not a fair speed comparison*. Loading a model is "
        "timed apart and never counts toward its time to first token."
    )

active = registry().active()
if active is not None and active.kind == "race":
    st.session_state[RACE_JOB] = active.id
job = registry().get(st.session_state.get(RACE_JOB))
busy = active is not None

# ---- the field ----------------------------------------------------------------------------------
with st.expander("Set up the race", expanded=False) if presenter else st.container(border=True):
    available = runnable_foundry_models()
    if foundry_status().ok and not available:
        st.info(
            "No Foundry Local model is imported yet. Import one on **Models**, or run the quick benchmark on "
            "**Home** (it imports the default model).",
            icon=":material/info:",
        )
    endpoint_lanes: dict[str, tuple[Any, str]] = {}  # lane label -> (endpoint, model name)
    endpoints: list[user_files.Endpoint] = []
    with guard("The endpoints list could not be read."):
        endpoints = user_files.load_endpoints()
    if endpoints:
        names = [NO_ENDPOINT, *[e.name for e in endpoints]]
        picked = st.selectbox(
            "Also race models of a saved endpoint (HTTP)",
            names,
            key=keep("race_endpoint", NO_ENDPOINT, names),
            help="Foundry Local models run in-process; an endpoint's models are measured over HTTP.",
        )
        if picked != NO_ENDPOINT:
            endpoint = endpoints[names.index(picked) - 1]
            try:
                for name in endpoint_models(endpoint.base_url, endpoint.api_key_env):
                    endpoint_lanes[f"{name} @ {endpoint.name}"] = (endpoint, name)
            except BenchError as exc:
                show_error(exc, title=f"Endpoint {endpoint.name} did not answer.")
    ordered, speeds = fastest_first(list(available))
    options = [*ordered, *endpoint_lanes]
    models = st.multiselect(
        "Models (1 to 4)",
        options,
        key=keep("race_models", options[:2], options),
        max_selections=races.MAX_MODELS,
        placeholder="Choose up to four models",
        help="Fastest first: by decode speed measured in your recent runs, else smaller on disk first.",
    )
    missing = [m for m in asked if m not in options]
    measured = [f"{m} {speeds[m].decode_tps:.0f} tok/s" for m in ordered if m in speeds]
    if measured:
        st.caption(f"Measured here (median decode speed of recent runs): {', '.join(measured)}.")

    prompts = _workshop_prompts()
    picks = [CUSTOM, *prompts]
    st.selectbox(
        "Prompt from the workshop set",
        picks,
        key=keep("race_prompt_pick", CUSTOM, picks),
        on_change=_pick_prompt,
        help="Fills the prompt box; edit it freely afterwards.",
    )
    prompt = st.text_area("Prompt", key=keep("race_prompt", DEFAULT_PROMPT), height=90)
    c1, c2 = st.columns([1, 3])
    max_tokens = c1.number_input(
        "Max output tokens", min_value=1, max_value=4096, key=keep("race_max_tokens", 96)
    )
    mode = c2.radio(
        "Mode",
        list(races.MODES),
        format_func=races.MODES.get,
        horizontal=True,
        key=keep("race_mode", races.SEQUENTIAL, list(races.MODES)),
    )
    remember(
        "race_endpoint", "race_models", "race_prompt_pick", "race_prompt", "race_max_tokens", "race_mode"
    )
    if mode == races.TOGETHER:
        st.warning(races.UNFAIR_NOTE, icon=":material/warning:")

    start = st.button(
        "Start the race",
        type="primary",
        icon=":material/sports_score:",
        disabled=busy,
        help=f"Busy: {active.title}" if active else None,
        key="race_start",
    )
    if start or (autostart and not busy and models):
        try:
            foundry = foundry_backend() if any(m not in endpoint_lanes for m in models) else None
            backend_for_model = _lane_backends(foundry, dict(endpoint_lanes))
            lanes_endpoints = {
                m: (endpoint_lanes[m][0].base_url, endpoint_lanes[m][0].api_key_env)
                for m in models
                if m in endpoint_lanes
            }
            job = start_race(
                backend_for_model,
                models,
                prompt,
                max_tokens=int(max_tokens),
                mode=mode,
                endpoints=lanes_endpoints,
            )
            st.session_state[RACE_JOB] = job.id
            st.session_state.pop(SAVED, None)
        except BenchError as exc:
            show_error(exc, title="The race did not start.")

if missing:  # a link's race that cannot run as asked says so (outside the set-up, which presenters fold)
    st.warning(
        f"The link asked to race {', '.join(missing)}, not available here"
        f"{'' if models else ', so the race did not start'}. Import it on **Models** (or add the endpoint that "
        "serves it), or pick the models in **Set up the race** and press **Start the race**.",
        icon=":material/warning:",
    )
if active is not None and active.kind != "race":
    st.info(f"Busy: **{active.title}** — {active.stage}. A race can start when it ends.")


# ---- the race -----------------------------------------------------------------------------------
def _solo_line(result: races.RaceResult, lanes: int) -> str:
    """One finisher is no winner: its numbers without a "Fastest" title."""
    m = result.metrics
    assert m is not None
    ttft = f"first token {m.ttft_s:.3f} s" if m.ttft_s is not None else "no first-token time"
    tps = f"{m.decode_tps:.1f} tok/s decode" if m.decode_tps is not None else "no decode speed"
    who = f"Only **{result.model}** finished" if lanes > 1 else f"**{result.model}** ran alone"
    return f"{who}: {ttft}, {tps} · output tokens from `{m.output_token_source}`. Add a model to race it."


def _draw(current: Job) -> None:
    board: Board | None = current.meta.get("board")
    if board is None:
        return
    if board.mode == races.TOGETHER:
        st.caption(f":material/warning: {races.UNFAIR_NOTE}")
    if st.session_state.get("race_presenter"):
        race_stage.draw_lanes(board)
    else:
        draw_lanes(board)
    if current.running and st.button("Stop the race", icon=":material/stop_circle:", key="race_cancel"):
        current.cancel.set()
        current.update(stage="Stopping…")


def _save(current: Job) -> None:
    settings = current.meta["settings"]
    endpoints = settings.get("endpoints", {})
    saved = races.save_race(
        store(),
        current.result,
        settings["prompt"],
        max_tokens=settings["max_tokens"],
        temperature=settings["temperature"],
        seed=settings["seed"],
        mode=settings["mode"],
        endpoint_for=lambda lane: endpoints.get(lane, (None, None)),
    )
    st.session_state[SAVED] = {"job": current.id, "runs": [run_id for run_id, _ in saved]}


if job is not None:
    if not presenter:
        st.subheader("The race")
    watch_race(job.id, _draw)
    if job.state == "failed":
        show_error(job.error or "failed", title="The race failed.")
    elif job.state in ("done", "cancelled") and isinstance(job.result, dict):
        results: dict[str, races.RaceResult] = job.result
        finished = [r for r in results.values() if r.ok and r.metrics is not None]
        lines = winner_lines(results) if len(finished) > 1 else []
        if presenter and race_stage.banner(results):
            pass  # the big banner said it
        elif len(finished) == 1:
            st.info(_solo_line(finished[0], len(results)), icon=":material/sports_score:")
        elif lines:
            st.success("\n\n".join(lines), icon=":material/emoji_events:")
        elif job.state == "done":
            st.warning("No model finished, so there is no winner.", icon=":material/warning:")
        if job.meta["settings"]["mode"] == races.TOGETHER and lines:
            st.caption(races.UNFAIR_NOTE)
        saved = st.session_state.get(SAVED)
        if saved and saved.get("job") == job.id:
            runs = saved["runs"]
            st.success(f"Saved as run {', '.join(f'`{r}`' for r in runs)} (label `race`).")
            if st.button("Open in Results", icon=":material/monitoring:", key="race_open"):
                open_results(runs)
        elif st.button(
            "Save as a run",
            icon=":material/save:",
            key="race_save",
            disabled=busy,
            help="Stores this race's own measurements as a normal run (1 round, no warm-up, this one prompt, "
            "label `race`) so it shows on Results.",
        ):
            try:
                _save(job)
                st.rerun()
            except BenchError as exc:
                show_error(exc, title="The race could not be saved.")
