"""SLM Bench app: ``streamlit run app.py``. A router only; every page lives in ``pages/``."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui.job_view import sidebar_status

ROOT = Path(__file__).resolve().parent

st.set_page_config(
    page_title="SLM Bench",
    page_icon=":material/speed:",
    layout="wide",
    initial_sidebar_state="expanded",
)


def _page(path: str, title: str, icon: str, default: bool = False) -> st.Page | None:
    """A page when its file exists (Annotate and Judge are written separately)."""
    if not (ROOT / path).exists():
        return None
    return st.Page(path, title=title, icon=icon, default=default)


sections = {
    "": [_page("pages/home.py", "Home", ":material/home:", default=True)],
    "Benchmark": [
        _page("pages/models.py", "Models", ":material/memory:"),
        _page("pages/prompts.py", "Prompts & rubrics", ":material/edit_note:"),
        _page("pages/run.py", "Run", ":material/play_circle:"),
        _page("pages/results.py", "Results", ":material/monitoring:"),
    ],
    "Quality": [
        _page("pages/annotate.py", "Annotate", ":material/rate_review:"),
        _page("pages/judge.py", "Judge", ":material/gavel:"),
    ],
    "Decide": [_page("pages/report.py", "Report", ":material/description:")],
}
navigation = {name: [p for p in pages if p is not None] for name, pages in sections.items()}
page = st.navigation({name: pages for name, pages in navigation.items() if pages})

with st.sidebar:
    st.caption("SLM Bench · pick the default small language model, on your own hardware, offline.")
sidebar_status()
page.run()
