"""``make app``'s server: Streamlit's own ``streamlit run app.py``, with the first page run prepared for.

Why: Streamlit imports a page's modules and fills its caches only when a tab first runs it, so the
first tab after a start (a bookmark of Results, a link in a chat) waited for both: at 10,000 requests
Results drew its charts 3.4 s after navigation in that tab against 2.2 s in any later one
(``benchmarks/results_scale.md``). Here, while the server starts, a thread imports the modules the
pages use and, once Streamlit's runtime exists, starts the same preparation of the run Results opens
on that the first page run would start (:func:`ui.tasks.prepare_newest_results`: one per process).
When nothing is kept for that run, a process of its own computes and keeps it on the other core
before Streamlit has even started (:mod:`bench.report.results_keeper`).

``python -m streamlit run app.py`` still works and draws the same pages; it only skips this.

    python -m ui.serve --server.port 8501      # any `streamlit run` option
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any

APP = Path(__file__).resolve().parent.parent / "app.py"
#: the frame every page draws; pandas, Altair, the results layer and the chart code Results uses
PRELOAD = ("ui.routing", "ui.results_cache")
#: how long the preparation waits for Streamlit's runtime before it gives up (the page then does it)
RUNTIME_WAIT_S = 120.0
log = logging.getLogger(__name__)


def _prepare(keeper: Any = None) -> None:
    """Import what the pages import, then start Results' preparation once the runtime is up (and reap
    the ``keeper`` process, if one was started, once it ends)."""
    try:
        from streamlit import runtime

        for name in PRELOAD:
            importlib.import_module(name)

        deadline = time.monotonic() + RUNTIME_WAIT_S
        while not runtime.exists():
            if time.monotonic() > deadline:
                return
            time.sleep(0.05)
        from ui.tasks import prepare_newest_results

        prepare_newest_results()  # the process-wide thread the first page run would otherwise start
        _first_element_check()
        if keeper is not None:
            keeper.wait(timeout=RUNTIME_WAIT_S)
    except Exception:  # a preparation that fails only leaves the first page run to do the work
        log.debug("start-up preparation skipped", exc_info=True)


def _first_element_check() -> None:
    """Pay Streamlit's once-per-process check of the first element here, not in the first tab.

    Why: the first element a process draws makes Streamlit ask whether it runs in a REPL, by walking
    the stack with its source (``inspect.stack``, which resolves the file of every loaded module):
    0.13 s of the first page run after a start (a py-spy profile of a bookmark of Results). The check
    runs once per process, so it is run here, on the start-up thread, once the runtime exists (then it
    finds nothing to warn about). A Streamlit without it only leaves the first tab to pay it.
    """
    from streamlit import delta_generator

    check = getattr(delta_generator, "_maybe_print_use_warning", None)  # Streamlit's own, private
    if check is not None:
        check()


def _start_keeper() -> Any:
    """A process that computes Results' first view of the run the app opens on, on the other core, when
    nothing is kept for it (:mod:`bench.report.results_keeper`); None when there is nothing to do."""
    try:
        from bench.report import results_keeper

        return results_keeper.start()
    except Exception:  # only leaves the first page run (or the preparation) to compute it
        log.debug("no keeper started", exc_info=True)
        return None


def main(argv: list[str] | None = None) -> None:
    """``streamlit run app.py ARGV...`` in this process, the preparation on a daemon thread beside it."""
    console = logging.StreamHandler()  # the app's own lines (the preparation) beside Streamlit's
    console.setFormatter(logging.Formatter("  %(message)s"))
    logging.getLogger("ui").addHandler(console)
    logging.getLogger("ui").setLevel(logging.INFO)
    keeper = _start_keeper()
    from ui import stale_reruns

    stale_reruns.install()  # before the first session: a page switch is never undone by a late request
    threading.Thread(target=_prepare, args=(keeper,), name="slm-bench-start-prepare", daemon=True).start()
    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    from streamlit.web import cli

    cli.main()


if __name__ == "__main__":
    main()
