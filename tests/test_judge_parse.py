"""The judge-reply parser on a corpus of realistic replies: a score only when one is stated.

The corpus mixes the shapes small judge models produce (fenced JSON, JSON inside prose, Python-style
dicts, Prometheus ``[RESULT] n``, MT-Bench ``[[n]]``, ``Score: n/5``) with the failures peers
mis-read: 10-point scores, out-of-range numbers, conflicting scores, echoed rubric text
(Prometheus bug #58) and echoed format examples.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bench.inputs.config import PromptItem
from rubrics.judge import build_pairwise_prompt, build_single_prompt
from rubrics.judge_parse import JudgeReply, parse_judgment, parse_verdict
from rubrics.schema import builtin_rubric_sets

ECHOED_RUBRIC = """Score 1: The answer is wrong in its main point, or mostly made up.
Score 2: The main point is right but there are several factual or logical errors.
Score 3: Mostly correct, with one error that matters to the reader.
Score 4: Correct in everything that matters; only a small slip.
Score 5: Fully correct and precise."""

# (reply, expected score; None = missing)
CORPUS: list[tuple[str, int | None]] = [
    # --- readable ------------------------------------------------------------------------------
    ('```json\n{"rationale": "Accurate and brief.", "score": 5}\n```', 5),
    (
        'The notes miss the owner of the QA rerun.\n{"rationale": "Misses one owner.", "score": 3}',
        3,
    ),
    ('{"score": "4", "rationale": "Covers all decisions."}', 4),
    ('{"rationale": "Correct.", "score": "4/5"}', 4),
    ("{'rationale': 'Short and correct.', 'score': 4}", 4),  # Python-style dict
    ('{"rationale": "Fine", "score": 2,}', 2),  # trailing comma
    ("Score: 4/5", 4),
    ("Feedback: The response covers every decision but repeats the transcript. [RESULT] 3", 3),
    ("The answer is correct and concise.\nRating: [[5]]", 5),
    ("**Score:** 2\nThe summary invents a due date.", 2),
    ("I would give this answer a score of 3 out of 5.", 3),
    ("Overall: 4/5", 4),
    ("4", 4),
    ("The score is 5 because every statement is supported by the transcript.", 5),
    ("The notes are accurate.\n\nFinal score: 4", 4),
    ("Accurate but long. Score - 3", 3),
    (ECHOED_RUBRIC + "\n\nThe answer has one small slip.\n[RESULT] 4", 4),  # echo, then a verdict
    ('Use the format, for example: "Rating: [[5]]".\nRating: [[2]]', 2),  # echoed example ignored
    ('{"rationale": "I would not give it a score of 2.", "score": 4}', 4),  # prose inside the JSON
    ('Rated on 2/5/2024.\n{"rationale": "Correct.", "score": 4}', 4),  # a date beside a score
    # --- missing -------------------------------------------------------------------------------
    ("", None),
    ("   \n ", None),
    ("Score: 8/10", None),  # a 10-point score is not a 1..5 one
    ("Rating: 10/10", None),
    ("Score: 0", None),
    ("Score: 6", None),
    ('{"rationale": "Good", "score": 4.5}', None),
    ('{"rationale": "Good", "score": null}', None),
    ('{"rationale": "Good", "score": true}', None),
    ("Score: 3. On reflection, Score: 4.", None),  # conflicting
    # --- seen in issue 8: the first of two conflicting scores was taken; dates and negatives ----
    ('{"rationale": "Good", "score": 4}\nScore: 2', None),  # JSON and prose disagree
    ("[RESULT] 4\nRating: [[2]]", None),  # two markers disagree
    ('Final score: 5\n{"rationale": "Fine", "score": 3}', None),  # prose before the JSON
    ("2/5/2024", None),  # a date
    ("Reviewed 2/5/2024.", None),
    ("Score: 2/5/2024", None),
    ("-1", None),  # a negative number
    ("Score: -1", None),
    ("Score -2", None),
    ("Rating: [[-3]]", None),
    ('{"rationale": "x", "score": 4}\n{"rationale": "y", "score": 2}', None),
    ("The answer is good and covers the decisions.", None),
    (ECHOED_RUBRIC, None),  # Prometheus #58: the echoed rubric must not become a score
    ("[RESULT] (an integer number between 1 and 5)", None),  # echoed template
    ("Rate it on a scale of 1 to 5. The notes list 2/3 action items.", None),
    ("It lists 4/5 action items but no owners.", None),  # a count, not a score
    ("The score is 1, 2, 3, 4 or 5 depending on the answer.", None),  # an enumeration
    # --- real replies of SmolLM2-135M used as a judge (max_tokens=256, so often cut off) -----
    (
        'Here is a JSON object of the form {"rationale": "The answer is 1, 2, 3, 4, 5"}'
        " where the score is 1, 2, 3, 4, 5.",
        None,  # echoes the format line: a list of levels is not a score
    ),
    (
        "Here is a JSON object with a list of the possible score values:\n```\n{\n"
        '  "Rationale": [\n    {\n      "Score": 2,\n      "ScoreSummary": {\n        "Rationale',
        None,  # cut off; the only "Score" is nested inside an example list
    ),
    (
        'Here is a JSON object with a list of the score values:\n```\n{\n  "Rating": 2,\n'
        '  "Score": 2,\n  "RatingSummary": {\n    "RatingSummary": {',
        2,  # cut off, but the outermost object states its score
    ),
]


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 20
    assert sum(score is None for _, score in CORPUS) >= 10


@pytest.mark.parametrize(("reply", "expected"), CORPUS)
def test_corpus(reply: str, expected: int | None):
    parsed = parse_judgment(reply)
    assert parsed.score == expected
    assert parsed.ok is (expected is not None)
    assert bool(parsed.reason) is (expected is None)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("", "empty reply"),
        ("Score: 8/10", "10-point scale"),
        ("Score: 6", "outside 1..5"),
        ("Score: 3. On reflection, Score: 4.", "conflicting"),
        ("Nice answer.", "no score found"),
        ('{"score": 4.5}', "JSON score invalid"),
        ('{"score": 4}\nScore: 2', "conflicting"),
        ("-1", "negative"),
        ("Score: 2/5/2024", "date"),
    ],
)
def test_reasons_say_why(reply: str, reason: str):
    assert reason in parse_judgment(reply).reason


def test_rationale_is_the_prose_without_the_score():
    assert parse_judgment('{"rationale": "Misses one owner.", "score": 3}').rationale == "Misses one owner."
    assert parse_judgment("Feedback: Too long. [RESULT] 3").rationale == "Too long."
    assert parse_judgment("Accurate.\nRating: [[5]]").rationale == "Accurate."
    assert parse_judgment('Misses a date.\n```json\n{"score": 3}\n```').rationale == "Misses a date."


def test_judge_reply_schema():
    assert JudgeReply.model_validate({"rationale": "ok", "score": "5"}).score == 5
    assert JudgeReply.model_validate({"reason": "ok", "score": 1}).rationale == "ok"
    for bad in (0, 6, "8/10", "four", True):
        with pytest.raises(ValidationError):
            JudgeReply.model_validate({"rationale": "x", "score": bad})


def test_our_own_prompt_never_parses_as_a_score():
    """A judge that echoes the whole prompt (rubric, anchors, format line) yields missing."""
    aspect = builtin_rubric_sets()["workshop"].aspect("accuracy")
    item = PromptItem(id="p", prompt="Rate this product 5/5 if you like it. Score: 4")
    prompt = build_single_prompt(item, "The answer says Score: 3", aspect)
    assert not parse_judgment(prompt, prompt=prompt).ok
    # the echo is removed line by line; a verdict after it still counts
    assert parse_judgment(prompt + '\n{"rationale": "Right.", "score": 5}', prompt=prompt).score == 5
    # without the prompt, the anchors and the format line alone give no score either
    anchors_only = build_single_prompt(PromptItem(id="p", prompt="Say hi."), "Hi!", aspect)
    assert not parse_judgment(anchors_only).ok


VERDICTS: list[tuple[str, str | None]] = [
    ("[[A]]", "A"),
    ("Answer B names the owners. Verdict: [[B]]", "B"),
    ("[[C]]", "tie"),  # MT-Bench's tie
    ("Both are fine. [[tie]]", "tie"),
    ('{"rationale": "Shorter and correct.", "verdict": "A"}', "A"),
    ("Answer A is better because it keeps every action item.", "A"),
    ("The better answer is B.", "B"),
    ("Winner: Answer A", "A"),
    ("It's a tie.", "tie"),
    ("[RESULT] B", "B"),
    ("B", "B"),
    ("", None),
    ("I cannot decide between them.", None),
    ("Reply [[A]], [[B]] or [[tie]].", None),  # echoed instruction: three verdicts
    ("Answer B is more accurate, but Answer A is better formatted.", None),
]


@pytest.mark.parametrize(("reply", "expected"), VERDICTS)
def test_verdicts(reply: str, expected: str | None):
    assert parse_verdict(reply) == expected


def test_pairwise_prompt_echo_is_ignored():
    item = PromptItem(id="p", prompt="Summarize.")
    prompt = build_pairwise_prompt(item, "one", "two", "Overall", "Overall quality.")
    assert parse_verdict(prompt, prompt=prompt) is None
    assert parse_verdict(prompt + "\nAnswer two is shorter. [[B]]", prompt=prompt) == "B"


# ---- property-based: any reply reads as a 1..5 score or as missing with a reason, never an exception ----
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PIECES = st.sampled_from(
    ["Score: ", "[[", "]]", "[RESULT] ", "{", "}", '"score": ', "/5", "/10", "-", "2/5/2024", " ", "\n",
     "Rating: ", "out of 5", "rationale", '"', "'", "```json", "1", "3", "5", "7", "4.5", "e.g. ", "between 1 and 5"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=30).map("".join))
def test_any_reply_is_a_score_or_missing_with_a_reason(reply: str):
    parsed = parse_judgment(reply)
    if parsed.ok:
        assert parsed.score in {1, 2, 3, 4, 5} and parsed.reason == ""
    else:
        assert parsed.score is None and parsed.reason
    assert parse_verdict(reply) in {None, "A", "B", "tie"}


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=5), st.integers(min_value=1, max_value=5))
def test_two_different_stated_scores_are_never_a_score(first: int, second: int):
    reply = f'{{"rationale": "r", "score": {first}}}\nScore: {second}'
    assert parse_judgment(reply).score == (first if first == second else None)
