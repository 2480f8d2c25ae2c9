"""Prompt sets from JSON, JSONL and CSV: the same set survives a round trip; bad lines name file:line: field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.inputs.config import PromptItem, PromptSet, load_prompt_set, resolve_prompt_set
from bench.inputs.prompt_formats import parse_prompt_bytes, to_csv, to_jsonl

SET = PromptSet(
    name="mixed",
    prompts=[
        PromptItem(id="capital", prompt="Capital of France?", reference="Paris", aspects=["accuracy"]),
        PromptItem(
            id="json",
            prompt='Give {"a": 1} back,\n"quoted", with a comma',
            system="Reply with JSON only.",
            checks=[
                {"type": "json_schema", "schema": {"type": "object", "required": ["a"]}},
                {"type": "equals", "field": "a", "value": "1"},
                {"type": "regex", "pattern": r"\b1\b", "ignore_case": True},
            ],
        ),
    ],
)


def _error(path: Path) -> str:
    with pytest.raises(BenchError) as info:
        load_prompt_set(path)
    return info.value.message


def test_jsonl_round_trip_keeps_checks(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(to_jsonl(SET), encoding="utf-8")
    loaded = load_prompt_set(path)
    assert loaded.name == "mixed"
    assert loaded.prompts == SET.prompts
    assert len(path.read_text().splitlines()) == 2


def test_csv_round_trip_without_checks(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(to_csv(SET), encoding="utf-8")
    loaded = load_prompt_set(path)
    assert [p.model_dump(exclude={"checks"}) for p in loaded.prompts] == [
        p.model_dump(exclude={"checks"}) for p in SET.prompts
    ]
    assert all(not p.checks for p in loaded.prompts)


def test_resolve_finds_jsonl_and_csv_by_path(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("id,prompt\nq1,Hello?\n", encoding="utf-8")
    assert resolve_prompt_set(tmp_path / "a.csv").prompts[0].prompt == "Hello?"
    assert resolve_prompt_set("extraction").name == "extraction"  # the built-in sets resolve by name


def test_excel_csv_with_bom_and_spare_columns_order(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffprompt,ID,reference\nWhat is 2+2?,q1,4\n".encode())
    item = load_prompt_set(path).prompts[0]
    assert (item.id, item.prompt, item.reference) == ("q1", "What is 2+2?", "4")


def test_bad_jsonl_lines_are_each_named(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "ok1", "prompt": "fine"}),
        "",
        json.dumps({"id": "no-prompt"}),
        '{"id": "broken", "prompt": }',
        json.dumps({"id": "ok1", "prompt": "dup"}),
        json.dumps({"id": "rx", "prompt": "p", "checks": [{"type": "regex", "pattern": "("}]}),
        json.dumps({"id": "kind", "prompt": "p", "checks": [{"type": "sounds_right"}]}),
        json.dumps(["not", "an", "object"]),
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = _error(path)
    assert f"{path}:3: prompt:" in message
    assert f"{path}:4: (line): not valid JSON" in message
    assert f"{path}:5: id: prompt id 'ok1' appears twice (first on line 1)" in message
    assert f"{path}:6: checks.0.regex.pattern: not a valid regular expression" in message
    assert f"{path}:7: checks.0:" in message and "sounds_right" in message
    assert f"{path}:8: (line): expected a JSON object" in message
    assert "Traceback" not in message


def test_bad_csv_rows_name_their_first_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        'id,prompt,system\nq1,"two\nlines",\nq 2,has a space in the id,\nq3,,\nq4,too,many,cells\n',
        encoding="utf-8",
    )
    message = _error(path)
    assert f"{path}:4: id: use letters, digits" in message  # line 4: the quoted cell spans lines 2-3
    assert f"{path}:5: prompt:" in message
    assert f"{path}:6: (row): 4 cells but the header names 3" in message


def test_csv_header_problems(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("name,text,colour\na,b,c\n", encoding="utf-8")
    message = _error(path)
    assert f"{path}:1: header: no 'id' column; no 'prompt' column; unknown column 'name'" in message


def test_json_set_with_a_bad_check_names_the_field() -> None:
    raw = {"prompts": [{"id": "a", "prompt": "p", "checks": [{"type": "max_words", "value": -1}]}]}
    with pytest.raises(BenchError) as info:
        parse_prompt_bytes(json.dumps(raw).encode(), "upload.json")
    assert "upload.json: prompts.0.checks.0.max_words.value:" in info.value.message


def test_not_utf8_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("id,prompt\nq1,caf\xe9\n".encode("latin-1"))
    assert "is not UTF-8 text" in _error(path)


# ---- the Prompts page ------------------------------------------------------------------------------
def test_prompts_page_imports_jsonl_and_csv_and_keeps_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_app_pages import app, open_page, texts

    monkeypatch.setenv("SLM_BENCH_DB", str(tmp_path / "bench.db"))
    monkeypatch.setenv("SLM_BENCH_APP_DIR", str(tmp_path / "app"))
    at = open_page(app(), "pages/prompts.py")

    at.get("file_uploader")[0].set_value(("team.jsonl", to_jsonl(SET).encode(), "application/jsonl")).run()
    assert not at.exception and not at.error, texts(at.error)
    assert "Valid: 2 prompts." in texts(at.success)
    assert "1 prompts carry task checks (equals, json_schema, regex)" in texts(at.caption)
    labels = [b.label for b in at.get("download_button")]
    assert {"Export JSON", "Export JSONL", "Export CSV"} <= set(labels)
    at.text_input(key="prompts_name").set_value("team").run()
    at.button(key="prompts_save").click().run()
    saved = load_prompt_set(tmp_path / "app" / "prompts" / "team.json")
    assert saved.prompts == SET.prompts  # the table has no checks column, yet the checks were saved

    csv_bytes = b"id,prompt\nq1,Hello?\nq 2,Bad id\n"
    at.get("file_uploader")[0].set_value(("sheet.csv", csv_bytes, "text/csv")).run()
    assert not at.exception
    assert "sheet.csv:3: id: use letters, digits" in texts(at.error)

    at.get("file_uploader")[0].set_value(("sheet.csv", b"id,prompt\nq1,Hello?\n", "text/csv")).run()
    assert "Valid: 1 prompts." in texts(at.success)


def test_prompts_page_opens_a_builtin_task_set_with_its_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_app_pages import app, open_page, texts

    monkeypatch.setenv("SLM_BENCH_DB", str(tmp_path / "bench.db"))
    monkeypatch.setenv("SLM_BENCH_APP_DIR", str(tmp_path / "app"))
    at = open_page(app(), "pages/prompts.py")
    at.selectbox(key="prompts_open").set_value("python-functions (built-in)").run()
    assert not at.exception
    assert "Valid: 25 prompts." in texts(at.success)
    assert "25 prompts carry task checks (python_tests)" in texts(at.caption)
    assert "Built-in tests: its code runs in the sandbox as shipped" in texts(at.caption)
