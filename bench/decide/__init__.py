"""Decide: hard limits, a weighted ranking that knows how sure it is, and the recommendation in words.

``hard_limits`` removes a model only when it breaks a limit with 95% confidence, ``candidates``
carries the samples behind every number, ``ranking`` gives P(best) and rank intervals, ``pareto``
the front, ``recommend`` the table and the recommendation, ``explain`` its words and
``decision_log`` the decisions as they were taken.

Stage rank 9 (beside ``compare``): reads runs only through ``bench.results`` and the stages below.
"""
