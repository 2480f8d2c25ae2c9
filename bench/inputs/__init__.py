"""Inputs: the files and flags a run starts from, validated before anything is measured.

Prompt sets (JSON, JSONL, CSV and the workshop's shapes) with the checks a prompt may carry, model
references (``name@url#KEY_ENV``), the run settings, the user's saved files (endpoints, prompt and
rubric sets), and the one validation path that reports ``file: path.to.field: what is wrong``.

Stage rank 2: may import the core (``bench.errors``, ``bench.paths``...) and ``bench.backends``
(URL normalisation); never anything that measures, stores or decides.
"""
