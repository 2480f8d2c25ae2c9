"""The Race page's presenter view: a running race readable on a 1280x720 projector, no scrolling.

Why (issue 20): at 900 px height the tiles started at y~770 and the winner banner at y~1390, numbers
were 36 px, labels 14 px, and the words were "TTFT", "tokens from chunks, live", "usage". Here each
lane is one compact block of HTML: the model's name, two big numbers (>= 48 px) under plain labels
(>= 20 px) whose tooltip names the exact metric, and a short window of the answer; the winner banner
is large too. Everything model-made is escaped: model output is adversarial.
"""

from __future__ import annotations

import html

import streamlit as st

from bench.report.chart_data import color_map
from bench.run import race as races
from ui.race import Board

NUMBER_PX = 56
LABEL_PX = 22
ANSWER_LINES = 3

#: plain words on screen -> the exact metric, in the label's tooltip
WORDS = {
    "first": ("First word after", "Time to first token (TTFT): from just before sending to the first token."),
    "speed": ("Words per second", "Decode tokens per second: (output tokens - 1) / (last - first token)."),
}

_STYLE = f"""
<style>
.block-container {{ padding-top: 2.2rem !important; padding-bottom: 0.5rem !important; }}
.slm-lane {{ border-top: 8px solid var(--lane); padding: 4px 2px 0 2px; }}
.slm-lane h3 {{ font-size: {LABEL_PX + 2}px; margin: 0 0 2px 0; padding: 0; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }}
.slm-status {{ font-size: {LABEL_PX}px; color: #4b5563; }}
.slm-stats {{ display: flex; gap: 18px; }}
.slm-label {{ font-size: {LABEL_PX}px; color: #374151; cursor: help; }}
.slm-number {{ font-size: {NUMBER_PX}px; font-weight: 700; line-height: 1.05; color: #111827; }}
.slm-answer {{ font-size: {LABEL_PX}px; line-height: 1.3; color: #1f2937; height: {ANSWER_LINES * 1.3}em;
  overflow: hidden; white-space: pre-wrap; border: 1px solid #e5e7eb; border-radius: 6px; padding: 4px 8px; }}
.slm-banner {{ font-size: {LABEL_PX + 8}px; font-weight: 700; background: #dcfce7; color: #14532d;
  border-radius: 10px; padding: 10px 16px; margin-top: 6px; line-height: 1.35; }}
</style>
"""


def style() -> None:
    """The presenter view's styles (compact page top, big numbers); once per page run."""
    st.html(_STYLE)


def _stat(key: str, value: str) -> str:
    label, metric = WORDS[key]
    return (
        f"<div><div class='slm-label' title='{html.escape(metric)}'>{label}</div>"
        f"<div class='slm-number'>{html.escape(value)}</div></div>"
    )


def draw_lanes(board: Board) -> None:
    """Every lane side by side, each one block: name, status, two big numbers, the answer's last lines."""
    lanes = board.snapshot()
    colors = color_map([lane.model for lane in lanes])
    for column, lane in zip(st.columns(len(lanes)), lanes, strict=True):
        ttft, tps = lane.ttft_s(), lane.decode_tps()
        tail = (lane.text or ("…" if lane.status in ("waiting", "loading") else ""))[-160:]
        column.html(
            f"<div class='slm-lane' style='--lane:{colors[lane.model]}'>"
            f"<h3 title='{html.escape(lane.model)}'>{html.escape(lane.model)}</h3>"
            f"<div class='slm-status'>{html.escape(lane.status)}</div>"
            "<div class='slm-stats'>"
            + _stat("first", f"{ttft:.2f} s" if ttft is not None else "—")
            + _stat("speed", f"{tps:.0f}" if tps is not None else "—")
            + f"</div><div class='slm-answer'>{html.escape(tail)}</div></div>"
        )


def banner(results: dict[str, races.RaceResult]) -> bool:
    """The winners in big plain words; False when there is no winner to name (one or no finisher)."""
    finished = [r for r in results.values() if r.ok and r.metrics is not None]
    wins = races.winners(results) if len(finished) > 1 else []
    if not wins:
        return False
    lines = []
    for win in wins:
        first = win.unit == "s"
        what = "First to answer" if first else "Fastest writer"
        value = f"{win.value:.2f} s" if first else f"{win.value:.0f} words/s"
        lines.append(f"{what}: {html.escape(win.model)} ({value})")
    st.html("<div class='slm-banner' title='" + html.escape(" · ".join(WORDS[k][1] for k in WORDS)) + "'>"
            + "<br>".join(lines) + "</div>")  # fmt: skip
    return True
