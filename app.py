"""SLM Bench app: ``streamlit run app.py``. A router only; every page lives in ``pages/``."""

from __future__ import annotations

from ui import routing

routing.run(routing.frame())
