"""Rubric sets: aspects, each with a description and an anchor sentence for every score 1..5.

Anchors are what make a 1..5 score mean the same thing to two people and to a judge model
(Prometheus-style rubrics): "4" is not a feeling, it is the sentence written next to 4. So every
level is required and none may be blank; a rubric with a gap is rejected with the exact place,
``file: aspects.2.anchors.3: missing ...``, in the format of :mod:`bench.inputs.config`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from typing_extensions import TypedDict

from bench.errors import BenchError, plain_message
from bench.escape import one_line
from bench.inputs.config import PromptItem, check_unique_ids, read_json
from bench.inputs.validation import check_id

SCORES = (1, 2, 3, 4, 5)

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

# Keys "1".."5" as in the JSON file; a TypedDict (not dict[int, str]) so that a missing or blank
# level is reported at its own path, ``anchors.3``, rather than somewhere on the aspect.
Anchors = TypedDict("Anchors", {str(score): NonEmpty for score in SCORES})  # type: ignore[misc]
Anchors.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]


class Aspect(BaseModel):
    """One thing graded on its own scale, e.g. ``accuracy``; ``anchor(3)`` is what 3 means."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=80)
    name: NonEmpty
    description: NonEmpty
    anchors: Anchors

    @field_validator("id")
    @classmethod
    def _id_chars(cls, value: str) -> str:
        return check_id(value)

    @field_validator("anchors", mode="before")
    @classmethod
    def _string_keys(cls, value: Any) -> Any:
        """Accept ``{1: ...}`` from Python as well as ``{"1": ...}`` from JSON."""
        if isinstance(value, dict):
            return {str(key): text for key, text in value.items()}
        return value

    def anchor(self, score: int) -> str:
        return self.anchors[str(score)]  # type: ignore[literal-required]

    def levels(self) -> list[tuple[int, str]]:
        """``[(1, sentence), ..., (5, sentence)]`` in score order."""
        return [(score, self.anchor(score)) for score in SCORES]


class RubricSet(BaseModel):
    """A named list of aspects; prompts pick the aspects that apply to them by id."""

    model_config = ConfigDict(extra="forbid")

    name: NonEmpty
    description: str = ""
    aspects: list[Aspect] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> RubricSet:
        check_unique_ids("aspect", [aspect.id for aspect in self.aspects])
        return self

    def aspect_ids(self) -> list[str]:
        return [a.id for a in self.aspects]

    def by_id(self) -> dict[str, Aspect]:
        return {a.id: a for a in self.aspects}

    def aspect(self, aspect_id: str) -> Aspect:
        try:
            return self.by_id()[aspect_id]
        except KeyError:
            known = ", ".join(self.aspect_ids())
            raise BenchError(
                f"rubric set {self.name!r}",
                f"has no aspect {aspect_id!r}",
                f"use one of: {known}",
            ) from None


def applicable_aspects(item: PromptItem, rubric_set: RubricSet | None) -> list[str]:
    """The aspects an answer to ``item`` is graded on.

    The prompt's own ``aspects`` when it names any; when it names none, every aspect of the
    rubric set (a prompt without aspects is still worth grading). With a rubric set, aspects it
    does not define are dropped: neither a judge nor a person can apply a scale with no anchors.
    Without one, the prompt's aspects are returned as they are.
    """
    if rubric_set is None:
        return list(item.aspects)
    if not item.aspects:
        return rubric_set.aspect_ids()
    known = set(rubric_set.aspect_ids())
    return [a for a in item.aspects if a in known]


def unknown_aspects(items: Iterable[PromptItem], rubric_set: RubricSet) -> dict[str, list[str]]:
    """``{prompt_id: [aspect ids the rubric set lacks]}``, to warn before grading starts."""
    known = set(rubric_set.aspect_ids())
    missing = {item.id: [a for a in item.aspects if a not in known] for item in items}
    return {pid: aspects for pid, aspects in missing.items() if aspects}


# ---- loading ------------------------------------------------------------------------------------
_FIX = (
    'a rubric set is {"name": ..., "aspects": [{"id", "name", "description",'
    ' "anchors": {"1": ..., "5": ...}}]} with a sentence for every score 1..5'
)


def _describe(err: dict[str, Any]) -> str:
    loc = [str(part) for part in err["loc"]]
    if len(loc) >= 2 and loc[-2] == "anchors":
        if err["type"] == "missing":
            return f"missing: every score 1..5 needs an anchor sentence (score {loc[-1]})"
        if err["type"] == "extra_forbidden":
            return "not a score: anchors are keyed 1, 2, 3, 4, 5"
        if err["type"] == "string_too_short":
            return "blank: write the sentence that describes this score"
    return plain_message(err)


def format_rubric_error(source: str, error: ValidationError) -> str:
    """``file: aspects.2.anchors.3: what is wrong``, one line per problem."""
    lines = []
    for err in error.errors():
        loc = ".".join(str(part) for part in err["loc"]) or "(top level)"
        lines.append(one_line(f"{source}: {loc}: {_describe(dict(err))}"))
    return "\n".join(lines)


def rubric_set_from_data(data: Any, source: str, name: str = "rubric") -> RubricSet:
    """Validate parsed JSON (or a Python dict) as a rubric set, naming every problem."""
    if not isinstance(data, dict):
        raise BenchError(source, "is not a rubric set (expected a JSON object)", _FIX)
    data = {"name": name, **data}
    try:
        return RubricSet.model_validate(data)
    except ValidationError as exc:
        raise BenchError(source, "invalid\n" + format_rubric_error(source, exc), _FIX) from None


def load_rubric_set(path: str | Path) -> RubricSet:
    path = Path(path)
    return rubric_set_from_data(read_json(path, "rubric"), str(path), name=path.stem)


def builtin_rubric_dir() -> Path:
    return Path(__file__).resolve().parent / "data"


def builtin_rubric_sets() -> dict[str, RubricSet]:
    """The rubric sets shipped in ``rubrics/data``, keyed by file stem (``workshop``, ...)."""
    return {p.stem: load_rubric_set(p) for p in sorted(builtin_rubric_dir().glob("*.json"))}


def resolve_rubric_set(ref: str | Path) -> RubricSet:
    """A path to a rubric JSON file, or the name of a built-in set."""
    path = Path(ref)
    if path.exists() or path.suffix == ".json":
        return load_rubric_set(path)
    builtin = builtin_rubric_dir() / f"{ref}.json"
    if builtin.exists():
        return load_rubric_set(builtin)
    known = ", ".join(sorted(p.stem for p in builtin_rubric_dir().glob("*.json")))
    raise BenchError(str(ref), "rubric file not found", f"pass a JSON file or a built-in set: {known}")
