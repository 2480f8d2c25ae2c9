"""The quality of each (run, model), every score source in one typed value: what every output reads.

Speed reaches a page as one typed row per (run, model) (:mod:`bench.results`); quality arrives the
same way here. :func:`load_quality` asks the registered providers (:mod:`bench.quality.score_sources`)
once and returns a :class:`RunsQuality`: the sources present, their per-aspect tables, and one
:class:`QualitySummary` per (run, model) holding a :class:`SourceScore` per source, each with

- its mean, 95% interval, n and missing (a checks source's mean is its pass rate, a votes source's
  a Bradley–Terry rating: ``scale`` says which);
- its per-aspect scores (:class:`AspectScore`);
- whether it is **validated** and why (``trust``): a judge only when it agrees with people, as the
  provider decided; people and task checks always;
- for a judge, the replies it gave and how many held a readable score (its **parse rate**).

Sources are never mixed: a summary maps each source name to its own score. Pages, Decide and the
reports read these values; none of them assembles quality from the store itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from bench.quality import score_sources
from bench.quality.score_sources import SourceInfo
from bench.store.store import Store
from bench.units import is_missing

PEOPLE, JUDGE, VOTES, CHECKS = "people", "judge", "votes", "checks"


def family_of(source: str) -> str:
    """``judge:m`` -> ``judge``; ``votes:judge:m`` -> ``votes``; ``people`` -> ``people``."""
    return source.split(":", 1)[0]


@dataclass(frozen=True)
class AspectScore:
    """One source's score of one (run, model) on one aspect (a checks source: one check type)."""

    aspect: str
    mean: float
    low: float
    high: float
    n: int
    missing: int


@dataclass(frozen=True)
class Replies:
    """A judge's replies and how many held a readable score: why a judge mean may stand on few items."""

    parsed: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.parsed / self.total if self.total else None

    def __add__(self, other: Replies) -> Replies:
        return Replies(self.parsed + other.parsed, self.total + other.total)


@dataclass(frozen=True)
class SourceScore:
    """One source's quality of one (run, model), over all its items and aspects."""

    source: str
    mean: float
    low: float
    high: float
    n: int
    missing: int
    scale: str = "mean score 1–5"
    validated: bool = True
    #: why the source is (not) validated, in words ("" for people and task checks: nothing to check)
    trust: str = ""
    note: str = ""
    aspects: tuple[AspectScore, ...] = ()
    #: a judge's replies (None for sources that do not reply: people, votes, checks)
    replies: Replies | None = None

    @property
    def family(self) -> str:
        return family_of(self.source)

    @property
    def label(self) -> str:
        return "validated" if self.validated else "not validated"

    @property
    def parse_rate(self) -> float | None:
        return self.replies.rate if self.replies else None

    def aspect(self, name: str) -> AspectScore | None:
        return next((a for a in self.aspects if a.aspect == name), None)


@dataclass(frozen=True, eq=False)  # a Mapping compares as one: an empty summary == {}
class QualitySummary(Mapping[str, SourceScore]):
    """Every source's quality of one (run, model): a mapping source name -> :class:`SourceScore`.

    A mapping, so ``summary.get("people")`` and ``"judge:m" in summary`` read as before; the
    properties name the families.
    """

    run_id: str
    model: str
    scores: Mapping[str, SourceScore] = field(default_factory=dict)

    def __getitem__(self, source: str) -> SourceScore:
        return self.scores[source]

    def __iter__(self) -> Iterator[str]:
        return iter(self.scores)

    def __len__(self) -> int:
        return len(self.scores)

    def of_family(self, family: str) -> list[SourceScore]:
        return [s for s in self.scores.values() if s.family == family]

    @property
    def people(self) -> SourceScore | None:
        return self.scores.get(PEOPLE)

    @property
    def checks(self) -> SourceScore | None:
        return self.scores.get(CHECKS)

    @property
    def judges(self) -> list[SourceScore]:
        return self.of_family(JUDGE)

    @property
    def votes(self) -> list[SourceScore]:
        return self.of_family(VOTES)


