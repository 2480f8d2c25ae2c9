"""Serve the app with every script-runner event handled late, as on a starved 2-core machine.

Usage: ``python -m tests.slow_events SECONDS [--page URL_PATH=SECONDS ...] [--ticks-wait] ui.serve [streamlit args...]``.

A fake for load, and it says so: CI's machine (2 cores, four test workers, models decoding) once
took 400 s for a suite that takes 200 s here, and there the server's event loop handled the
script runner's messages late. The browser then sent fragment reruns after the page's final full
run, and the Race's winner banner vanished (seen twice in CI). Delaying each event by up to
``SECONDS`` (the same seeded sequence every time) reproduces that order of messages on any machine,
so a browser test can show the defect instead of waiting for a busy day.

``--page results=2`` also makes every run of that page take 2 s longer, as drawing it did on a loaded
machine: what a browser asks for while the page is being drawn then waits behind that run.

``--ticks-wait`` makes a timer's tick that arrives while a full run is executing wait, on the
server's event loop, until that run's script runner has finished (as a loop busy with the run's own
messages reaches the tick late). Streamlit then starts a new runner for the tick and ignores the
rest of the finished run's messages: what a loaded machine did by chance, every time.
"""

from __future__ import annotations

import functools
import random
import runpy
import sys
import time
from typing import Any

MARK = "slow_events: each script-runner event handled up to {:.3f} s late"
PAGE_MARK = "slow_events: every run of page {!r} takes {:.3f} s longer"


def slow_down(most_s: float, seed: int = 7) -> None:
    """Wrap Streamlit's event handler so each event waits a seeded 0..``most_s`` s before it is handled."""
    from streamlit.runtime.app_session import AppSession

    handle = AppSession._handle_scriptrunner_event_on_event_loop  # fails loudly if Streamlit renames it
    draws = random.Random(seed)

    @functools.wraps(handle)
    def late(self: AppSession, *args: Any, **kwargs: Any) -> None:
        time.sleep(draws.random() * most_s)
        handle(self, *args, **kwargs)

    AppSession._handle_scriptrunner_event_on_event_loop = late  # type: ignore[method-assign]
    print(MARK.format(most_s), flush=True)  # the test reads this in the server's log


def slow_page(url_path: str, seconds: float) -> None:
    """Wrap ``StreamlitPage.run`` so the page at ``url_path`` sleeps ``seconds`` before it is drawn."""
    from streamlit.navigation.page import StreamlitPage

    run = StreamlitPage.run  # fails loudly if Streamlit renames it

    @functools.wraps(run)
    def late(self: StreamlitPage) -> None:
        if self.url_path == url_path:
            time.sleep(seconds)
        run(self)

    StreamlitPage.run = late  # type: ignore[method-assign]
    print(PAGE_MARK.format(url_path, seconds), flush=True)


TICKS_MARK = "slow_events: a timer tick waits for the full run in progress to finish"
TICK_WAIT_S = 10.0  # the longest a tick waits (a full run that never ends leaves the test to fail)


def ticks_wait() -> None:
    """Hold a timer tick that reaches the session while a full run executes until its runner has ended."""
    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.scriptrunner import ScriptRunnerEvent

    on_event = AppSession._on_scriptrunner_event  # called on the script thread, as things happen
    request = AppSession.request_rerun  # fails loudly if Streamlit renames either

    @functools.wraps(on_event)
    def noted(self: AppSession, sender: Any, **kwargs: Any) -> None:
        event = kwargs.get("event")
        if event == ScriptRunnerEvent.SCRIPT_STARTED:
            self._full_run_live = not kwargs.get("fragment_ids_this_run")  # type: ignore[attr-defined]
        elif event == ScriptRunnerEvent.SHUTDOWN:
            self._full_run_live = False  # type: ignore[attr-defined]
        on_event(self, sender, **kwargs)

    @functools.wraps(request)
    def late(self: AppSession, client_state: Any) -> None:
        if client_state is not None and client_state.fragment_id and client_state.is_auto_rerun:
            deadline = time.monotonic() + TICK_WAIT_S
            while getattr(self, "_full_run_live", False) and time.monotonic() < deadline:
                time.sleep(0.01)
        request(self, client_state)

    AppSession._on_scriptrunner_event = noted  # type: ignore[method-assign]
    AppSession.request_rerun = late  # type: ignore[method-assign]
    print(TICKS_MARK, flush=True)


def main() -> None:
    most_s, *rest = sys.argv[1:]
    while rest[0] in ("--page", "--ticks-wait"):
        if rest[0] == "--ticks-wait":
            ticks_wait()
            rest = rest[1:]
            continue
        url_path, seconds = rest[1].split("=")
        slow_page(url_path, float(seconds))
        rest = rest[2:]
    module, *rest = rest
    slow_down(float(most_s))
    sys.argv = [module, *rest]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
