"""Statistics over stored samples: aggregates, intervals, comparability and the server's own figures.

``aggregates`` are the per-model and per-prompt statistics with their n, ``bootstrap`` the seeded
intervals, ``comparability`` which settings differ between runs, ``server_reported`` what the server
said about itself, ``speed_history`` the measured speeds that preselect models and estimate jobs,
``energy_cost_load`` energy, the labelled cost estimate and load capacity per run.

Stage rank 7: imports everything below (store, quality, load); never results, decide or report.
"""
