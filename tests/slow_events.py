"""Serve the app with every script-runner event handled late, as on a starved 2-core machine.

Usage: ``python -m tests.slow_events SECONDS ui.serve [streamlit args...]``.

A fake for load, and it says so: CI's machine (2 cores, four test workers, models decoding) once
took 400 s for a suite that takes 200 s here, and there the server's event loop handled the
script runner's messages late. The browser then sent fragment reruns after the page's final full
run, and the Race's winner banner vanished (seen twice in CI). Delaying each event by up to
``SECONDS`` (the same seeded sequence every time) reproduces that order of messages on any machine,
so a browser test can show the defect instead of waiting for a busy day.
"""

from __future__ import annotations

import functools
import random
import runpy
import sys
import time
from typing import Any

MARK = "slow_events: each script-runner event handled up to {:.3f} s late"


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


def main() -> None:
    most_s, module, *rest = sys.argv[1:]
    slow_down(float(most_s))
    sys.argv = [module, *rest]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
