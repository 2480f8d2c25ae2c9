"""The panel that watches a background :class:`~ui.jobs.Job`: progress, ETA, live answer, cancel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from bench.report import live_chart
from bench.report.round_labels import round_words
from ui.errors import show_error
from ui.format import duration, seconds
from ui.jobs import Job, registry

POLL_S = 0.5
QUIET_POLL_S = 2.0  # without the live answer: fewer refreshes competing with the model for CPU


def tile_duration(value: float | None) -> str:
    """A duration short enough for a quarter-column tile (``1m 35s``, ``35 min``, ``1h 02m``): the long
    form (``1 min 35 s``) was cut with an ellipsis once a run passed a minute."""
    if value is None:
        return "—"
    total = max(0, round(float(value)))
    minutes, secs = divmod(total, 60)
    hours, mins = divmod(minutes, 60)
    if total < 60:
        return f"{total} s"
    if minutes < 10:
        return f"{minutes}m {secs:02d}s"
    if minutes < 60:
        return f"{minutes} min"
    return f"{hours}h {mins:02d}m" if hours < 10 else f"{hours} h"


def _watch_key(key: str) -> str:
    return f"_watching_{key}"


def poll(
    job: Job,
    key: str,
    every_s: float,
    draw: Callable[[Job], None],
    on_finish: Callable[[Job], None] | None = None,
) -> None:
    """Draw ``job`` in a fragment that redraws itself every ``every_s`` while the job runs.

    When the job ends while this panel is polling, the whole page reruns, so it shows the new state (a
    finished run, a race's winner), and ``on_finish`` runs once in that full run, before the fragment
    is drawn again: it may switch pages, which is a full run's business, not a fragment's. The
    browser's timer requests that still come from a page the session has left are dropped by
    :mod:`ui.stale_reruns` (one ran after Results and blanked it).

    A full run's messages could be lost: a timer tick handled after the page's final full run had
    ended, but before the server had sent all of it, made Streamlit start a new runner and ignore the
    rest (the Race's winner banner never came). :mod:`ui.stale_reruns` drops such a tick.

    The fragment sits in a container of its own. Why: on a loaded machine the browser's timer can
    still send fragment reruns after the page's final full run, and such a rerun wrote at the
    fragment's place in the page's own list, over what the page drew after it. The Race's winner
    banner vanished 20 ms after it appeared (twice in CI; every time once the server's event
    handling was slowed, ``tests/test_browser_race_presenter.py``). In a container of its own the
    fragment can only ever replace its own elements.
    """
    job_id = job.id
    flag = _watch_key(key)
    if not job.running and st.session_state.get(flag) == job_id:  # the full run the ended panel asked for
        del st.session_state[flag]
        if on_finish is not None:
            on_finish(job)

    @st.fragment(run_every=every_s if job.running else None)
    def _panel() -> None:
        current = registry().get(job_id)
        if current is None:
            return
        if current.running:
            st.session_state[flag] = current.id
        draw(current)
        if not current.running and st.session_state.get(flag) == current.id:
            st.rerun()  # asked by every tick until the full run has come (it clears the flag)

    with st.container():
        _panel()


def watch(
    job_id: str | None,
    key: str,
    *,
    live: bool = True,
    on_finish: Callable[[Job], None] | None = None,
) -> Job | None:
    """Show the job and refresh it while it runs (twice a second; every 2 s without the live answer)."""
    job = registry().get(job_id)
    if job is None:
        return None
    poll(job, key, POLL_S if live else QUIET_POLL_S, lambda current: _render(current, key, live), on_finish)
    return job


def request_words(model: str, prompt_id: str, rnd: int, rounds: int = 0) -> str:
    """``smollm2 · capital · round 2 of 3`` (``warm-up 1`` for a warm-up round), as Results says it."""
    return f"{model} · {prompt_id} · {round_words(rnd, rounds)}"


def progress_line(
    stage: str, answering: tuple[str, str, int], last: dict[str, Any] | None, rounds: int
) -> str:
    """The progress bar's text: the request being answered when one is streaming, else ``stage``.

    The runner reports a request when it has *finished*, while the live answer shows the one in
    flight; without this the bar named the previous prompt above the next prompt's answer.
    """
    model, prompt_id, rnd = answering
    if not model:
        return stage
    finished = last is not None and (last.get("model"), last.get("prompt_id"), last.get("round")) == (
        model,
        prompt_id,
        rnd,
    )
    return stage if finished else f"answering {request_words(model, prompt_id, rnd, rounds)}"


def _live_chart(points: list[dict[str, Any]], total: int, running: bool) -> None:
    """Each finished request as a point, drawn from the runner's events (no database read)."""
    measured = live_chart.measured_count(points)
    st.altair_chart(live_chart.live_requests(points, total), width="stretch")
    st.caption(
        f"Decode tokens/s of each request as it finished: {len(points)} drawn, {measured} measured "
        "(warm-up and the cold first request are drawn apart and never enter a statistic). "
        + ("Results opens with intervals over prompts when the run ends." if running else "")
    )


def _render(job: Job, key: str, live: bool) -> None:
    with job.lock:
        stage, fraction, state = job.stage, job.fraction, job.state
        done, total, eta = job.done, job.total, job.eta_s
        failures = dict(job.failures)
        answer = job.live
        answer_view = (answer.model, answer.prompt_id, answer.round, answer.text)
        last = job.last_sample
        points = list(job.points)
        error, trace = job.error, job.trace
        run_id, run_status = job.run_id, job.run_status
        log = list(job.log)

    benchmark = job.kind in ("benchmark", "quick")
    if benchmark and state == "running":
        stage = progress_line(stage, answer_view[:3], last, job.rounds)
    with st.container(border=True):
        st.markdown(f"**{job.title}**")
        if state == "running":
            counts = f"{done}/{total} requests · " if benchmark and total else ""
            if fraction is None:
                st.progress(0.0, text=f"{counts}{stage}")
            else:
                st.progress(min(max(fraction, 0.0), 1.0), text=f"{counts}{stage}")
        if benchmark and total:
            c1, c2, c3, c4 = st.columns(4)
            c1.metric(
                "Requests",
                f"{done} / {total}",
                help="Warm-up requests included; they are stored and flagged.",
            )
            c2.metric("Elapsed", tile_duration(job.elapsed_s))
            c3.metric(
                "Time left",
                tile_duration(eta) if state == "running" and eta is not None else "—",
                help="Mean seconds per request so far × requests left.",
            )
            if last and last.get("ok"):
                m = last["metrics"]
                tps = m.get("decode_tps")
                c4.metric(
                    "Last request",
                    seconds(m.get("e2e_s")),
                    f"{tps:.0f} tok/s" if tps else None,  # short: a quarter of Home's left column
                    delta_color="off",
                    delta_arrow="off",
                    help="End-to-end time of the last request; below it, its decode speed (tokens/s after the "
                    f"first token). Output tokens from `{m.get('output_token_source') or 'n/a'}`; "
                    f"transport {last.get('transport')}; phase "
                    f"{'warm-up' if last.get('warmup') else 'cold' if last.get('cold') else 'warm'}.",
                )
            else:
                c4.metric("Last request", "—")
        elif state == "running":
            st.caption(f"Elapsed {duration(job.elapsed_s)}")

        if benchmark and points:
            _live_chart(points, total, state == "running")

        if benchmark and live and state == "running" and answer_view[0]:
            model, prompt_id, rnd, text = answer_view
            st.caption(f"Live answer · {request_words(model, prompt_id, rnd, job.rounds)}")
            with st.container(height=170, border=True):
                st.text(text + " ▌")

        for model, reason in failures.items():
            show_error(reason, title=f"Model {model} failed; the run went on without it.")

        if state == "running":
            if st.button("Cancel", key=f"{key}_cancel", icon=":material/stop_circle:"):
                job.cancel.set()
                job.update(stage="Cancelling after the request in flight…")
                job.note("cancel requested")
        elif state == "done":
            if benchmark:
                msg = f"Run `{run_id}` {run_status or 'finished'} in {duration(job.elapsed_s)}: {done}/{total} requests."
                (st.success if run_status == "completed" else st.warning)(msg)
            else:
                st.success(f"{stage or 'Done'} ({duration(job.elapsed_s)}).")
        elif state == "cancelled":
            stored = (
                f" The {done} requests finished before the cancel are stored in run `{run_id}`."
                if run_id
                else ""
            )
            st.warning(f"Cancelled after {duration(job.elapsed_s)}.{stored}")
        elif state == "failed":
            show_error(error or "failed", title=f"{job.title} failed.")
            if trace:
                with st.expander("Technical details (this is a bug in SLM Bench; please report it)"):
                    st.code(trace, language="text")
        if log and state != "running":
            with st.expander("Log"):
                st.code("\n".join(log), language="text")


def sidebar_status() -> None:
    """A one-line note in the sidebar while a job runs (on every page)."""
    job = registry().active()
    if job is None:
        return
    with job.lock:
        stage = job.stage
        if job.kind in ("benchmark", "quick"):
            live = job.live
            stage = progress_line(
                stage, (live.model, live.prompt_id, live.round), job.last_sample, job.rounds
            )
    with st.sidebar:
        st.caption(f":material/hourglass_top: **{job.title}** — {stage}")
        if job.fraction is not None:
            st.progress(min(max(job.fraction, 0.0), 1.0))
