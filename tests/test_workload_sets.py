"""The four workload sets (issue 19): every reference answer passes every check, wrong answers fail.

Deterministic: no model is needed. The wrong answers are the mistakes a small model makes (the
decoy fact, the wrong function, a wrong argument, a call when none fits, one call of two, prose
around JSON, a forgotten earlier turn).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bench.inputs.check_spec import JsonSchemaCheck
from bench.inputs.config import PromptItem, resolve_prompt_set
from bench.inputs.workloads import WORKLOAD_DESCRIPTIONS, WORKLOADS
from bench.quality.checks.evaluate import evaluate

SETS = ("long-context", "json-output", "tool-calls", "multi-turn")


def _passes(answer: str, item: PromptItem) -> bool:
    return all(evaluate(answer, check).passed for check in item.checks)


def _call(name: str, args: dict[str, Any]) -> str:
    return f'<tool_call>{{"name": "{name}", "arguments": {json.dumps(args)}}}</tool_call>'


@pytest.mark.parametrize("name", SETS)
def test_each_set_is_named_tagged_and_verified(name: str) -> None:
    prompt_set = resolve_prompt_set(name)
    assert prompt_set.name == name and prompt_set.workload == name
    assert name in WORKLOADS and WORKLOAD_DESCRIPTIONS[name]
    failures = []
    for item in prompt_set.prompts:
        assert item.reference, item.id
        assert prompt_set.workload_of(item) == name
        for check in item.checks:
            verdict = evaluate(item.reference, check)
            if verdict.passed is not True:
                failures.append(f"{item.id}: {check.type}: {verdict.detail}")
    assert failures == []


def test_long_context_sizes_depths_and_decoys() -> None:
    prompts = resolve_prompt_set("long-context").prompts
    sizes = {re.match(r"lc-(\w+)-d\d+", p.id)[1] for p in prompts}  # type: ignore[index]
    assert sizes == {"512", "1k", "2k", "4k", "8k"}
    lengths = {}
    for item in prompts:
        assert item.checks, item.id
        code = item.reference or ""
        decoy = next(c.value for c in item.checks if c.type == "not_contains")  # type: ignore[union-attr]
        document = item.prompt.split("<document>")[1].split("</document>")[0]
        depth = int(item.id.rsplit("-d", 1)[1]) / 100
        where = document.index(f"is {code};") / len(document)
        assert abs(where - depth) < 0.12, (item.id, where)  # the fact sits at its stated depth
        assert _passes(f"The code is {code}.", item)
        assert not _passes(decoy, item), item.id  # the other room's code
        assert not _passes(f"{code} or {decoy}", item), item.id  # hedging between both
        assert not _passes("I could not find it in the document.", item)
        lengths.setdefault(item.id.split("-")[1], []).append(len(item.prompt))
    order = [min(lengths[s]) for s in ("512", "1k", "2k", "4k", "8k")]
    assert order == sorted(order) and order[-1] > 12 * order[0]  # 8k is ~16x the 512 documents


def test_tool_calls_cover_one_none_and_two_calls() -> None:
    prompts = resolve_prompt_set("tool-calls").prompts
    kinds = {"one": 0, "none": 0, "two": 0}
    for item in prompts:
        assert 2 <= len(item.tools) <= 4, item.id
        wanted = [c for c in item.checks if c.type == "tool_call"]
        kinds[("none", "one", "two")[len(wanted)]] += 1
        offered = {t.function.name for t in item.tools}
        assert {c.name for c in wanted} <= offered, item.id  # type: ignore[attr-defined]
    assert len(prompts) >= 25 and min(kinds.values()) >= 5, kinds


def _wrong_answers(item: PromptItem) -> list[str]:
    """Mistakes that must fail: every one is scored on the calls, never on prose."""
    wanted = [(c.name, dict(c.arguments)) for c in item.checks if c.type == "tool_call"]  # type: ignore[attr-defined]
    other = next(t.function.name for t in item.tools if t.function.name not in {n for n, _ in wanted})
    if not wanted:
        return [_call(item.tools[0].function.name, {})]
    name, args = wanted[0]
    key = next(iter(args))
    value = args[key]
    changed = value + 1 if isinstance(value, int | float) else f"{value} X"
    wrong = [
        _call(other, args) + "".join(_call(n, a) for n, a in wanted[1:]),  # the wrong function
        _call(name, args | {key: changed}) + "".join(_call(n, a) for n, a in wanted[1:]),  # a wrong value
        "".join(_call(n, {k: v for k, v in a.items() if k != key}) for n, a in wanted[:1] + wanted[1:]),
        f"I would call {name} with {json.dumps(args)}.",  # prose: no call
        '<tool_call>{"name": "' + name + '", "arguments": {"' + key + '": }</tool_call>',  # unparsed
        item.reference + item.reference,  # every call twice
    ]
    if len(wanted) == 2:
        wrong.append(_call(*wanted[0]))  # one call of the two
    return wrong


def test_tool_calls_reject_wrong_calls() -> None:
    for item in resolve_prompt_set("tool-calls").prompts:
        for wrong in _wrong_answers(item):
            assert not _passes(wrong, item), (item.id, wrong)
        # the same calls as bare JSON (how small models often answer in-process) still pass
        calls = [json.loads(m) for m in re.findall(r"<tool_call>(.*?)</tool_call>", item.reference or "")]
        if calls:
            assert _passes(json.dumps(calls), item), item.id
            spaced = (item.reference or "").replace("</tool_call>", "</tool_call>\n")
            assert _passes("```\n" + spaced + "```", item), item.id  # a fence and newlines are forgiven


def test_json_output_sends_the_checked_schema_and_rejects_wrong_values() -> None:
    for item in resolve_prompt_set("json-output").prompts:
        schema = next(c for c in item.checks if isinstance(c, JsonSchemaCheck))
        assert item.response_format is not None
        assert item.response_format.json_schema.schema_ == schema.schema_, item.id
        body = item.response_format.body()
        assert body["type"] == "json_schema" and body["json_schema"]["schema"] == schema.schema_
        reference = json.loads(item.reference or "")
        empty = {k: None for k in reference}
        assert not _passes(json.dumps(empty), item), item.id
        assert not _passes("Here you go: " + (item.reference or ""), item), item.id
        assert not _passes("{" + (item.reference or "")[1:-1], item), item.id  # cut short: invalid JSON


def test_multi_turn_conversations_grow_and_check_memory() -> None:
    prompts = resolve_prompt_set("multi-turn").prompts
    conversations: dict[str, list[PromptItem]] = {}
    for item in prompts:
        conversations.setdefault(item.id.rsplit("-t", 1)[0], []).append(item)
    assert len(conversations) >= 3
    for conv, turns in conversations.items():
        assert 4 <= len(turns) <= 8, conv
        for n, item in enumerate(turns):
            assert len(item.messages) == 2 * n, item.id  # the list grows by one exchange per turn
            if n:
                assert item.messages[-2].content == turns[n - 1].prompt
                assert item.messages[-1].content == turns[n - 1].reference
        last = turns[-1]
        assert last.checks, conv
        assert not _passes("Sorry, I don't remember that.", last), conv
