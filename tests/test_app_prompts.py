"""The Prompts & rubrics page (AppTest): import, edit and validate prompt and rubric sets; every error
points at the row and the field.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.app_support import (
    app,
    open_page,
    texts,
)


# ---- prompt and rubric sets ------------------------------------------------------------------------
def test_prompt_import_accepts_the_workshop_list_and_points_at_bad_rows(env: Path) -> None:
    at = open_page(app(), "pages/prompts.py")
    assert "Valid: 5 prompts." in texts(at.success)  # the built-in workshop set opens first

    uploader = at.get("file_uploader")[0]
    uploader.set_value(("bare.json", b'["Say hello.", "Name a color."]', "application/json")).run()
    assert not at.exception and not at.error, texts(at.error)
    assert "Valid: 2 prompts." in texts(at.success)
    at.text_input(key="prompts_name").set_value("team-set").run()
    at.button(key="prompts_save").click().run()
    saved = json.loads((env / "app" / "prompts" / "team-set.json").read_text())
    assert [p["prompt"] for p in saved["prompts"]] == ["Say hello.", "Name a color."]

    bad = {"prompts": [{"id": "a", "prompt": "ok"}, {"id": "b", "prompt": ""}, {"id": "a", "prompt": "dup"}]}
    at.get("file_uploader")[0].set_value(("bad.json", json.dumps(bad).encode(), "application/json")).run()
    assert not at.exception
    assert "bad.json" in texts(at.error) and "prompts.1.prompt" in texts(at.error)

    at.get("file_uploader")[0].set_value(("broken.json", b"[1, 2", "application/json")).run()
    assert "is not valid JSON" in texts(at.error)

    open_page(at, "pages/run.py")  # the saved set is offered for runs
    assert "team-set (yours)" in at.selectbox(key="run_prompt_set").options


def test_editing_a_cell_points_at_its_row_and_column(env: Path) -> None:
    at = open_page(app(), "pages/prompts.py")
    version = at.session_state["prompts_version"]
    at.session_state[f"prompts_editor_{version}"] = {
        "edited_rows": {1: {"prompt": ""}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    assert "row 2, column `prompt`" in texts(at.error)
    assert [b.key for b in at.get("download_button")] == ["rubrics_export"]  # the invalid set has none

    version = at.session_state["rubrics_version"]
    at.session_state[f"rubrics_editor_{version}"] = {
        "edited_rows": {0: {"anchor_5": ""}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert "row 1, column `score 5`" in texts(at.error)


def test_editor_errors_name_row_and_column() -> None:
    from bench.errors import BenchError
    from bench.inputs.config import prompt_set_from_data
    from rubrics import schema
    from ui import editing

    table = editing.prompt_table({"prompts": [{"id": "a", "prompt": "x"}, {"id": "b", "prompt": "y"}]})
    table.loc[2, "prompt"] = ""
    table.loc[3] = ["", "", "", "", ""]  # a blank row the editor added: ignored
    data, _ = editing.prompt_data("set", "", table)
    with pytest.raises(BenchError) as err:
        prompt_set_from_data(data, "prompt set")
    problems = editing.cell_errors(err.value, "prompts", editing.kept_rows(table, editing.PROMPT_COLUMNS))
    assert [(p.row, p.column) for p in problems] == [(2, "prompt")]

    rubric = editing.rubric_table(schema.builtin_rubric_sets()["workshop"].model_dump())
    rubric.loc[3, "anchor_4"] = " "
    with pytest.raises(BenchError) as err:
        schema.rubric_set_from_data(editing.rubric_data("r", "", rubric), "rubric set")
    problems = editing.cell_errors(err.value, "aspects", editing.kept_rows(rubric, editing.RUBRIC_COLUMNS))
    assert [str(p) for p in problems] == [
        "row 3, column `score 4`: blank: write the sentence that describes this score"
    ]


def test_rubric_tab_imports_and_validates(env: Path) -> None:
    at = open_page(app(), "pages/prompts.py")
    assert any("Valid:" in s and "aspects" in s for s in texts(at.success).splitlines())
    missing = {
        "name": "r",
        "aspects": [{"id": "tone", "name": "Tone", "description": "d", "anchors": {"1": "a", "2": "b"}}],
    }
    at.get("file_uploader")[1].set_value(("r.json", json.dumps(missing).encode(), "application/json")).run()
    assert not at.exception
    assert "aspects.0.anchors.3" in texts(at.error)
