"""Rubric sets: the shipped files load, and every defect is reported at its exact path."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.inputs.config import PromptItem, load_prompt_set
from rubrics.schema import (
    applicable_aspects,
    builtin_rubric_sets,
    load_rubric_set,
    resolve_rubric_set,
    rubric_set_from_data,
    unknown_aspects,
)

ROOT = Path(__file__).resolve().parent.parent
ANCHORS = {str(s): f"sentence for {s}" for s in range(1, 6)}
GOOD = {
    "name": "t",
    "aspects": [
        {"id": "a", "name": "A", "description": "first", "anchors": dict(ANCHORS)},
        {"id": "b", "name": "B", "description": "second", "anchors": dict(ANCHORS)},
        {"id": "c", "name": "C", "description": "third", "anchors": dict(ANCHORS)},
    ],
}


def _error(data: object) -> str:
    with pytest.raises(BenchError) as info:
        rubric_set_from_data(data, "r.json")
    return info.value.message


def test_builtin_sets_load_with_expected_aspects():
    sets = builtin_rubric_sets()
    assert sets["workshop"].aspect_ids() == ["accuracy", "completeness", "concision", "instruction_following"]
    assert sets["meeting-notes"].aspect_ids() == ["faithfulness", "coverage", "concision", "format"]
    for rubric in sets.values():
        for aspect in rubric.aspects:
            assert [score for score, _ in aspect.levels()] == [1, 2, 3, 4, 5]
            assert all(text.strip() for _, text in aspect.levels())


def test_shipped_prompt_sets_match_their_rubrics():
    sets = builtin_rubric_sets()
    notes = load_prompt_set(ROOT / "prompts" / "meeting-notes.json")
    assert 3 <= len(notes.prompts) <= 6
    assert all(len(p.prompt) < 800 for p in notes.prompts)  # tiny CPU models answer fast
    assert unknown_aspects(notes.prompts, sets["meeting-notes"]) == {}
    workshop = ROOT / "prompts" / "workshop.json"
    if workshop.exists():  # written by someone else; its aspect ids must be the workshop rubric's
        assert unknown_aspects(load_prompt_set(workshop).prompts, sets["workshop"]) == {}


def test_missing_anchor_is_reported_at_its_path():
    data = copy.deepcopy(GOOD)
    del data["aspects"][2]["anchors"]["3"]
    message = _error(data)
    assert "r.json: aspects.2.anchors.3: missing" in message


def test_blank_anchor_extra_level_and_empty_description():
    data = copy.deepcopy(GOOD)
    data["aspects"][0]["anchors"]["4"] = "   "
    data["aspects"][1]["anchors"]["6"] = "too high"
    data["aspects"][2]["description"] = ""
    message = _error(data)
    assert "r.json: aspects.0.anchors.4: blank" in message
    assert "r.json: aspects.1.anchors.6: not a score" in message
    assert "r.json: aspects.2.description:" in message


def test_duplicate_ids_bad_id_and_not_an_object():
    data = copy.deepcopy(GOOD)
    data["aspects"][1]["id"] = "a"
    assert "appears twice" in _error(data)
    data = copy.deepcopy(GOOD)
    data["aspects"][0]["id"] = "has space"
    assert "aspects.0.id" in _error(data)
    assert "expected a JSON object" in _error(["not", "a", "rubric"])
    assert "aspects" in _error({"name": "t", "aspects": []})


def test_integer_anchor_keys_are_accepted():
    data = copy.deepcopy(GOOD)
    data["aspects"][0]["anchors"] = {i: f"s{i}" for i in range(1, 6)}
    rubric = rubric_set_from_data(data, "inline")
    assert rubric.aspect("a").anchor(5) == "s5"


def test_load_from_file_name_defaults_and_errors(tmp_path: Path):
    path = tmp_path / "mine.json"
    data = {k: v for k, v in GOOD.items() if k != "name"}
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_rubric_set(path).name == "mine"
    assert resolve_rubric_set("workshop").name == "workshop"
    with pytest.raises(BenchError, match="rubric file not found"):
        resolve_rubric_set("no-such-set")
    (tmp_path / "bad.json").write_text("{,}", encoding="utf-8")
    with pytest.raises(BenchError, match="not valid JSON"):
        load_rubric_set(tmp_path / "bad.json")
    with pytest.raises(BenchError, match="has no aspect"):
        load_rubric_set(path).aspect("zzz")


def test_applicable_aspects_rule():
    rubric = rubric_set_from_data(GOOD, "inline")
    named = PromptItem(id="p", prompt="x", aspects=["b", "unknown"])
    unnamed = PromptItem(id="q", prompt="y")
    assert applicable_aspects(named, rubric) == ["b"]  # no anchors for "unknown": dropped
    assert applicable_aspects(unnamed, rubric) == ["a", "b", "c"]  # names none: all of the set
    assert applicable_aspects(named, None) == ["b", "unknown"]
    assert unknown_aspects([named, unnamed], rubric) == {"p": ["unknown"]}
