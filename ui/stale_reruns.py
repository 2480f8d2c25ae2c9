"""Drop a browser's fragment rerun stamped with a page the session has already left.

Why: a page that polls a job (``ui.job_view.poll``) asks the browser for a fragment run every half
second, and the browser stamps each request with the page it is showing. When the job ends and the
server switches pages (the quick benchmark opening Results), the browser goes on sending those
requests until it has heard of the switch. Streamlit (1.67) queues one that arrives while the new
page is being drawn and runs it after that page: the browser sees a run of another page, clears its
screen, and the fragment, gone with its page, draws nothing. Results, drawn in full, went blank two
seconds later on loaded machines (``tests/test_browser_page_switch.py`` shows it every time). Such a
request can also turn a pending page switch into a rerun of the old page, because Streamlit keeps the
newer request's page when it folds two requests into one.

The guard sits where every rerun request is folded (Streamlit's ``ScriptRequests``), since the
server's own ``st.switch_page`` and ``st.rerun`` go there directly: it remembers the page of the
latest full-run request (corrected to the page navigation resolved, :func:`note_page`) and drops a
timer's fragment request stamped with another page. Only timer requests are dropped, never a click
inside a fragment, and nothing when a page is not named by its hash (a first load names it by URL).
It also drops a timer's request that reaches a script runner which has ended but whose end the
session has not yet handled. Why: Streamlit would start a new runner for it and ignore every message
of the ended runner not yet sent; on a loaded machine that was the tail of a page's last full run
(the Race's winner banner and Save button never came, ``tests/test_browser_race_ending.py``). The
next tick, half a second later, finds the end handled and runs as usual.

It relies on Streamlit's private ``ScriptRequests._request_rerun_locked`` and ``_state``; if the
method is renamed, :func:`install` says so in the log and the app runs without the guard.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

_LOG = logging.getLogger(__name__)
_PAGE = "_slm_full_run_page"  # set on each ScriptRequests: the page of its latest full-run request


def is_stale(full_run_page: str, request: Any) -> bool:
    """Whether ``request`` (Streamlit's ``RerunData``) is a timer's fragment run of a page other than ``full_run_page``."""
    page = request.page_script_hash
    return _is_tick(request) and bool(page) and bool(full_run_page) and page != full_run_page


def _is_tick(request: Any) -> bool:
    """Whether ``request`` is a fragment's timer tick (not a click, not a full run)."""
    return bool(request.is_auto_rerun and (request.fragment_id or request.fragment_id_queue))


def full_run_page(requests: Any) -> str:
    """The page ``requests`` (a ``ScriptRequests``) holds for its latest full run; "" when not known."""
    return getattr(requests, _PAGE, "")


def note_page() -> None:
    """In a full run, once navigation has resolved the page: hold that page as the full run's.

    Why: a request names the page it asks for, and navigation may draw another (a hash that no longer
    names a page opens the default one); the browser's timer then stamps the page drawn, and without
    this every tick of it would be taken for a stale one.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is not None and ctx.script_requests is not None and not ctx.fragment_ids_this_run:
        setattr(ctx.script_requests, _PAGE, ctx.page_script_hash)


def install() -> bool:
    """Wrap Streamlit's rerun folding with the guard, once per process; False when Streamlit lacks the hook."""
    try:
        from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequests, ScriptRequestType

        fold = ScriptRequests._request_rerun_locked
    except (ImportError, AttributeError) as exc:
        _LOG.warning("stale fragment reruns are not dropped: Streamlit changed (%s)", exc)
        return False
    if getattr(fold, "_drops_stale_fragments", False):
        return True

    @functools.wraps(fold)
    def guarded(self: Any, new_data: Any) -> bool:
        if not (new_data.fragment_id or new_data.fragment_id_queue):
            setattr(self, _PAGE, new_data.page_script_hash)
        elif is_stale(full_run_page(self), new_data):
            _LOG.debug("dropped a fragment rerun of page %s", new_data.page_script_hash)
            return True  # handled: the page it would draw on is gone
        elif _is_tick(new_data) and getattr(self, "_state", None) == ScriptRequestType.STOP:
            _LOG.debug("dropped a timer tick: the ended runner's messages are still being sent")
            return True  # handled: a new runner now would make Streamlit drop them
        return fold(self, new_data)

    guarded._drops_stale_fragments = True  # type: ignore[attr-defined]
    ScriptRequests._request_rerun_locked = guarded  # type: ignore[method-assign]
    return True
