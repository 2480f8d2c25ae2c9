"""Streamlit side of the Race page: the live board a race job fills, and how lanes are drawn.

The race itself (:func:`bench.run.race.race`) runs on a background job (:mod:`ui.jobs`, so it holds
the one-job-at-a-time slot and survives a page switch); its ``on_event``/``on_status`` callbacks
write into a :class:`Board`, and the page's fragment redraws the board a few times a second.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import streamlit as st

from bench.backends.base import Backend, StreamEvent, now_ns
from bench.measure.request_metrics import TOKEN_KINDS, RequestMetrics
from bench.report.chart_data import color_map
from bench.run import race as races
from ui.errors import show_error
from ui.format import seconds
from ui.job_view import poll
from ui.jobs import Job, registry

POLL_S = 0.3
JOB_KIND = "race"


@dataclass
class Lane:
    """What one column shows, updated from the race's events (copied out under the board's lock)."""

    model: str
    status: str = "waiting"  # waiting | loading | running | done | failed
    text: str = ""
    reasoning: str = ""
    chunks: int = 0
    t_send_ns: int | None = None
    t_first_ns: int | None = None
    t_last_ns: int | None = None
    t_end_ns: int | None = None
    error: str | None = None
    metrics: RequestMetrics | None = None

    # ---- live numbers (final ones come from ``metrics``) -------------------------------------
    def ttft_s(self) -> float | None:
        if self.metrics is not None:
            return self.metrics.ttft_s
        if self.t_first_ns is None or self.t_send_ns is None:
            return None
        return (self.t_first_ns - self.t_send_ns) / 1e9

    def tokens(self) -> tuple[int | None, str]:
        """(tokens, source): the final count and its source, or the live chunk count."""
        if self.metrics is not None and self.metrics.output_tokens is not None:
            return self.metrics.output_tokens, self.metrics.output_token_source
        return (self.chunks, "chunks, live") if self.t_send_ns is not None else (None, "")

    def decode_tps(self) -> float | None:
        if self.metrics is not None:
            return self.metrics.decode_tps
        if self.t_first_ns is None or self.t_last_ns is None or self.chunks < 2:
            return None
        window = (self.t_last_ns - self.t_first_ns) / 1e9
        return (self.chunks - 1) / window if window > 0 else None

    def elapsed_s(self) -> float | None:
        if self.metrics is not None and self.metrics.e2e_s is not None:
            return self.metrics.e2e_s
        if self.t_send_ns is None:
            return None
        return ((self.t_end_ns or now_ns()) - self.t_send_ns) / 1e9


@dataclass
class Board:
    """Every lane of one race, written by the race thread(s), read by the page."""

    models: list[str]
    mode: str
    lanes: dict[str, Lane] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.lanes = {m: Lane(m) for m in self.models}

    def on_event(self, model: str, event: StreamEvent) -> None:
        with self.lock:
            lane = self.lanes[model]
            if event.kind in TOKEN_KINDS and (event.text or event.n_tokens):
                lane.chunks += event.n_tokens or 1
                lane.t_first_ns = lane.t_first_ns or event.t_ns
                lane.t_last_ns = event.t_ns
                if event.kind == "content":
                    lane.text += event.text
                else:
                    lane.reasoning += event.text

    def on_status(self, model: str, status: str, info: dict[str, Any]) -> None:
        with self.lock:
            lane = self.lanes[model]
            lane.status = status
            if status == "running":
                lane.t_send_ns = info.get("t_send_ns")
            elif status in ("done", "failed"):
                lane.t_end_ns = now_ns()
                lane.metrics = info.get("metrics", lane.metrics)
                lane.error = info.get("error")

    def snapshot(self) -> list[Lane]:
        with self.lock:
            return [replace(lane) for lane in self.lanes.values()]


def start_race(
    backend_for_model: Callable[[str], Backend | tuple[Backend, str]],
    models: Sequence[str],
    prompt: str,
    *,
    max_tokens: int,
    mode: str,
    temperature: float = 0.0,
    seed: int | None = 42,
    endpoints: dict[str, tuple[str | None, str | None]] | None = None,
) -> Job:
    """Validate and start a race on the job registry (raises BenchError when busy or invalid)."""
    lanes = races.check(models, prompt, mode)
    board = Board(lanes, mode)
    settings = {
        "prompt": prompt,
        "max_tokens": int(max_tokens),
        "temperature": float(temperature),
        "seed": seed,
        "mode": mode,
        "endpoints": dict(endpoints or {}),
    }

    def work(job: Job) -> dict[str, races.RaceResult]:
        job.on_stage("Racing…", None)
        results = races.race(
            backend_for_model,
            lanes,
            prompt,
            int(max_tokens),
            float(temperature),
            seed,
            board.on_event,
            mode=mode,
            on_status=board.on_status,
            cancel=job.cancel,
        )
        job.on_stage("Race finished", 1.0)
        return results

    title = f"Race: {' vs '.join(lanes)}"
    return registry().start(JOB_KIND, title, work, meta={"board": board, "settings": settings})


# ---- drawing --------------------------------------------------------------------------------------
def _header(model: str, color: str, status: str) -> None:
    icon = {
        "waiting": ":material/hourglass_empty:",
        "loading": ":material/hourglass_top:",
        "running": ":material/play_circle:",
        "done": ":material/sports_score:",
        "failed": ":material/error:",
    }.get(status, "")
    st.markdown(f"<div style='border-top:6px solid {color}'></div>", unsafe_allow_html=True)
    st.markdown(f"**{_escape(model)}** · {icon} {status}")


def _escape(text: str) -> str:
    """Model names in Markdown: no accidental emphasis or links."""
    return "".join(f"\\{c}" if c in "*_[]`<>#|~" else c for c in text)


def draw_lanes(board: Board, height: int = 260) -> None:
    """One column per model: name in its chart colour, four tiles, the answer as it streams."""
    lanes = board.snapshot()
    colors = color_map([lane.model for lane in lanes])
    for column, lane in zip(st.columns(len(lanes)), lanes, strict=True):
        with column:
            _header(lane.model, colors[lane.model], lane.status)
            tokens, source = lane.tokens()
            tps = lane.decode_tps()
            c1, c2 = st.columns(2)
            c1.metric("TTFT", seconds(lane.ttft_s()), help="Time to first token (from just before sending).")
            c2.metric(
                "Tokens/s",
                f"{tps:.1f}" if tps is not None else "—",
                help="Decode rate: (tokens - 1) / (end - first token). Live: from chunks.",
            )
            c3, c4 = st.columns(2)
            c3.metric(
                "Tokens",
                "—" if tokens is None else str(tokens),
                help=f"Output tokens, counted from `{source or 'n/a'}`.",
            )
            c4.metric("Elapsed", seconds(lane.elapsed_s()))
            if lane.error:
                show_error(lane.error, title=f"{lane.model} did not finish.")
            with st.container(height=height, border=True):
                if lane.reasoning:
                    st.caption(f"Reasoning: {lane.reasoning}")
                cursor = " ▌" if lane.status == "running" else ""
                st.text((lane.text or ("…" if lane.status in ("waiting", "loading") else "")) + cursor)
            if tokens is not None:
                st.caption(f"tokens from `{source}`")


def winner_lines(results: dict[str, races.RaceResult]) -> list[str]:
    """The banner's lines, e.g. ``Fastest first token: **a** 0.12 s (b: 0.30 s) · tokens from usage``."""
    lines = []
    for win in races.winners(results):
        value = f"{win.value:.3f} s" if win.unit == "s" else f"{win.value:.1f} tok/s"
        other = ""
        if win.runner_up is not None and win.runner_up_value is not None:
            second = f"{win.runner_up_value:.3f} s" if win.unit == "s" else f"{win.runner_up_value:.1f} tok/s"
            other = f" (next: {win.runner_up} {second})"
        lines.append(
            f"{win.title}: **{win.model}** — {value}{other} · output tokens from `{win.token_source}`"
        )
    return lines


def watch_race(job_id: str | None, draw: Callable[[Job], None]) -> Job | None:
    """Redraw the race every ``POLL_S`` while it runs; rerun the whole page once it has ended."""
    job = registry().get(job_id)
    if job is not None:
        poll(job, JOB_KIND, POLL_S, draw)
    return job
