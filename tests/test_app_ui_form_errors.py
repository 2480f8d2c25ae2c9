"""Every error of the prompt, rubric and model forms is in our words, never pydantic's or json's.

Seen (issue 20): an uploaded prompt set with a bad check type showed "prompts.0.checks.0: Unable to
extract tag using discriminator 'type'". Each case below goes through the function the form calls
(the upload, the table editor's save, the endpoint form) with real bad input, and the message the
page shows (``ui.errors.error_markdown``) must name the place and must not contain library wording.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.errors import BenchError
from bench.inputs import prompt_formats, user_files
from bench.inputs.config import prompt_set_from_data
from rubrics.schema import rubric_set_from_data
from ui.errors import error_markdown, upload_json

#: phrases only a library writes: a user reading any of them sees a library, not an answer
LIBRARY_WORDS = [
    "Unable to extract tag",
    "discriminator",
    "Input tag",
    "expected tags",
    "Input should",
    "Field required",
    "validation error",
    "Value error",
    "Assertion failed",
    "For further information",
    "pydantic",
    "Expecting value",
    "Expecting property name",
    "(char ",
    "Traceback",
    "codec can't decode",
]

GOOD_PROMPT = {"id": "a", "prompt": "Say hi.", "aspects": ["accuracy"]}
BAD_PROMPT_SETS: dict[str, Any] = {
    "unknown check type": {"prompts": [{**GOOD_PROMPT, "checks": [{"type": "bogus"}]}]},
    "check without type": {"prompts": [{**GOOD_PROMPT, "checks": [{"value": "x"}]}]},
    "check not an object": {"prompts": [{**GOOD_PROMPT, "checks": ["contains hi"]}]},
    "check field missing": {"prompts": [{**GOOD_PROMPT, "checks": [{"type": "regex"}]}]},
    "check field wrong type": {"prompts": [{**GOOD_PROMPT, "checks": [{"type": "contains", "value": 3}]}]},
    "no prompts": {"prompts": []},
    "empty prompt": {"prompts": [{"id": "a", "prompt": ""}]},
    "bad id": {"prompts": [{"id": "a b/c", "prompt": "x"}]},
    "duplicate ids": {"prompts": [GOOD_PROMPT, GOOD_PROMPT]},
    "unknown field": {"prompts": [{**GOOD_PROMPT, "colour": "red"}]},
    "prompt not text": {"prompts": [{"id": "a", "prompt": 5}]},
    "prompts not a list": {"prompts": "hello"},
    "aspects not a list": {"prompts": [{**GOOD_PROMPT, "aspects": 3}]},
    "max tokens negative": {"prompts": [{**GOOD_PROMPT, "max_tokens": -1}]},
}
ANCHORS = {str(k): f"score {k}" for k in range(1, 6)}
BAD_RUBRIC_SETS: dict[str, Any] = {
    "no aspects": {"aspects": []},
    "anchor missing": {"aspects": [{"id": "a", "description": "d", "anchors": {"1": "x"}}]},
    "anchor blank": {"aspects": [{"id": "a", "description": "d", "anchors": {**ANCHORS, "3": ""}}]},
    "anchor not a score": {"aspects": [{"id": "a", "description": "d", "anchors": {**ANCHORS, "9": "x"}}]},
    "bad aspect id": {"aspects": [{"id": "a b", "description": "d", "anchors": ANCHORS}]},
    "duplicate aspects": {"aspects": [{"id": "a", "description": "d", "anchors": ANCHORS}] * 2},
    "aspect not an object": {"aspects": ["accuracy"]},
    "description missing": {"aspects": [{"id": "a", "anchors": ANCHORS}]},
    "unknown field": {"aspects": [{"id": "a", "description": "d", "anchors": ANCHORS, "x": 1}]},
}
BAD_UPLOADS = {
    "broken.jsonl": b'{"id": "a", "prompt": "x"}\n{"id": "b", "prompt": \n',
    "types.jsonl": b'{"id": "a", "prompt": "x", "checks": [{"type": "nope"}]}\n',
    "empty.jsonl": b"",
    "latin1.csv": b"id,prompt\na,caf\xe9\n",
    "nocolumn.csv": b"name,text\na,hello\n",
    "empty-prompt.csv": b"id,prompt\na,\n",
}
BAD_ENDPOINTS = {
    "no name": ("", "http://127.0.0.1:8080/v1", None),
    "not a url": ("srv", "localhost 8080", None),
    "ftp url": ("srv", "ftp://127.0.0.1/v1", None),
    "bad key variable": ("srv", "http://127.0.0.1:8080/v1", "my key!"),
    "bad name": ("a/b c", "http://127.0.0.1:8080/v1", None),
}


def shown(exc: BenchError) -> str:
    """What the page shows for ``exc``."""
    return error_markdown(exc.message)


def assert_plain(text: str) -> None:
    leaked = [w for w in LIBRARY_WORDS if w.lower() in text.lower()]
    assert not leaked, f"library wording {leaked} in: {text}"


@pytest.mark.parametrize("case", list(BAD_PROMPT_SETS))
def test_prompt_set_errors_are_plain(case: str) -> None:
    with pytest.raises(BenchError) as caught:
        prompt_set_from_data(BAD_PROMPT_SETS[case], "upload.json", name="x")
    text = shown(caught.value)
    assert "upload.json" in text
    assert_plain(text)


def test_a_bad_check_type_names_the_types_that_exist() -> None:
    with pytest.raises(BenchError) as caught:
        prompt_set_from_data(BAD_PROMPT_SETS["unknown check type"], "upload.json", name="x")
    text = caught.value.message
    assert "prompts.0.checks.0" in text and '"bogus" is not known' in text and "contains" in text


@pytest.mark.parametrize("case", list(BAD_RUBRIC_SETS))
def test_rubric_set_errors_are_plain(case: str) -> None:
    with pytest.raises(BenchError) as caught:
        rubric_set_from_data(BAD_RUBRIC_SETS[case], "rubric.json", name="x")
    text = shown(caught.value)
    assert "rubric.json" in text
    assert_plain(text)


@pytest.mark.parametrize("name", list(BAD_UPLOADS))
def test_uploaded_prompt_files_errors_are_plain(name: str) -> None:
    with pytest.raises(BenchError) as caught:
        prompt_formats.parse_prompt_bytes(BAD_UPLOADS[name], name)
    text = shown(caught.value)
    assert name in text
    assert_plain(text)


@pytest.mark.parametrize("case", list(BAD_ENDPOINTS))
def test_endpoint_form_errors_are_plain(case: str, env: Path) -> None:
    with pytest.raises(BenchError) as caught:
        user_files.add_endpoint(*BAD_ENDPOINTS[case])
    assert_plain(shown(caught.value))


def test_uploaded_json_that_is_not_json_says_where(tmp_path: Path) -> None:
    """The page's JSON upload path: broken JSON names the line, not json's "(char 12)"."""
    for data in (
        b'{"prompts": [\n  {"id": "a",, }\n]}',
        b'{"prompts": []}\n{}',
        "café".encode("latin-1"),
        b"",
    ):
        with pytest.raises(BenchError) as caught:
            upload_json(data, "set.json")
        text = shown(caught.value)
        assert "set.json" in text
        assert_plain(text)
    with pytest.raises(BenchError) as caught:
        upload_json(b'{"prompts": [\n  {"id": "a",, }\n]}', "set.json")
    assert "line 2" in caught.value.message
    assert upload_json(b'{"prompts": []}', "set.json") == {"prompts": []}
