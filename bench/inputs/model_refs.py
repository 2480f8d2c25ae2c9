"""Where each model of a run is served: ``--models tiny,llama@http://127.0.0.1:8080/v1#LLAMA_KEY``.

One run may mix backends, so Foundry Local in-process and an OpenAI-compatible server (llama.cpp,
Ollama, Foundry's web service, another host) are measured under one prompt set, one chart, one
decision. A model reference is ``NAME`` (in-process, or the run's ``--endpoint``) or
``NAME@BASE_URL`` with an optional ``#ENV_VAR`` naming the variable that holds the key (the key is
never written anywhere). A models.json entry says the same with ``endpoint`` and ``api_key_env``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bench.errors import BenchError
from bench.inputs.config import ModelEndpoint, ModelSpec

_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_ref(text: str) -> tuple[str, ModelEndpoint | None]:
    """``name`` -> (name, None); ``name@URL[#ENV]`` -> (name, its endpoint)."""
    ref = text.strip()
    name, at, rest = ref.partition("@")
    if not at:
        return ref, None
    url, _, env = rest.partition("#")
    fix = "write NAME@http://HOST:PORT/v1 (optionally #ENV_VAR for its key), e.g. llama@http://127.0.0.1:8080/v1"
    if not name.strip():
        raise BenchError(f"--models {text}", "no model name before '@'", fix)
    if not re.match(r"^https?://[^/\s]+", url.strip()):
        raise BenchError(f"--models {text}", f"{url!r} is not an http(s) URL", fix)
    if env and not _ENV.match(env):
        raise BenchError(f"--models {text}", f"{env!r} is not an environment variable name", fix)
    return name.strip(), ModelEndpoint(endpoint=url.strip().rstrip("/"), api_key_env=env or None)


def parse_refs(texts: Sequence[str]) -> tuple[list[str], dict[str, ModelEndpoint]]:
    """(model names in order, {name: endpoint} for those served elsewhere)."""
    names, endpoints = [], {}
    for text in texts:
        name, where = parse_ref(text)
        names.append(name)
        if where is not None:
            endpoints[name] = where
    return names, endpoints


def from_specs(specs: Sequence[ModelSpec]) -> tuple[list[str], dict[str, ModelEndpoint]]:
    """The same from a models.json: entries with an ``endpoint`` run there, the rest in-process."""
    endpoints = {
        s.name: ModelEndpoint(endpoint=s.endpoint.rstrip("/"), api_key_env=s.api_key_env)
        for s in specs
        if s.endpoint
    }
    return [s.name for s in specs], endpoints
