"""Task checks: deterministic pass/fail tests of an answer (a third score source beside people and judges).

``spec`` defines the checks a prompt may carry, ``evaluate`` applies one to an answer, ``sandbox`` runs
``python_tests`` in a locked-down child process, ``store`` keeps results per sample and check, and
``source`` turns them into pass rates for the results, Decide and the reports. This package file stays
empty so :mod:`bench.inputs.config` can import the spec without pulling in the store.
"""
