"""Quality: score sources (people, judges, votes, task checks) reach ``bench`` through one interface.

``score_sources`` is the registry of providers by family, ``summary`` types what they say about each
(run, model) (every source's score, its validated label and reason, a judge's parse rate: what
``bench.results`` and every output read), ``scored_items`` gives their items for resampling,
``checks`` evaluates the deterministic task checks (``python_tests`` in a sandbox).
``bench`` never imports ``rubrics``: rubrics registers its providers here.

Stage rank 5: imports the core, inputs, measure and store.
"""
