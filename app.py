"""SLM Bench app: ``streamlit run app.py``. A router only; every page lives in ``pages/``."""

from __future__ import annotations

import streamlit as st

from ui import routing
from ui.job_view import sidebar_status

st.set_page_config(
    page_title="SLM Bench",
    page_icon=":material/speed:",
    layout="wide",
    initial_sidebar_state="expanded",
)

page = routing.navigation()
with st.sidebar:
    st.caption("SLM Bench · pick the default small language model, on your own hardware, offline.")
sidebar_status()
routing.run(page)
