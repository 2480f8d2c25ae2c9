"""Quality item by item, for the analyses that resample items (compare, ranking, limits).

:mod:`bench.quality.score_sources` gives means and intervals; resampling needs the items themselves
(one score per run, model, prompt and aspect). A provider offers them through an optional
``items(store, run_ids, source)`` method returning :data:`ITEM_COLUMNS`; a provider without it
still appears in the reports, only not in the resampled analyses (``items`` returns None).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from bench.quality import score_sources
from bench.store.store import Store

ITEM_COLUMNS = ["run_id", "model", "prompt_id", "aspect", "score"]


def sources(store: Store, run_ids: Sequence[str]) -> list[str]:
    """Names of the score sources with scores in these runs (people first)."""
    return [info.name for info in score_sources.score_sources(store, list(run_ids))]


def items(store: Store, run_ids: Sequence[str], source: str) -> pd.DataFrame | None:
    """One row per scored item of ``source``; None when its provider cannot list items."""
    provider = score_sources._provider_of(source)
    fetch = getattr(provider, "items", None)
    if fetch is None:
        return None
    frame = fetch(store, list(run_ids), source)
    return frame.reindex(columns=ITEM_COLUMNS).dropna(subset=["score"])
