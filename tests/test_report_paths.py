"""The faster report paths give the same data as the full ones (issue 18: CLI reports on 5,000 samples).

The CSV reads only the samples (``results.load_samples``) instead of every aggregate, quality source
and energy figure (``load_results``): the frame must be the same, so the CSV's bytes are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bench.report import exports
from bench.results import load_results, load_samples
from bench.store.store import Store
from tests.synthetic_runs import latencies, store_run


def test_the_csv_s_samples_are_the_full_results_samples(tmp_path: Path):
    store = Store(tmp_path / "bench.db")
    rng = np.random.default_rng(11)
    first = store_run(store, {"a": latencies(rng, 0.5, 30), "b": latencies(rng, 0.7, 30)})
    second = store_run(store, {"a": latencies(rng, 0.4, 25)})
    for ids in ([first], [first, second], [second, first]):
        pd.testing.assert_frame_equal(load_samples(store, ids), load_results(store, ids).samples)
        text = exports.samples_csv(store, ids)
        assert text.count("\n") == 1 + len(load_samples(store, ids))


def test_the_html_report_s_text_is_the_markdown_report_from_results_loaded_once(tmp_path: Path):
    """render_html loads the results once and hands them to render_markdown: the same text as loading them there."""
    store = Store(tmp_path / "bench.db")
    rng = np.random.default_rng(12)
    run = store_run(store, {"a": latencies(rng, 0.5, 30), "b": latencies(rng, 0.7, 30)})
    results = load_results(store, [run])
    alone = exports.render_markdown(store, [run])
    assert exports.render_markdown(store, [run], results) == alone
    assert exports.render_markdown(store, [run], results) == alone  # the shared results were not changed
