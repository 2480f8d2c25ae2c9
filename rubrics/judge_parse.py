"""Read a judge model's reply without ever inventing a score.

Small judge models answer in every shape: a fenced JSON block, JSON inside prose, ``Score: 4/5``,
Prometheus' ``[RESULT] 4``, MT-Bench's ``Rating: [[4]]``. Parsers that grab "the first digit" fail
in known ways: Prometheus bug #58 matched the rubric text the model echoed and scored everything 5;
openai/evals turns an unparseable reply into the minimum score. Here a reply yields a score only
when it states one unambiguously on the 1..5 scale; anything else is *missing*, with the reason.

How: patterns are tried in tiers, most explicit first (JSON with a ``score`` key; ``[RESULT] n``,
``[[n]]``; a labelled ``Score: n``; a bare ``n/5``; a reply that is only a digit). The first tier
that finds anything decides, and every score stated in it *or in a later explicit tier* (JSON,
markers, labels; the text already read is blanked first) must agree: a reply that says
``{"score": 4}`` and then ``Score: 2`` is missing, never its first score. Bare fractions and a lone
digit are fallbacks only (prose counts like "4/5 items" are common). Before matching, text the
model echoed from the prompt (when the prompt is given), scale phrases such as "between 1 and 5"
and "for example: ..." snippets are removed. ``8/10`` is a 10-point score, not a 1..5 one; a date
(``2/5/2024``) and a negative number (``-1``) are never scores: missing, with the reason.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator

Verdict = Literal["A", "B", "tie"]

_NUM = r"(\d+(?:\.\d+)?)"
_OUT_OF = r"(?:\s*(?:/|out\s+of)\s*(\d+))?"
_SEP = r"[*_\s]*(?::|=|\bis\b|\bof\b|\bwas\b|\bwould\s+be\b|-)[*_\s]*[\"'(]?\s*"

_SCALE_PHRASE = re.compile(
    r"(?:on\s+a\s+scale\s+(?:of|from)\s+)?(?:between\s+|from\s+)?\(?\b1\s*(?:-|–|to|and|\.\.|through)"
    r"\s*5\b\)?"
    r"|\b1\s*,\s*2\s*,\s*3\s*,\s*4\s*,?\s*(?:or\s+|and\s+)?5\b",  # "1, 2, 3, 4 or 5"
    re.IGNORECASE,
)
# A number that starts a list ("score is 1, 2, 3") is not a score.
_NOT_A_LIST = r"(?!\s*(?:,|\bor\b|\band\b|\bto\b|-|–)\s*\d)"
_EXAMPLE = re.compile(
    r"(?:for\s+example|e\.g\.|such\s+as)[:,]?\s*(?:\"[^\"\n]*\"|`[^`\n]*`|[^\n.]*)", re.IGNORECASE
)

# Tier 2: explicit markers a judge prompt asks for.
_MARKERS = [
    re.compile(r"\[RESULT\]\s*[:\-]?\s*\(?\s*" + _NUM + _OUT_OF + _NOT_A_LIST, re.IGNORECASE),
    re.compile(r"\[\[\s*" + _NUM + _OUT_OF + r"\s*\]\]"),
]
# A "score" key in JSON that did not parse (cut off at max_tokens, or malformed); only a key of the
# outermost object counts: small models nest "Score" keys inside example lists.
_SCORE_KEY = re.compile(r"[\"']score[\"']\s*:\s*[\"']?" + _NUM + _OUT_OF + _NOT_A_LIST, re.IGNORECASE)
# Tier 3: a labelled score in prose.
_LABELLED = [
    re.compile(
        r"\b(?:score|rating|grade|overall|verdict)\b" + _SEP + _NUM + _OUT_OF + _NOT_A_LIST, re.IGNORECASE
    ),
    re.compile(r"\b(?:score|rating|grade)\s+" + _NUM + r"\s*(?:/|out\s+of)\s*(\d+)", re.IGNORECASE),
    re.compile(r"\b(?:score|rating|grade)\s+" + _NUM + r"()\s*\.?\s*$", re.IGNORECASE | re.MULTILINE),
    re.compile(
        r"\b(?:rate|give)\s+(?:it|this(?:\s+answer|\s+response)?|the\s+(?:answer|response))\s+"
        r"(?:an?\s+|as\s+)?" + _NUM + _OUT_OF + r"\b" + _NOT_A_LIST,
        re.IGNORECASE,
    ),
]
# Tier 4: a bare fraction.
_BARE = [
    re.compile(r"(?<![\d./])" + _NUM + r"\s*(?:/|out\s+of)\s*(5|10|100)\b(?!\s*[A-Za-z])", re.IGNORECASE)
]
# Tier 5: the whole reply is one number.
_ONLY = [re.compile(r"^[\W_]*" + _NUM + r"()[\W_]*$")]
# A calendar date (2/5/2024, 2024-05-02, 5.2.2024): its numbers are never scores.
_DATE = re.compile(r"(?<![\d/.\-])\d{1,4}([/.\-])\d{1,2}\1\d{1,4}(?![\d/\-]|\.\d)")
_MINUS = "-\u2212"


class JudgeReply(BaseModel):
    """The JSON a judge is asked for: ``{"rationale": "...", "score": 1..5}``."""

    model_config = ConfigDict(extra="ignore")

    rationale: str = Field(
        default="",
        validation_alias=AliasChoices("rationale", "reason", "reasoning", "explanation", "feedback"),
    )
    score: int = Field(ge=1, le=5, validation_alias=AliasChoices("score", "Score", "rating"))

    @field_validator("score", mode="before")
    @classmethod
    def _plain_number(cls, value: Any) -> Any:
        """Accept ``4``, ``"4"``, ``"4/5"``; refuse booleans and other scales (``"8/10"``)."""
        if isinstance(value, bool):
            raise ValueError("a boolean is not a score")
        if isinstance(value, str):
            match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:(?:/|out\s+of)\s*(\d+))?\s*", value)
            if not match:
                raise ValueError(f"{value!r} is not a number")
            if match.group(2) and match.group(2) != "5":
                raise ValueError(f"{value!r} is on a {match.group(2)}-point scale, not 1..5")
            return match.group(1)
        return value


@dataclass(frozen=True)
class ParsedJudgment:
    """``score`` is None when the reply states no unambiguous 1..5 score; ``reason`` says why."""

    score: int | None
    rationale: str
    ok: bool
    reason: str = ""


@dataclass(frozen=True)
class _Found:
    value: int | None  # None: a score was stated but is unusable (see problem)
    problem: str
    start: int
    end: int
    rationale: str = ""


def _missing(reason: str, rationale: str = "") -> ParsedJudgment:
    return ParsedJudgment(None, rationale, False, reason)


# ---- cleaning -----------------------------------------------------------------------------------
def _strip_echo(text: str, prompt: str | None) -> str:
    """Blank out lines copied from the prompt, scale phrases and "for example" snippets.

    Blanking (spaces, same length) instead of deleting keeps match positions meaningful.
    """
    if prompt:
        prompt_lines = {line.strip() for line in prompt.splitlines() if len(line.strip()) >= 8}
        lines = text.splitlines(keepends=True)
        text = "".join(
            " " * len(line.rstrip("\r\n")) + line[len(line.rstrip("\r\n")) :]
            if line.strip() in prompt_lines
            else line
            for line in lines
        )
    for pattern in (_SCALE_PHRASE, _EXAMPLE):
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text


# ---- tier 1: JSON -------------------------------------------------------------------------------
def _closing_brace(text: str, start: int) -> int | None:
    """Index after the ``}`` that closes the ``{`` at ``start`` (naive: ignores quoting)."""
    depth = 0
    for index in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return index + 1
    return None


def _object_at(text: str, pos: int) -> tuple[Any, int] | None:
    """A JSON object at ``pos``, or a Python-style dict (``{'score': 4}``, small models write those)."""
    try:
        return json.JSONDecoder().raw_decode(text, pos)
    except json.JSONDecodeError:
        end = _closing_brace(text, pos)
        if end is None:
            return None
        try:
            return ast.literal_eval(text[pos:end]), end
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None


def _json_objects(text: str) -> list[tuple[dict[str, Any], int, int]]:
    """Every top-level object in the text (fenced or inside prose), with its span."""
    found = []
    pos = text.find("{")
    while pos != -1:
        parsed = _object_at(text, pos)
        if parsed is None:
            pos = text.find("{", pos + 1)
            continue
        obj, end = parsed
        if isinstance(obj, dict):
            found.append((obj, pos, end))
        pos = text.find("{", end)
    return found


def _from_json(text: str) -> list[_Found]:
    found = []
    for obj, start, end in _json_objects(text):
        if not ({"score", "Score", "rating"} & obj.keys()):
            continue
        try:
            reply = JudgeReply.model_validate(obj)
        except ValidationError as exc:
            problem = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
            found.append(_Found(None, f"JSON score invalid: {problem}", start, end))
            continue
        found.append(_Found(reply.score, "", start, end, reply.rationale.strip()))
    return found


# ---- tiers 2..5: patterns -----------------------------------------------------------------------
def _nesting(text: str, pos: int) -> int:
    """How many ``{``/``[`` are open at ``pos`` (brackets inside JSON strings are ignored)."""
    depth, in_string, escaped = 0, False, False
    for char in text[:pos]:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth = max(0, depth - 1)
    return depth


def _from_score_keys(text: str) -> list[_Found]:
    return [f for f in _from_patterns(text, [_SCORE_KEY]) if _nesting(text, f.start) <= 1]


def _judge_number(raw: str, scale: str | None) -> tuple[int | None, str]:
    if scale and scale != "5":
        return None, f"{raw}/{scale} is on a {scale}-point scale, not 1..5"
    if "." in raw:
        return None, f"score {raw} is not a whole number"
    value = int(raw)
    if not 1 <= value <= 5:
        return None, f"score {value} is outside 1..5"
    return value, ""


def _not_a_score(text: str, start: int, dates: list[tuple[int, int]]) -> str:
    """Why the number at ``start`` is no score at all (a date, a negative number), or ''."""
    for a, b in dates:
        if a <= start < b:
            return f"{text[a:b]} is a date, not a score"
    before = text[start - 1] if start > 0 else ""
    if before and before in _MINUS and (start < 2 or not text[start - 2].isdigit()):
        digits = re.match(r"\d+(?:\.\d+)?", text[start:])
        return f"-{digits.group(0) if digits else ''} is negative, not a 1..5 score"
    return ""


def _from_patterns(text: str, patterns: list[re.Pattern[str]]) -> list[_Found]:
    found: dict[int, _Found] = {}
    dates = [m.span() for m in _DATE.finditer(text)]
    for pattern in patterns:
        for match in pattern.finditer(text):
            if match.start(1) in found:
                continue
            problem = _not_a_score(text, match.start(1), dates)
            value, problem = (
                (None, problem) if problem else _judge_number(match.group(1), match.group(2) or None)
            )
            found[match.start(1)] = _Found(value, problem, match.start(), match.end())
    return [found[key] for key in sorted(found)]


def _blank(text: str, found: list[_Found]) -> str:
    """The text with the spans already read replaced by spaces (positions kept)."""
    for f in found:
        text = text[: f.start] + " " * (f.end - f.start) + text[f.end :]
    return text


def _decide(found: list[_Found], later: list[_Found], text: str, cut_spans: bool) -> ParsedJudgment:
    """One agreed score from the deciding tier, unless it or a later explicit tier disagrees."""
    values = sorted({f.value for f in found if f.value is not None})
    problems = [f.problem for f in found if f.value is None]
    others = sorted({f.value for f in later if f.value is not None} - set(values))
    if values and (others or any(f.value is None for f in later)):
        stated = ", ".join(map(str, values + others)) or str(values[0])
        extra = next((f.problem for f in later if f.value is None), "")
        return _missing(f"conflicting scores: {stated}" + (f" and {extra}" if extra else ""))
    if problems and values:
        return _missing(f"conflicting scores: {values} and {problems[0]}")
    if problems:
        return _missing(problems[0])
    if len(values) > 1:
        return _missing(f"conflicting scores {', '.join(map(str, values))}")
    rationale = found[0].rationale or _rationale(text, found, cut_spans)
    return ParsedJudgment(values[0], rationale, True, "")


_LABEL_ONLY = re.compile(
    r"^(?:[\W_]|\b(?:final|overall|score|rating|grade|result|verdict|json)\b)*$", re.IGNORECASE
)
_LEAD_LABEL = re.compile(r"^\s*(?:feedback|rationale|reasoning|explanation)\s*:\s*", re.IGNORECASE)


def _rationale(text: str, found: list[_Found], cut_spans: bool, limit: int = 2000) -> str:
    """The reply's prose without the score statement itself.

    A line that holds nothing but the score (``Rating: [[4]]``) is dropped; markers and JSON
    (``cut_spans``) are cut out of their line (Prometheus' ``Feedback: ... [RESULT] 4``); a score
    stated inside a sentence leaves the sentence whole.
    """
    spans = sorted((f.start, f.end) for f in found)
    keep = []
    offset = 0
    for line in text.splitlines(keepends=True):
        line_end = offset + len(line)
        inside = [
            (max(a, offset) - offset, min(b, line_end) - offset)
            for a, b in spans
            if a < line_end and b > offset
        ]
        rest = line
        for a, b in reversed(inside):
            rest = rest[:a] + rest[b:]
        if not inside:
            keep.append(line)
        elif not _LABEL_ONLY.match(rest.strip()):
            keep.append(rest if cut_spans else line)
        offset = line_end
    prose = _LEAD_LABEL.sub("", "".join(keep).strip())
    return re.sub(r"```(?:json)?", "", prose, flags=re.IGNORECASE).strip()[:limit]


def parse_judgment(text: str | None, prompt: str | None = None) -> ParsedJudgment:
    """A 1..5 score from a judge reply, or a missing one with the reason.

    Pass the judge ``prompt`` when you have it: lines the model copied from it are ignored, so an
    echoed rubric or output template can never become a score.
    """
    if text is None or not text.strip():
        return _missing("empty reply")
    cleaned = _strip_echo(text, prompt)
    explicit: list[tuple[Callable[[str], list[_Found]], bool]] = [
        (_from_json, True),
        (lambda t: _from_patterns(t, _MARKERS) + _from_score_keys(t), True),
        (lambda t: _from_patterns(t, _LABELLED), False),
    ]
    fallback: list[tuple[Callable[[str], list[_Found]], bool]] = [
        (lambda t: _from_patterns(t, _BARE), False),
        (lambda t: _from_patterns(t, _ONLY), False),
    ]
    for index, (find, cut_spans) in enumerate(explicit):
        found = find(cleaned)
        if found:
            rest, later = _blank(cleaned, found), []
            for find_later, _ in explicit[index + 1 :]:
                more = find_later(rest)
                later += more
                rest = _blank(rest, more)
            return _decide(found, later, text, cut_spans)
    for find, cut_spans in fallback:
        found = find(cleaned)
        if found:
            return _decide(found, [], text, cut_spans)
    return _missing("no score found", text.strip()[:2000])


# ---- pairwise -----------------------------------------------------------------------------------
_TIE_WORDS = r"(?:tie|draw|equal|equally\s+good|same|neither|both)"
_V = r"(A|B|" + _TIE_WORDS + r")\b"
_VERDICT_MARKERS = [
    re.compile(r"\[\[\s*(A|B|C|tie)\s*\]\]", re.IGNORECASE),
    re.compile(r"\[RESULT\]\s*[:\-]?\s*(?:answer\s+|response\s+)?(A|B|tie)\b", re.IGNORECASE),
    re.compile(
        r"[\"'](?:verdict|winner|better|choice)[\"']\s*:\s*[\"'](?:answer\s+)?([^\"']+)[\"']", re.IGNORECASE
    ),
]
_VERDICT_LABELLED = [
    re.compile(
        r"\b(?:verdict|winner|better\s+answer|better\s+response|final\s+answer|choice|preferred)"
        r"[*_\s]*(?::|=|\bis\b)[*_\s]*[\"']?(?:answer\s+|response\s+|assistant\s+)?" + _V,
        re.IGNORECASE,
    ),
]
_VERDICT_PROSE = [
    re.compile(
        r"\b(?:answer|response|assistant)\s+(A|B)\s+is\s+(?:clearly\s+|slightly\s+|much\s+)?"
        r"(?:better|superior|preferred|stronger|more\s+\w+)",
        re.IGNORECASE,
    ),
    re.compile(r"\b(?:I\s+)?(?:prefer|choose|pick)\s+(?:answer\s+|response\s+)?(A|B)\b"),
    re.compile(r"\b(?:it'?s\s+a\s+|a\s+)(tie|draw)\b", re.IGNORECASE),
    re.compile(r"\bboth\s+(?:answers|responses)\s+are\s+(equally)\s+(?:good|bad|correct)", re.IGNORECASE),
]
_VERDICT_ONLY = [re.compile(r"^[\W_]*(?:answer\s+)?(A|B|tie)[\W_]*$", re.IGNORECASE)]


def _verdict_word(word: str) -> Verdict | None:
    word = word.strip().lower().removeprefix("answer ").removeprefix("response ").strip()
    if word in {"a", "b"}:
        return "A" if word == "a" else "B"
    if word == "c" or re.fullmatch(_TIE_WORDS, word):
        return "tie"
    return None


def parse_verdict(text: str | None, prompt: str | None = None) -> Verdict | None:
    """``'A'``, ``'B'`` or ``'tie'`` from a pairwise judge reply; None when absent or ambiguous.

    Same tiers as :func:`parse_judgment`: ``[[A]]`` (MT-Bench; ``[[C]]`` is its tie), JSON
    ``{"verdict": "A"}``, ``Verdict: B``, then prose such as "Answer A is better". Two different
    verdicts in the deciding tier (say an echoed "[[A]], [[B]] or [[tie]]") give None.
    """
    if text is None or not text.strip():
        return None
    cleaned = _strip_echo(text, prompt)
    for patterns in (_VERDICT_MARKERS, _VERDICT_LABELLED, _VERDICT_PROSE, _VERDICT_ONLY):
        verdicts = {_verdict_word(m.group(1)) for p in patterns for m in p.finditer(cleaned)}
        verdicts.discard(None)
        if len(verdicts) == 1:
            return verdicts.pop()
        if len(verdicts) > 1:
            return None
    return None