@dataclass(frozen=True)
class RunsQuality:
    """The quality of a set of runs, loaded once: sources, per-aspect tables, per-(run, model) summaries."""

    run_ids: tuple[str, ...] = ()
    #: score sources with scores in these runs, people first
    sources: list[SourceInfo] = field(default_factory=list)
    #: source -> per (run_id, model, aspect) table (:data:`bench.quality.score_sources.TABLE_COLUMNS`)
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    #: source -> per (run_id, model) table (:data:`bench.quality.score_sources.SUMMARY_COLUMNS`)
    overall: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    summaries: Mapping[tuple[str, str], QualitySummary] = field(default_factory=dict)

    def of(self, run_id: str, model: str) -> QualitySummary:
        """The summary of one (run, model); an empty one when no source scored it."""
        return self.summaries.get((run_id, model)) or QualitySummary(run_id, model)

    def info(self, source: str) -> SourceInfo | None:
        return next((s for s in self.sources if s.name == source), None)

    @property
    def source_names(self) -> list[str]:
        return [s.name for s in self.sources]

    def replies(self, source: str, run_ids: Sequence[str] | None = None) -> Replies | None:
        """A judge's replies over every model of ``run_ids`` (all runs by default); None for other sources."""
        wanted = set(run_ids) if run_ids is not None else set(self.run_ids)
        found = [
            score.replies
            for (run_id, _), summary in self.summaries.items()
            if run_id in wanted and (score := summary.get(source)) is not None and score.replies is not None
        ]
        return sum(found[1:], found[0]) if found else None


# ---- loading -------------------------------------------------------------------------------------
def load_quality(store: Store, run_ids: Sequence[str]) -> RunsQuality:
    """Ask every provider once for ``run_ids`` and type what they return (see the module docstring)."""
    ids = tuple(dict.fromkeys(run_ids))
    sources = score_sources.score_sources(store, ids)
    overall = {s.name: score_sources.quality_summary(store, ids, s.name) for s in sources}
    tables = {s.name: score_sources.quality_table(store, ids, s.name) for s in sources}
    replies = {s.name: score_sources.replies(store, ids, s.name) for s in sources}
    per_model: dict[tuple[str, str], dict[str, SourceScore]] = {}
    for info in sources:
        aspects = _aspects(tables[info.name])
        answered = _replies(replies[info.name])
        for r in overall[info.name].to_dict("records"):
            key = (str(r["run_id"]), str(r["model"]))
            per_model.setdefault(key, {})[info.name] = SourceScore(
                source=info.name,
                mean=_float(r["mean"]),
                low=_float(r["low"]),
                high=_float(r["high"]),
                n=int(r["n"]),
                missing=int(r["missing"]),
                scale=info.scale,
                validated=info.validated,
                trust=info.trust,
                note=info.note,
                aspects=aspects.get(key, ()),
                replies=answered.get(key),
            )
    summaries = {key: QualitySummary(*key, scores) for key, scores in per_model.items()}
    return RunsQuality(ids, sources, tables, overall, summaries)


def _float(value: object) -> float:
    return float("nan") if is_missing(value) else float(value)  # type: ignore[arg-type]


def _aspects(table: pd.DataFrame) -> dict[tuple[str, str], tuple[AspectScore, ...]]:
    out: dict[tuple[str, str], list[AspectScore]] = {}
    for r in table.to_dict("records"):
        score = AspectScore(
            str(r["aspect"]),
            _float(r["mean"]),
            _float(r["low"]),
            _float(r["high"]),
            int(r["n"]),
            int(r["missing"]),
        )
        out.setdefault((str(r["run_id"]), str(r["model"])), []).append(score)
    return {key: tuple(scores) for key, scores in out.items()}


def _replies(frame: pd.DataFrame | None) -> dict[tuple[str, str], Replies]:
    if frame is None:
        return {}
    return {
        (str(r["run_id"]), str(r["model"])): Replies(int(r["parsed"]), int(r["total"]))
        for r in frame.to_dict("records")
    }
