"""Foundry Local's web service on a port no other test process holds.

``free_port()`` returns a port that was free a moment ago; another xdist worker's server (binding port
0) may take it before the service binds it, and the start then fails over the port, not over anything
under test. A start that failed while something else now listens on its port is tried again on another.
"""

from __future__ import annotations

from typing import Any

from bench.acquire import foundry_service
from bench.errors import BenchError


def start_on_a_free_port(models: list[str], tries: int = 3, **options: Any) -> foundry_service.ServiceHandle:
    """``start_service_process`` on a free port; another port when the first was taken meanwhile."""
    for attempt in range(tries):
        port = foundry_service.free_port()
        try:
            return foundry_service.start_service_process(models, port=port, **options)
        except BenchError:
            if attempt == tries - 1 or not foundry_service.port_in_use("127.0.0.1", port):
                raise  # not a port someone else took: a real failure, reported as it is
    raise AssertionError("unreachable")


def port_of(handle: foundry_service.ServiceHandle) -> int:
    """The port a started service listens on (from its base URL, ``http://127.0.0.1:PORT/v1``)."""
    return int(handle.base_url.rsplit(":", 1)[1].split("/", 1)[0])
