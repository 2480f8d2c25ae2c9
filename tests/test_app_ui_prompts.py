"""The Prompts & rubrics page points at rows the user can see and checks only what makes sense.

Seen: added rows showed "None" as their number, a duplicate id named no row, a name that cannot be
a file name was refused only at Save, the workshop prompts were checked against the meeting-notes
rubric on first visit (five false warnings), the picker kept showing the old set after an upload,
and "Every aspect is defined in meeting-notes" for a set with no aspects.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("SLM_BENCH_DB", str(tmp_path / "bench.db"))
    monkeypatch.setenv("SLM_BENCH_APP_DIR", str(tmp_path / "app"))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.run()
    app.switch_page("pages/prompts.py").run()
    return ok(app)


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(elements: Any) -> str:
    return "\n".join(str(e.value) for e in elements)


def edit(at: AppTest, kind: str, **changes: Any) -> AppTest:
    version = at.session_state[f"{kind}_version"]
    at.session_state[f"{kind}_editor_{version}"] = {
        "edited_rows": changes.get("edited", {}),
        "added_rows": changes.get("added", []),
        "deleted_rows": changes.get("deleted", []),
    }
    return ok(at.run())


def test_first_visit_checks_the_workshop_prompts_against_the_workshop_rubric(at: AppTest) -> None:
    assert "workshop" in str(at.session_state["prompts_open"])
    assert not at.warning, texts(at.warning)
    assert "Every aspect is defined in workshop" in texts(at.caption)


def test_added_rows_are_renumbered_and_errors_name_them(at: AppTest) -> None:
    edit(at, "prompts", added=[{"id": "extra", "prompt": ""}])
    # the editor was reloaded with rows 1..6: the new row is row 6, not "None"
    assert "row 6, column `prompt`: the prompt is empty" in texts(at.error), texts(at.error)
    assert "None" not in texts(at.error)


def test_a_duplicate_id_names_both_rows(at: AppTest) -> None:
    edit(at, "prompts", edited={2: {"id": "capital"}})
    assert "row 3, column `id`: `capital` is already the id of row 1" in texts(at.error), texts(at.error)


def test_a_name_that_cannot_be_a_file_is_refused_as_typed(at: AppTest) -> None:
    at.text_input(key="prompts_name").set_value("my set/v2")
    ok(at.run())
    assert "cannot be used as a file name" in texts(at.error)
    assert any(b.key == "prompts_save" for b in at.button)  # nothing was clicked yet


def test_the_picker_shows_an_uploaded_set_and_a_set_without_aspects_says_so(at: AppTest) -> None:
    upload = json.dumps(["Say hello.", "Name a color."]).encode()
    at.get("file_uploader")[0].set_value(("team-notes.json", upload, "application/json"))
    ok(at.run())
    assert at.selectbox(key="prompts_open").value == "team-notes (uploaded)"
    captions = texts(at.caption)
    assert "Every aspect is defined" not in captions
    assert "No prompt names a rubric aspect" in captions
