"""User-facing errors.

A ``BenchError`` names the bad input, says what is wrong and how to fix it. The CLI prints it
without a traceback and exits non-zero; the app shows it with ``st.error``. Anything else that
escapes is a bug in SLM Bench and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class BenchError(Exception):
    """An error the user can fix: ``what`` went wrong with ``subject``, and ``fix`` says how."""

    def __init__(self, subject: str, what: str, fix: str = "") -> None:
        self.subject = subject
        self.what = what
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = f"{self.subject}: {self.what}"
        return f"{text}\n  fix: {self.fix}" if self.fix else text


class ModelLoadError(BenchError):
    """A model could not be found or loaded; the runner marks that model failed and goes on."""


class EndpointError(BenchError):
    """An OpenAI-compatible endpoint is unreachable or does not speak the OpenAI API."""


# ---- pydantic's wording -> the user's ----------------------------------------------------------
#: field names as a person says them (the JSON key stays in the location, this is the sentence)
FIELD_WORDS = {"max_tokens": "max tokens", "api_key_env": "API key variable", "id": "id"}


def field_words(loc: Sequence[Any]) -> str:
    """The last named part of a pydantic location in words: ``("prompts", 2, "prompt")`` -> ``prompt``."""
    names = [str(part) for part in loc if not isinstance(part, int) and not str(part).isdigit()]
    name = names[-1] if names else "value"
    return FIELD_WORDS.get(name, name.replace("_", " "))


def _singular(words: str) -> str:
    if words.endswith("ies"):
        return words[:-3] + "y"
    return words[:-1] if words.endswith("s") and not words.endswith("ss") else words


def plain_message(err: Mapping[str, Any]) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) in the words a user reads.

    ``List should have at least 1 item after validation`` becomes ``add at least one prompt``;
    ``String should have at least 1 character`` becomes ``the prompt is empty``. Types this does not
    know keep pydantic's message (minus its ``Value error,`` prefix), which is still specific.
    """
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    field = field_words(err.get("loc") or ())
    msg = str(err.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "too_short":
        need = int(ctx.get("min_length", 1))
        what = _singular(field)
        return f"add at least one {what}" if need == 1 else f"add at least {need} {field}"
    if kind == "too_long":
        return f"too many {field}: at most {ctx.get('max_length')}"
    if kind == "string_too_short":
        need = int(ctx.get("min_length", 1))
        return f"the {field} is empty" if need == 1 else f"the {field} needs at least {need} characters"
    if kind == "string_too_long":
        return f"the {field} is too long: at most {ctx.get('max_length')} characters"
    if kind == "missing":
        return f"the {field} is missing: add it"
    if kind == "extra_forbidden":
        return f"`{field}` is not a field here: remove it or check its spelling"
    simple = {
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "greater_than": f"must be more than {ctx.get('gt')}",
        "less_than_equal": f"must be at most {ctx.get('le')}",
        "less_than": f"must be less than {ctx.get('lt')}",
        "literal_error": f"must be one of {ctx.get('expected')}",
        "string_pattern_mismatch": "uses characters that are not allowed",
    }
    if kind in simple:
        return simple[kind]
    if kind.startswith("union_tag_"):
        return _tag_words(kind, ctx)
    for prefix, words in _TYPE_WORDS.items():
        if kind.startswith(prefix):
            return words
    return msg.replace("Input should be", "must be").replace("Field required", "missing: add it")


def _tag_words(kind: str, ctx: Mapping[str, Any]) -> str:
    """A discriminated union's error (a check's ``type``) in words: which types exist, what to write."""
    field = str(ctx.get("discriminator", "type")).strip("'\"")
    expected = str(ctx.get("expected_tags", "")).replace("'", "")
    if kind == "union_tag_invalid":
        return f'{field} "{ctx.get("tag")}" is not known: use one of {expected}'
    return f'has no "{field}": add it' + (f" (one of {expected})" if expected else "")


_TYPE_WORDS = {
    "int_": "must be a whole number",
    "float_": "must be a number",
    "bool_": "must be true or false",
    "string_": "must be text",
    "list_": "must be a list",
    "dict_": "must be an object ({...})",
    "model_": "must be an object ({...})",
}


#: json's messages -> words (json's own "Expecting value ... (char 12)" reads as a library, not an answer)
_JSON_WORDS = [
    ("Expecting value", "a value is missing"),
    ("Expecting ',' delimiter", "a comma is missing"),
    ("Expecting ':' delimiter", "a colon is missing"),
    ("Expecting property name", "a key is not in double quotes, or a comma is one too many"),
    ("Extra data", "there is text after the end of the JSON"),
    ("Unterminated string", "a string is not closed with a double quote"),
    ("Invalid control character", "a string has a line break or tab in it: write \\n or \\t"),
    ("Invalid \\escape", "a backslash starts an unknown escape: write \\\\"),
]


def json_words(msg: str) -> str:
    """A ``json.JSONDecodeError.msg`` in words a user acts on (its line and column are said apart)."""
    return next((words for head, words in _JSON_WORDS if msg.startswith(head)), "the text is not JSON here")
