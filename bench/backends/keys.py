"""The one way an API key leaves this machine: which environment variable may be sent to which URL.

An endpoint names the variable that holds its key (the key is never written to disk). Naming any
variable must not be enough to send its value to any URL: a stored run, an imported bundle, a
prompt-set or model file may name ``OPENAI_API_KEY`` next to a stranger's URL. A variable's value is
sent only when the person confirmed that this variable goes to this URL: the CLI's
``--api-key-env`` is such a confirmation for the run it starts (and, with ``--resume``, for the
stored run's endpoints); in the app, ticking the box on the Models page. The app also sends a
variable whose name says it is meant for this (``SLM_BENCH_KEY_*``) to the person's own endpoints;
a resumed run does not get that shortcut (``trust_prefix=False``).

Every reader of a key (run, resume, load, judge, the app) calls :func:`endpoint_key`; the tests in
``tests/test_reliability_keys.py`` check that nothing else reads one.
"""

from __future__ import annotations

import os
from collections.abc import Collection

from bench.errors import BenchError

SAFE_PREFIX = "SLM_BENCH_KEY_"


def key_allowed(
    env_name: str | None,
    base_url: str,
    confirmed: Collection[tuple[str, str]] = (),
    trust_prefix: bool = True,
) -> bool:
    """True when ``env_name`` may be sent to ``base_url`` (no variable named: nothing to send)."""
    if not env_name:
        return True
    return (trust_prefix and env_name.startswith(SAFE_PREFIX)) or (env_name, base_url) in confirmed


def is_set(env_name: str | None) -> bool:
    """Whether the variable holds a value (for status lines; the value itself is not returned)."""
    return bool(env_name and os.environ.get(env_name))


def endpoint_key(
    env_name: str | None,
    base_url: str,
    confirmed: Collection[tuple[str, str]] = (),
    trust_prefix: bool = True,
) -> str | None:
    """The key to send to ``base_url``, or BenchError when the person has not allowed it."""
    value = os.environ.get(env_name) if env_name else None
    if not env_name or not value:
        return None  # nothing to send, nothing to leak (a keyed server answers 401, which says so)
    if not key_allowed(env_name, base_url, confirmed, trust_prefix):
        raise BenchError(
            f"${env_name}",
            f"is not confirmed as the API key of {base_url}, so its value is not sent",
            f"confirm it: `--api-key-env {env_name}` on the command line (with --resume for a stored run),"
            f" or tick 'send ${env_name} to this endpoint' on the Models page"
            + (f" (or name the variable {SAFE_PREFIX}...)" if trust_prefix else ""),
        )
    return value


def flag_key(env_name: str | None, base_url: str | None) -> str | None:
    """The key named by a command-line flag for the URL given with it: the flag is the confirmation."""
    if not base_url:
        return None
    return endpoint_key(env_name, base_url, {(env_name, base_url)} if env_name else ())
