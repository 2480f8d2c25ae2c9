"""Report: every output a person reads, as files and chart specs (Markdown, CSV, JSON, HTML, Altair).

``exports`` writes ``benchmark_report.md``, ``samples.csv`` and ``report.json``; ``html`` one
self-contained page; ``charts``, ``quality_charts``, ``compare_charts`` and ``load_charts`` are the
chart specs the app and the reports share; ``round_labels`` numbers rounds as people read them.

Stage rank 10: may import every stage below; only the CLI (and the app, outside ``bench``) sits above.
"""
