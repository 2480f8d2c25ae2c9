"""The app's pages in one place, and a guard for deep links that bypass the router.

Streamlit starts in its legacy ``pages/``-folder mode until ``st.navigation`` has been called once
in the server process. So the very first request after a start that is a deep link
(``/results?run=...``, a bookmark) runs ``pages/results.py`` directly, without ``app.py``, its page
config and its navigation. Every page calls :func:`require_router` first: outside the router it
registers the navigation (which switches Streamlit to ``st.navigation`` mode for good) and reruns,
so the same URL is served through ``app.py``.
"""

from __future__ import annotations

import threading
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
_local = threading.local()

#: (section, file, title, icon); a page whose file is missing is left out (written separately).
PAGES = [
    ("", "pages/home.py", "Home", ":material/home:"),
    ("Benchmark", "pages/models.py", "Models", ":material/memory:"),
    ("Benchmark", "pages/prompts.py", "Prompts & rubrics", ":material/edit_note:"),
    ("Benchmark", "pages/run.py", "Run", ":material/play_circle:"),
    ("Benchmark", "pages/results.py", "Results", ":material/monitoring:"),
    ("Quality", "pages/annotate.py", "Annotate", ":material/rate_review:"),
    ("Quality", "pages/judge.py", "Judge", ":material/gavel:"),
    ("Decide", "pages/report.py", "Report", ":material/description:"),
]


def navigation() -> st.navigation:  # type: ignore[valid-type]
    """``st.navigation`` over every page file that exists; Home is the default."""
    sections: dict[str, list[st.Page]] = {}
    for section, path, title, icon in PAGES:
        if (ROOT / path).exists():
            page = st.Page(ROOT / path, title=title, icon=icon, default=path == "pages/home.py")
            sections.setdefault(section, []).append(page)
    return st.navigation(sections)


def run(page: st.Page) -> None:
    """Run the selected page as the router (``app.py``) does."""
    _local.routed = True
    try:
        page.run()
    finally:
        _local.routed = False


def require_router() -> None:
    """First line of every page: a page reached without ``app.py`` hands over to the router."""
    if getattr(_local, "routed", False):
        return
    navigation()
    st.rerun()
