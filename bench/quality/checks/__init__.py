"""Task checks: deterministic pass/fail tests of an answer (a third score source beside people and judges).

``bench.inputs.check_spec`` defines the checks a prompt may carry (and ``bench.inputs.assert_forms``
the python_tests forms), ``evaluate`` applies one to an answer, ``sandbox`` runs ``python_tests`` in
a locked-down child (``_sandbox_child``: a collector and one worker per test) and ``grade`` decides
pass or fail outside it, ``consent`` says when code may run at all, ``redact`` keeps secrets out of
details, ``store`` keeps results per sample and check, and ``source`` turns them into pass rates for
the results, Decide and the reports. This package file stays empty so :mod:`bench.inputs.config` can
import the spec without pulling in the store.
"""
