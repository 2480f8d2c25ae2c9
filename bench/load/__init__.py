"""Load: a server under rising concurrency or request rate, its capacity within the SLOs.

``engine`` generates the load (closed loop, Poisson open loop), ``levels`` summarises a level and
decides capacity, ``run`` runs levels in order and stores them like any run.

Stage rank 6 (beside ``run``, which it never imports): imports the core, backends, inputs, measure
and the store.
"""
