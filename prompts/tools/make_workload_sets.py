"""Write prompts/tool-calls.json, prompts/json-output.json and prompts/multi-turn.json from the tables here.

Why a script: the sets repeat structure (the same tool definitions in many cases, the same schema in
the response format and in the check, each conversation turn repeating the turns before it), and a
table is easier to review than the JSON it expands to. The cases were written for SLM Bench.

- tool-calls: tool definitions in the OpenAI ``tools`` format; cases that need one call, none, or two.
- json-output: the ``extraction`` set's prompts with the same schema sent as ``response_format``
  (``json_schema``), so a run of both sets is the same prompts with and without constrained decoding.
- multi-turn: conversations of 4 to 8 turns; each turn is a prompt whose ``messages`` hold the turns
  before it (scripted assistant replies, so every model continues the same conversation).

Run: ``.venv/bin/python prompts/tools/make_workload_sets.py``
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from multi_turn_cases import CONVERSATIONS  # type: ignore[import-not-found]
from tool_cases import CASES, TOOLS  # type: ignore[import-not-found]

ROOT = Path(__file__).resolve().parents[2]
TOOL_SYSTEM = (
    "You are an assistant inside an app. Call the app's functions when one fits the request; "
    "when none fits, answer in plain words without calling anything."
)


def _call_text(name: str, args: dict[str, Any]) -> str:
    return f'<tool_call>{{"name": {json.dumps(name)}, "arguments": {json.dumps(args)}}}</tool_call>'


def tool_calls() -> dict[str, Any]:
    prompts = []
    for case_id, tools, text, calls, reference_prose in CASES:
        checks: list[dict[str, Any]] = [{"type": "tool_call_count", "value": len(calls)}]
        if not calls:
            checks = [{"type": "no_tool_call"}]
        for name, args in calls:  # any order: with the count, two checks need two different calls
            checks.append({"type": "tool_call", "name": name, "arguments": args, "ignore_case": True})
        reference = "".join(_call_text(n, a) for n, a in calls) if calls else reference_prose
        prompts.append({
            "id": case_id, "system": TOOL_SYSTEM, "prompt": text, "reference": reference,
            "tools": [{"type": "function", "function": TOOLS[t]} for t in tools], "checks": checks,
        })  # fmt: skip
    return {
        "name": "tool-calls",
        "workload": "tool-calls",
        "description": (
            f"{len(prompts)} requests to an app with OpenAI-format tools: the right function and arguments,"
            " no call when no tool fits, two calls when two are needed; scored on the returned calls."
            " Written for SLM Bench."
        ),
        "prompts": prompts,
    }


def json_output() -> dict[str, Any]:
    source = json.loads((ROOT / "prompts" / "extraction.json").read_text(encoding="utf-8"))
    prompts = []
    for item in source["prompts"]:
        schema = next(c["schema"] for c in item["checks"] if c["type"] == "json_schema")
        name = item["id"].replace("-", "_")
        prompts.append(item | {"response_format": {"type": "json_schema", "json_schema": {
            "name": name, "schema": schema, "strict": True}}})  # fmt: skip
    return {
        "name": "json-output",
        "workload": "json-output",
        "description": (
            "The extraction set's prompts sent with response_format json_schema (constrained decoding where"
            " the backend offers it): valid JSON, the schema and the values are checked. Run `extraction`"
            " too to see the speed cost of the constraint on the same prompts. Written for SLM Bench."
        ),
        "prompts": prompts,
    }


def multi_turn() -> dict[str, Any]:
    prompts = []
    for conv_id, system, turns in CONVERSATIONS:
        history: list[dict[str, str]] = []
        for n, (user, reply, checks) in enumerate(turns, start=1):
            item = {"id": f"{conv_id}-t{n}", "system": system, "prompt": user, "reference": reply}
            prompts.append(item | {"messages": list(history), "checks": checks})
            history += [{"role": "user", "content": user}, {"role": "assistant", "content": reply}]
    return {
        "name": "multi-turn",
        "workload": "multi-turn",
        "description": (
            "Conversations of 4 to 8 turns sent as growing message lists (scripted earlier replies): TTFT"
            " and cached prompt tokens per turn; checks on what the last answers must remember."
            " Written for SLM Bench."
        ),
        "prompts": prompts,
    }


def main() -> None:
    for name, build in (("tool-calls", tool_calls), ("json-output", json_output), ("multi-turn", multi_turn)):
        data = build()
        out = ROOT / "prompts" / f"{name}.json"
        out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{out.relative_to(ROOT)}: {len(data['prompts'])} prompts")


if __name__ == "__main__":
    main()
