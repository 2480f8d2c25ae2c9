"""``python -m bench ARGS`` in this process, for the tests whose subject is what the CLI says and
stores, not the process around it: a new interpreter per call cost 2-3 s under load (issue 18).

``cli`` runs ``bench.cli.main.main`` under click's CliRunner isolation (its own stdin/stdout/stderr,
``env`` set for the call and restored after it) and answers like ``subprocess.run``: the same exit
code, stdout and stderr. The tests whose subject is the process (a kill, a signal, startup imports,
no traceback from a real interpreter) keep a real subprocess (``tests/test_cli.py``,
``tests/test_cli_startup.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def cli(
    *args: str, env: Mapping[str, str | None] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m bench ARGS`` in-process; ``env``: variables set (None: removed) for this call only;
    ``cwd``: the folder the command runs in (restored after it)."""
    from typer.testing import CliRunner

    from bench.cli.main import main

    argv, here = sys.argv, os.getcwd()
    with CliRunner().isolation(env=env) as (out, err, _both):
        sys.argv = ["bench", *args]
        try:
            if cwd is not None:
                os.chdir(cwd)
            main()
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        finally:
            sys.stdout.flush()  # what main wrote with sys.stdout.write, like a process's exit
            sys.stderr.flush()
            sys.argv = argv
            os.chdir(here)
        return subprocess.CompletedProcess(
            ["bench", *args],
            code,
            out.getvalue().decode(errors="replace"),
            err.getvalue().decode(errors="replace"),
        )
