"""Store: where runs live, SQLite by default or a team's PostgreSQL, and bundles that carry them.

``db`` is the only place that knows the dialects, ``store`` the schema and its migrations (runs,
samples, annotations, judgments), ``bundle`` the checksummed export/import of whole runs.

Stage rank 4: imports the core, inputs and measure (the ``Sample`` record, the machine fingerprint).
"""
