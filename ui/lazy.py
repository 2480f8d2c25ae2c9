"""Sections filled only while a person has them open.

Why: Streamlit draws everything inside a closed expander, hidden. On Results at 10,000 requests the
answers (80 elements) and the machine/energy tables (two data grids) cost every new tab about 0.15 s
for sections most visits never open (``benchmarks/results_scale.md``). An expander whose state is
tracked (``on_change="rerun"``) reruns the page when opened, and its body is then written.
"""

from __future__ import annotations

from typing import Any

import streamlit as st


def opened(label: str, key: str, **kwargs: Any) -> Any | None:
    """The expander ``label`` (its open state kept under ``key``): the container while open, else None.

    ``kwargs`` go to ``st.expander`` (``icon``, ``expanded``). The caller writes its body only when
    a container comes back: ``if (box := opened(...)) is not None: with box: ...``.
    """
    box = st.expander(label, key=key, on_change="rerun", **kwargs)
    return box if box.open else None
