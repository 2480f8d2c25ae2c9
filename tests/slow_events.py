"""Serve the app with every script-runner event handled late, as on a starved 2-core machine.

Usage: ``python -m tests.slow_events SECONDS [--page URL_PATH=SECONDS ...] ui.serve [streamlit args...]``.

A fake for load, and it says so: CI's machine (2 cores, four test workers, models decoding) once
took 400 s for a suite that takes 200 s here, and there the server's event loop handled the
script runner's messages late. The browser then sent fragment reruns after the page's final full
run, and the Race's winner banner vanished (seen twice in CI). Delaying each event by up to
``SECONDS`` (the same seeded sequence every time) reproduces that order of messages on any machine,
so a browser test can show the defect instead of waiting for a busy day.

``--page results=2`` also makes every run of that page take 2 s longer, as drawing it did on a loaded
machine: what a browser asks for while the page is being drawn then waits behind that run.
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


def main() -> None:
    most_s, *rest = sys.argv[1:]
    while rest[0] == "--page":
        url_path, seconds = rest[1].split("=")
        slow_page(url_path, float(seconds))
        rest = rest[2:]
    module, *rest = rest
    slow_down(float(most_s))
    sys.argv = [module, *rest]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
