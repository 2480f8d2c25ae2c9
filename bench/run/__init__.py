"""Run: models x prompts x rounds against a backend, every request stored the moment it ends.

``runner`` orders the work (unload, baseline, load, warm-up, measured rounds, resume, cancel),
``request_try`` is one try of one request (every way it can end becomes an outcome), ``race`` streams
one prompt to several models for live demos.

Stage rank 6 (beside ``load``, which it never imports): imports everything below, quality included
(task checks are evaluated after a run).
"""
