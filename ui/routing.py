"""The app's frame (page config, navigation, sidebar) in one place, and a guard for deep links.

Streamlit starts in its legacy ``pages/``-folder mode until ``st.navigation`` has been called once
in the server process (``AppTest`` even resets that mode before every run). In that mode a deep
link (``/results?run=...``, a bookmark, the first request after a restart) runs
``pages/results.py`` directly, without ``app.py``. Every page therefore calls
:func:`require_router` first: outside the router it draws the frame ``app.py`` draws (which also
switches Streamlit to ``st.navigation`` mode for good) and runs itself through it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
_local = threading.local()

#: (section, file, title, icon) of every page, in navigation order.
PAGES = [
    ("", "pages/home.py", "Home", ":material/home:"),
    ("Benchmark", "pages/models.py", "Models", ":material/memory:"),
    ("Benchmark", "pages/prompts.py", "Prompts & rubrics", ":material/edit_note:"),
    ("Benchmark", "pages/run.py", "Run", ":material/play_circle:"),
    ("Benchmark", "pages/results.py", "Results", ":material/monitoring:"),
    ("Benchmark", "pages/race.py", "Race", ":material/sprint:"),
    ("Benchmark", "pages/load.py", "Load", ":material/stacked_line_chart:"),
    ("Quality", "pages/annotate.py", "Annotate", ":material/rate_review:"),
    ("Quality", "pages/judge.py", "Judge", ":material/gavel:"),
    ("Decide", "pages/decide.py", "Decide", ":material/balance:"),
    ("Decide", "pages/compare.py", "Compare", ":material/compare_arrows:"),
    ("Decide", "pages/report.py", "Report", ":material/description:"),
]


def navigation() -> st.navigation:  # type: ignore[valid-type]
    """``st.navigation`` over every page; Home is the default."""
    sections: dict[str, list[st.Page]] = {}
    for section, path, title, icon in PAGES:
        page = st.Page(ROOT / path, title=title, icon=icon, default=path == "pages/home.py")
        sections.setdefault(section, []).append(page)
    return st.navigation(sections)


def frame() -> st.Page:
    """Page config, navigation and sidebar: everything ``app.py`` draws around a page."""
    from ui import stale_reruns
    from ui.job_view import sidebar_status
    from ui.tasks import prepare_newest_results

    stale_reruns.install()  # once per process (``streamlit run app.py`` too): see the module
    st.set_page_config(
        page_title="SLM Bench",
        page_icon=":material/speed:",
        layout="wide",
        initial_sidebar_state="expanded",
    )
    page = navigation()
    stale_reruns.note_page()  # the page drawn, as the browser's timer will name it
    with st.sidebar:
        st.caption("SLM Bench · pick the default small language model, on your own hardware, offline.")
    sidebar_status()
    prepare_newest_results()  # once per process: Results' default run cached before anyone asks
    return page


def run(page: st.Page) -> None:
    """Run the selected page as the router (``app.py``) does."""
    _local.routed = True
    try:
        page.run()
    finally:
        _local.routed = False


def require_router() -> None:
    """First line of every page: a page reached without ``app.py`` runs itself through the router."""
    if getattr(_local, "routed", False):
        return
    # Run this page again the way app.py runs it (so its widgets keep the ids they have when routed,
    # and a click made in one mode is not lost in the other), then end the unrouted run.
    run(frame())
    st.stop()
