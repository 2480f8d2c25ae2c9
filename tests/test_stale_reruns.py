"""ui.stale_reruns on Streamlit's own ``ScriptRequests``: a timer's fragment rerun from a page the
session has left is dropped; every other request is folded as Streamlit folds it.

The browser's side of the defect (Results going blank after the quick benchmark) is shown in
``tests/test_browser_page_switch.py``; here each order of requests is set up by hand.
"""

from __future__ import annotations

import pytest
from streamlit.runtime.scriptrunner_utils.script_requests import (
    RerunData,
    ScriptRequests,
    ScriptRequestType,
)

from ui import stale_reruns

HOME, RESULTS = "home-page-hash", "results-page-hash"
TIMER = "job-panel-fragment"


@pytest.fixture(autouse=True)
def guarded() -> None:
    assert stale_reruns.install()


def _timer(page: str) -> RerunData:
    """What the browser's fragment timer sends: the fragment and the page the browser shows."""
    return RerunData(page_script_hash=page, fragment_id=TIMER, is_auto_rerun=True)


def _next(requests: ScriptRequests) -> RerunData | None:
    """The run the script runner starts next (None: it stops)."""
    request = requests.on_scriptrunner_ready()
    return request.rerun_data if request.type == ScriptRequestType.RERUN else None


def test_a_timer_request_does_not_undo_a_pending_page_switch() -> None:
    """Streamlit keeps the newer request's page when it folds two: a late timer tick of Home turned the
    switch to Results into a full run of Home."""
    requests = ScriptRequests()
    assert requests.request_rerun(RerunData(page_script_hash=RESULTS))  # st.switch_page
    assert requests.request_rerun(_timer(HOME))
    run = _next(requests)
    assert run is not None
    assert (run.page_script_hash, run.fragment_id_queue) == (RESULTS, [])


def test_a_timer_request_from_the_left_page_is_dropped_while_the_new_page_draws() -> None:
    """Results being drawn (its request taken), a tick of Home's timer arrives: nothing runs after."""
    requests = ScriptRequests()
    requests.request_rerun(RerunData(page_script_hash=RESULTS))
    assert _next(requests) is not None  # Results starts
    assert requests.request_rerun(_timer(HOME))  # handled: no new runner is wanted for it
    assert _next(requests) is None


def test_the_shown_pages_own_timer_still_runs() -> None:
    requests = ScriptRequests()
    requests.request_rerun(RerunData(page_script_hash=HOME))
    assert _next(requests) is not None
    requests.request_rerun(_timer(HOME))
    run = _next(requests)
    assert run is not None
    assert (run.page_script_hash, run.fragment_id_queue) == (HOME, [TIMER])


def test_a_page_named_by_url_drops_nothing() -> None:
    """A first load names its page by URL (no hash): which page is shown is not known, so nothing is dropped."""
    requests = ScriptRequests()
    requests.request_rerun(RerunData(page_script_hash="", page_name="results"))
    assert _next(requests) is not None
    requests.request_rerun(_timer(HOME))
    run = _next(requests)
    assert run is not None and run.fragment_id_queue == [TIMER]


def test_a_click_inside_a_fragment_is_never_dropped() -> None:
    """Only a timer's ticks are dropped: a click names the page its person sees, and is theirs to make."""
    requests = ScriptRequests()
    requests.request_rerun(RerunData(page_script_hash=RESULTS))
    assert _next(requests) is not None
    requests.request_rerun(RerunData(page_script_hash=HOME, fragment_id=TIMER))
    run = _next(requests)
    assert run is not None and run.fragment_id_queue == [TIMER]


def test_a_full_run_holds_the_page_navigation_drew() -> None:
    """A full run asked for one page and drew another: the page drawn is the one its timer will name."""
    requests = ScriptRequests()
    requests.request_rerun(RerunData(page_script_hash="a-page-that-is-gone"))
    assert _next(requests) is not None
    setattr(requests, stale_reruns._PAGE, HOME)  # what note_page does once navigation drew Home
    requests.request_rerun(_timer(HOME))
    run = _next(requests)
    assert run is not None and run.fragment_id_queue == [TIMER]


def test_note_page_records_the_page_a_real_run_draws() -> None:
    """note_page in a real script run (Streamlit's AppTest) holds the run's own page on its requests."""
    from streamlit.testing.v1 import AppTest

    def script() -> None:
        import streamlit as st
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        from ui import stale_reruns

        ctx = get_script_run_ctx()
        stale_reruns.note_page()
        held = stale_reruns.full_run_page(ctx.script_requests)
        st.text(f"{held == ctx.page_script_hash}|{bool(held)}")

    at = AppTest.from_function(script).run()
    assert not at.exception
    assert at.text[0].value == "True|True"


def test_a_tick_is_dropped_while_an_ended_runners_messages_are_still_being_sent() -> None:
    """A runner whose run has ended (its requests stopped) but whose end the session has not handled
    yet: a tick now would get a new runner and Streamlit would ignore the ended runner's unsent
    messages. The tick is dropped; a click still gets its new runner (Streamlit's False)."""
    requests = ScriptRequests()
    requests.request_rerun(RerunData(page_script_hash=HOME))
    assert _next(requests) is not None
    assert _next(requests) is None  # the run ended with nothing pending: the runner stops
    assert requests.request_rerun(_timer(HOME))  # handled: dropped
    assert not requests.request_rerun(RerunData(page_script_hash=HOME, fragment_id=TIMER))
    assert not requests.request_rerun(RerunData(page_script_hash=HOME))


def test_install_wraps_once() -> None:
    wrapped = ScriptRequests._request_rerun_locked
    assert stale_reruns.install()
    assert ScriptRequests._request_rerun_locked is wrapped
    assert not getattr(wrapped.__wrapped__, "_drops_stale_fragments", False)  # not a guard around a guard
