"""Score sources: how quality reaches ``bench`` without ``bench`` importing ``rubrics``.

A *score source* scores the answers of a run: people's 1–5 sliders, a judge model, deterministic
task checks, pairwise votes. Each family (``people``, ``judge``, ``checks``, ``votes``...) is a
:class:`QualityProvider` registered here; the results layer, Decide and the reports only ask this
registry. Sources are never mixed: every number says which source produced it.

Quality belongs to (run, model, prompt): every frame here is keyed by ``run_id`` and ``model``,
so a decision across two runs of one model never borrows one run's scores for the other.

Providers are found by module name (:data:`PROVIDER_MODULES`, imported lazily on first use, like
entry points), so ``bench`` has no import edge to ``rubrics``; a module that cannot be imported is
simply not a source. A new source is one module with a ``register()`` call plus one entry there.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import pandas as pd

from bench.errors import BenchError
from bench.store.store import Store

#: modules that call :func:`register` when imported (the built-in score sources)
PROVIDER_MODULES = ("rubrics.sources", "bench.quality.checks.source")
#: the order sources are listed in (people, the reference, first); other families follow in registration order
FAMILY_ORDER = ("people", "judge", "votes", "checks")

#: columns of :func:`quality_summary` (one row per run and model) and :func:`quality_table` (+ aspect)
SUMMARY_COLUMNS = ["run_id", "model", "mean", "low", "high", "n", "missing", "scored_by"]
TABLE_COLUMNS = ["run_id", "model", "aspect", "mean", "low", "high", "n", "missing", "scored_by"]
#: columns of :func:`replies` (one row per run and model): replies given and those with a readable score
REPLY_COLUMNS = ["run_id", "model", "parsed", "total"]


@dataclass(frozen=True)
class SourceInfo:
    """One score source present in some runs.

    ``name`` is what ``scored_by`` holds (``people``, ``judge:<model>``, ``checks``...); ``scale``
    says how to read its numbers; ``validated`` is False for a source nobody checked against people
    (Decide and the reports label it and use it only when asked), and ``trust`` says why in words
    (the provider decides: ``bench`` cannot compute a judge's agreement with people itself).
    """

    name: str
    scale: str = "mean score 1–5"
    validated: bool = True
    note: str = ""
    trust: str = ""


@runtime_checkable
class QualityProvider(Protocol):
    """A family of score sources (people, judges, checks...).

    Two methods are optional (looked up with ``getattr``): ``items(store, run_ids, source)`` for the
    resampling analyses (:mod:`bench.quality.scored_items`) and ``replies(store, run_ids, source)``
    (:data:`REPLY_COLUMNS`) for a source that can fail to answer, a judge: its parse rate.
    """

    family: str

    def sources(self, store: Store, run_ids: Sequence[str]) -> list[SourceInfo]:
        """The sources of this family with at least one score in ``run_ids``."""
        ...

    def summary(self, store: Store, run_ids: Sequence[str], source: str) -> pd.DataFrame:
        """One row per (run_id, model) over all items and aspects: :data:`SUMMARY_COLUMNS`."""
        ...

    def table(self, store: Store, run_ids: Sequence[str], source: str) -> pd.DataFrame:
        """One row per (run_id, model, aspect): :data:`TABLE_COLUMNS`."""
        ...


_providers: dict[str, QualityProvider] = {}
_loaded = False


def register(provider: QualityProvider) -> None:
    """Add (or replace) the provider of one family."""
    _providers[provider.family] = provider


def providers() -> list[QualityProvider]:
    """Every registered provider, the built-in ones imported on first use."""
    global _loaded
    if not _loaded:
        _loaded = True
        for module in PROVIDER_MODULES:
            try:
                importlib.import_module(module)
            except ModuleNotFoundError as exc:
                if exc.name is None or not module.startswith(exc.name):
                    raise  # a real bug inside the provider, not an absent optional module
    # by family, not by import order: a test or a page importing one provider early changes nothing
    rank = {family: i for i, family in enumerate(FAMILY_ORDER)}
    return sorted(_providers.values(), key=lambda p: rank.get(p.family, len(rank)))


def score_sources(store: Store, run_ids: Sequence[str]) -> list[SourceInfo]:
    """Every source with scores in these runs, in provider order (people first)."""
    return [info for p in providers() for info in p.sources(store, list(run_ids))]


def _provider_of(source: str) -> QualityProvider:
    family = source.split(":", 1)[0]
    for provider in providers():
        if provider.family == family:
            return provider
    known = ", ".join(p.family for p in providers()) or "none"
    raise BenchError(f"scored_by {source!r}", "is not a score source", f"use one of: {known}")


def quality_summary(store: Store, run_ids: Sequence[str], source: str) -> pd.DataFrame:
    """Per (run, model): mean, 95% interval, n items, missing, for one source."""
    frame = _provider_of(source).summary(store, list(run_ids), source)
    return frame.reindex(columns=SUMMARY_COLUMNS)


def quality_table(store: Store, run_ids: Sequence[str], source: str) -> pd.DataFrame:
    """Per (run, model, aspect) for one source."""
    frame = _provider_of(source).table(store, list(run_ids), source)
    return frame.reindex(columns=TABLE_COLUMNS)


def replies(store: Store, run_ids: Sequence[str], source: str) -> pd.DataFrame | None:
    """Per (run, model): replies and readable ones (a judge's parse rate); None when the source has none."""
    fetch = getattr(_provider_of(source), "replies", None)
    if fetch is None:
        return None
    return fetch(store, list(run_ids), source).reindex(columns=REPLY_COLUMNS)
