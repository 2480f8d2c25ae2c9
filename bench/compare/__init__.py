"""Compare: a run against a run, per model and metric, with an interval, a verdict and a CI gate.

Stage rank 9 (beside ``decide``): imports the stages below it, never decide or report.
"""
