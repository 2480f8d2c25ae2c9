"""The CLI's last step after it records runs: keep their Results view for the app (``results_memo``)."""

from __future__ import annotations

from rich.console import Console

from bench.store.store import Store


def keep_for_the_app(store: Store, run_ids: list[str], console: Console) -> None:
    """Keep each large run's Results first view on disk, so the app opens it at once after a restart.

    Why: a run recorded here was never seen by the app, and at 10,000 requests the first tab on it after
    the app's start waited 0.5 s of CPU more for its aggregates and charts (``benchmarks/results_scale.md``).
    The database must be quiet for two seconds first (:func:`bench.report.results_memo.wait_quiet`), so this
    waits that long, only for runs of at least ``KEEP_FROM_SAMPLES`` requests; a failure only means the
    app computes it. Called when ``bench run`` or ``bench load`` has recorded its runs.
    """
    from bench.report import results_memo

    big = results_memo.worth_keeping(store, run_ids)
    if not big:
        return
    with console.status("Keeping the run's Results view for the app (after 2 s without a write)…"):
        for run_id in big:
            try:
                results_memo.keep_first_view(store, [run_id])
            except Exception as exc:  # the run is stored; only the app's head start is lost
                console.print(f"[dim]Results of {run_id} not kept for the app: {exc}[/dim]", soft_wrap=True)
