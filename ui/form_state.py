"""Form values that survive a visit to another page.

Streamlit forgets a widget's value when its page is left (the widget is not drawn in that run). A
page that wants its form back seeds each widget with :func:`keep` before drawing it (no ``value=``
or ``default=`` then) and calls :func:`remember` after drawing them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

_STORE = "_kept_widget_values"


def keep(key: str, default: Any, options: Sequence[Any] | None = None) -> str:
    """Put the widget's last value (or ``default``) into session state; return ``key``."""
    if key in st.session_state:
        value = st.session_state[key]
    else:
        value = st.session_state.get(_STORE, {}).get(key, default)
    if options is not None:
        if isinstance(value, list):
            value = [v for v in value if v in options]
        elif value not in options:
            value = default
    st.session_state[key] = value
    return key


def remember(*keys: str) -> None:
    """Save the current values of ``keys`` for the next visit."""
    store = st.session_state.setdefault(_STORE, {})
    for key in keys:
        if key in st.session_state:
            store[key] = st.session_state[key]
