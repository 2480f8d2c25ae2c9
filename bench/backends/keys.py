"""Which environment variables may be sent to a server as its API key.

An endpoint names the variable that holds its key (the key is never written to disk). Naming any
variable must not be enough to send its value to any URL: the app sends a variable's value only
when its name says it is meant for this (``SLM_BENCH_KEY_*``) or the user confirmed that this
variable goes to this URL. The CLI's ``--api-key-env`` is such a confirmation by itself.
"""

from __future__ import annotations

import os
from collections.abc import Collection

from bench.errors import BenchError

SAFE_PREFIX = "SLM_BENCH_KEY_"


def key_allowed(env_name: str | None, base_url: str, confirmed: Collection[tuple[str, str]] = ()) -> bool:
    """True when ``env_name`` may be sent to ``base_url`` (no variable named: nothing to send)."""
    if not env_name:
        return True
    return env_name.startswith(SAFE_PREFIX) or (env_name, base_url) in confirmed


def endpoint_key(
    env_name: str | None, base_url: str, confirmed: Collection[tuple[str, str]] = ()
) -> str | None:
    """The key to send to ``base_url``, or BenchError when the user has not allowed it."""
    value = os.environ.get(env_name) if env_name else None
    if not env_name or not value:
        return None  # nothing to send, nothing to leak (a keyed server answers 401, which says so)
    if not key_allowed(env_name, base_url, confirmed):
        raise BenchError(
            f"${env_name}",
            f"is not confirmed as the API key of {base_url}, so its value is not sent",
            f"tick 'send ${env_name} to this endpoint' on the Models page, or rename the variable"
            f" {SAFE_PREFIX}...",
        )
    return value
