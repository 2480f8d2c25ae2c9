"""The prompt-set schema's workload parts and the tool-call text: validation errors name the field, streamed
deltas assemble into calls, every form of call a model writes is read back, a broken one is *unparsed*."""

from __future__ import annotations

import json

import pytest

from bench.backends.tool_call_text import ToolCallDeltas, parse_tool_calls, whole_message_text
from bench.errors import BenchError
from bench.inputs.config import prompt_set_from_data
from bench.inputs.workload_checks import NoToolCallCheck, ToolCallCheck, ToolCallCountCheck
from bench.quality.checks.evaluate import evaluate
from bench.quality.checks.tool_calls import unparsed_rate

TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}  # fmt: skip


def _error(item: dict) -> str:
    with pytest.raises(BenchError) as info:
        prompt_set_from_data({"prompts": [{"id": "a", "prompt": "x", **item}]}, "set.json")
    return str(info.value)


def test_every_workload_field_is_validated_with_its_path() -> None:
    assert "set.json: prompts.0.workload: must be one of" in _error({"workload": "chat"})
    bad_tool = {"type": "function", "function": {"name": "get weather", "parameters": {"type": "object"}}}
    assert "set.json: prompts.0.tools.0.function.name: use 1-64 letters" in _error({"tools": [bad_tool]})
    assert "defined twice" in _error({"tools": [TOOL, TOOL]})
    not_object = {"type": "function", "function": {"name": "f", "parameters": {"type": "string"}}}
    assert 'prompts.0.tools.0.function.parameters: parameters must be a JSON Schema with "type"' in _error(
        {"tools": [not_object]}
    )
    assert "prompts.0.messages: message 0 is 'assistant'" in _error(
        {"messages": [{"role": "assistant", "content": "hi"}]}
    )
    assert "the last earlier message must be the assistant's" in _error(
        {"messages": [{"role": "user", "content": "hi"}]}
    )
    assert "prompts.0.response_format.json_schema.schema: not a valid JSON Schema" in _error(
        {"response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "nonsense"}}}}
    )
    assert "prompts.0.checks.0.tool_call.name: the name is missing" in _error(
        {"checks": [{"type": "tool_call"}]}
    )
    assert "Traceback" not in _error({"checks": [{"type": "tool_call_count", "value": -1}]})


def test_the_set_workload_is_inherited_and_a_prompt_may_override_it() -> None:
    data = {"workload": "tool-calls", "prompts": [{"id": "a", "prompt": "x"},
            {"id": "b", "prompt": "y", "workload": "multi-turn"}]}  # fmt: skip
    prompt_set = prompt_set_from_data(data, "set.json")
    assert [prompt_set.workload_of(p) for p in prompt_set.prompts] == ["tool-calls", "multi-turn"]
    plain = prompt_set_from_data(["plain"], "s.json")
    assert plain.workload_of(plain.prompts[0]) is None


def _stream(chunks: list[list[dict]]) -> str:
    deltas = ToolCallDeltas()
    return "".join(deltas.feed(c) for c in chunks) + deltas.close()


def test_streamed_deltas_assemble_into_the_calls() -> None:
    text = _stream([
        [{"index": 0, "id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}],
        [{"index": 0, "function": {"arguments": '{"ci'}}],
        [{"index": 0, "function": {"arguments": 'ty": "Oslo"}'}}],
        [{"index": 1, "id": "c2", "function": {"name": "set_timer", "arguments": ""}}],  # no arguments at all
    ])  # fmt: skip
    calls = parse_tool_calls(text).calls
    assert [(c.name, c.arguments) for c in calls] == [("get_weather", {"city": "Oslo"}), ("set_timer", {})]
    whole = whole_message_text({"tool_calls": [
        {"function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}},
        {"function": {"name": "set_timer", "arguments": {}}}]})  # fmt: skip
    assert parse_tool_calls(whole).calls == calls  # non-streamed: the same text, the same calls


@pytest.mark.parametrize(
    "answer",
    [
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>',
        '{"name": "get_weather", "arguments": {"city": "Oslo"}}',
        '[{"name": "get_weather", "parameters": {"city": "Oslo"}}]',
        '[TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "Oslo"}}]',
        '```json\n{"name": "get_weather", "arguments": "{\\"city\\": \\"Oslo\\"}"}\n```',
        '{"tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}]}',
    ],
)
def test_every_form_a_model_writes_is_read(answer: str) -> None:
    parsed = parse_tool_calls(answer)
    assert not parsed.unparsed
    assert [(c.name, c.arguments) for c in parsed.calls] == [("get_weather", {"city": "Oslo"})]


def test_checks_on_calls_and_the_unparsed_rate() -> None:
    right = (
        '<tool_call>{"name": "get_weather", "arguments": {"city": "oslo ", "unit": "celsius"}}</tool_call>'
    )
    check = ToolCallCheck(type="tool_call", name="get_weather", arguments={"city": "Oslo"}, ignore_case=True)
    assert evaluate(right, check).passed is True
    assert evaluate(right, check.model_copy(update={"ignore_case": False})).passed is False
    assert evaluate(right, check.model_copy(update={"exact": True})).passed is False  # unit is extra
    assert evaluate(right.replace("get_weather", "get_time"), check).passed is False
    numbers = ToolCallCheck(type="tool_call", name="set_timer", arguments={"minutes": 5})
    assert evaluate('{"name": "set_timer", "arguments": {"minutes": 5.0}}', numbers).passed is True
    assert evaluate('{"name": "set_timer", "arguments": {"minutes": "5"}}', numbers).passed is False
    assert evaluate('{"name": "set_timer", "arguments": {"minutes": true}}', numbers).passed is False
    none = NoToolCallCheck(type="no_tool_call")
    assert evaluate("Ottawa.", none).passed is True
    assert evaluate(right, none).passed is False
    broken = '<tool_call>{"name": "get_weather", "arguments": {"city": }</tool_call>'
    verdict = evaluate(broken, none)
    assert verdict.passed is False and verdict.detail.startswith("unparsed")  # tried to call: not "no call"
    two = ToolCallCountCheck(type="tool_call_count", value=2)
    assert evaluate(right + right, two).passed is True and evaluate(right, two).passed is False
    assert unparsed_rate([right, broken, "Ottawa.", json.dumps({"name": 3, "arguments": {}})]) == (2, 4)
