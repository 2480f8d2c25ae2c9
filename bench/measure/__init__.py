"""Measure: what one request (and the machine under it) measured, as numbers with their sources.

``request_metrics`` turns a timed event stream into per-request metrics (the metric definitions in
code), ``samples`` is the typed record of one request, ``sysmon`` reads memory and hardware,
``energy`` the machine's energy counters, ``machine`` and ``provenance`` what a run records about
where it ran.

Stage rank 3: imports the core, ``bench.backends`` (event types) and ``bench.inputs``; never the store.
"""
