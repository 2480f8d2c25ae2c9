"""Prompts & rubrics: create, edit, import and export prompt sets and rubric sets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import streamlit as st

from bench.errors import BenchError
from bench.inputs import prompt_formats, user_files
from bench.inputs.config import PromptSet, prompt_set_from_data, read_json
from rubrics import schema as rubric_schema
from ui import editing
from ui.errors import show_error, upload_json
from ui.routing import require_router

require_router()

NEW = "— new empty set —"


def _load_into(kind: str, data: dict[str, Any], origin: str) -> None:
    """Put a set into the editor (a new editor key, so the table starts from it)."""
    st.session_state[f"{kind}_data"] = data
    st.session_state[f"{kind}_origin"] = origin
    st.session_state[f"{kind}_version"] = st.session_state.get(f"{kind}_version", 0) + 1
    st.session_state[f"{kind}_name"] = data.get("name", "")
    st.session_state[f"{kind}_description"] = data.get("description", "")
    if origin.startswith("uploaded "):  # the picker names what is open: the uploaded set
        label = f"{data.get('name') or Path(origin.removeprefix('uploaded ')).stem} (uploaded)"
        st.session_state[f"{kind}_uploaded"] = {"label": label, "data": data, "origin": origin}
        st.session_state[f"{kind}_open"] = label


def _open_selected(kind: str) -> None:
    label = st.session_state[f"{kind}_open"]
    uploaded = st.session_state.get(f"{kind}_uploaded") or {}
    if label == uploaded.get("label"):
        _load_into(kind, uploaded["data"], uploaded["origin"])
        return
    if label == NEW:
        empty = {"name": "my-prompts", "description": "", "prompts": []}
        if kind == "rubrics":
            empty = {"name": "my-rubric", "description": "", "aspects": []}
        _load_into(kind, empty, "new")
        return
    path = user_files.set_files(kind)[label]
    try:
        raw = read_json(path, "prompt" if kind == "prompts" else "rubric")
        if kind == "prompts":
            data = prompt_set_from_data(raw, str(path), name=path.stem).model_dump(exclude_none=True)
        elif rubric_schema is not None:
            data = rubric_schema.rubric_set_from_data(raw, str(path), name=path.stem).model_dump()
        else:
            data = raw
    except BenchError as exc:
        st.session_state[f"{kind}_load_error"] = exc.message
        return
    st.session_state.pop(f"{kind}_load_error", None)
    _load_into(kind, data, str(path))


def _ensure_loaded(kind: str) -> None:
    if f"{kind}_data" not in st.session_state:
        files = user_files.set_files(kind)
        first = next((label for label in files if label.startswith("workshop")), next(iter(files), NEW))
        st.session_state[f"{kind}_open"] = first
        _open_selected(kind)
        if f"{kind}_data" not in st.session_state:
            st.session_state[f"{kind}_open"] = NEW
            _open_selected(kind)


def _import_upload(kind: str) -> None:
    upload = st.session_state.get(f"{kind}_upload")
    if upload is None:
        return
    name = Path(upload.name).stem
    try:
        if kind == "prompts" and Path(upload.name).suffix.lower() in (".jsonl", ".csv"):
            parsed = prompt_formats.parse_prompt_bytes(upload.getvalue(), upload.name)
            st.session_state.pop(f"{kind}_load_error", None)
            _load_into(kind, parsed.model_dump(exclude_none=True), f"uploaded {upload.name}")
            return
        raw = upload_json(upload.getvalue(), upload.name)
        if kind == "prompts":
            data = prompt_set_from_data(raw, upload.name, name=name).model_dump(exclude_none=True)
        else:
            data = rubric_schema.rubric_set_from_data(raw, upload.name, name=name).model_dump()
    except BenchError as exc:
        st.session_state[f"{kind}_load_error"] = exc.message
        return
    st.session_state.pop(f"{kind}_load_error", None)
    _load_into(kind, data, f"uploaded {upload.name}")


def _source_bar(kind: str, what: str) -> None:
    files = user_files.set_files(kind)
    uploaded = (st.session_state.get(f"{kind}_uploaded") or {}).get("label")
    c1, c2 = st.columns([2, 3])
    c1.selectbox(
        f"Open a {what}",
        [*files, *([uploaded] if uploaded else []), NEW],
        key=f"{kind}_open",
        on_change=_open_selected,
        args=(kind,),
        help=f"Built-in sets ship with SLM Bench; yours are saved in `{(user_files.user_prompts_dir() if kind == 'prompts' else user_files.user_rubrics_dir())}`.",
    )
    c2.file_uploader(
        f"…or import a {what} ({'JSON, JSONL or CSV' if kind == 'prompts' else 'JSON'})",
        type=["json", "jsonl", "csv"] if kind == "prompts" else ["json"],
        key=f"{kind}_upload",
        on_change=_import_upload,
        args=(kind,),
        help=(
            "JSON (the workshop's bare list of prompt strings works too), JSONL (one prompt object per line) or"
            " CSV (columns id,prompt[,system,reference,aspects])"
        )
        if kind == "prompts"
        else None,
    )
    if st.session_state.get(f"{kind}_load_error"):
        show_error(st.session_state[f"{kind}_load_error"], title=f"That {what} was not loaded.")
    origin = st.session_state.get(f"{kind}_origin", "")
    if origin and origin != "new":
        builtin = origin.endswith(".json") and user_files.is_builtin(Path(origin))
        st.caption(
            f"Editing a copy of `{origin}`"
            + (" (built-in: saving writes your own copy, the original stays as shipped)." if builtin else ".")
        )


def _show_problems(problems: list[editing.CellError], what: str) -> None:
    lines = "\n".join(f"- {p}" for p in problems)
    st.error(f"**This {what} is not valid yet — fix these cells:**\n\n{lines}", icon=":material/error:")


def _save_and_export(kind: str, data: dict[str, Any], what: str) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    c1, c2, _ = st.columns([1, 1, 2])
    if c1.button(f"Save {what}", type="primary", icon=":material/save:", key=f"{kind}_save"):
        try:
            path = user_files.save_set(kind, data["name"], data)
        except BenchError as exc:
            show_error(exc, title="Not saved.")
        else:
            st.session_state[f"{kind}_origin"] = str(path)
            st.toast(f"Saved {path}", icon=":material/check_circle:")
    c2.download_button(
        "Export JSON",
        data=text,
        file_name=f"{data['name'] or kind}.json",
        mime="application/json",
        icon=":material/file_download:",
        key=f"{kind}_export",
        on_click="ignore",
    )


def _export_datasets(prompt_set: PromptSet) -> None:
    """JSONL keeps the checks; CSV holds id, prompt, system, reference and aspects only."""
    c1, c2, _ = st.columns([1, 1, 2])
    c1.download_button(
        "Export JSONL",
        data=prompt_formats.to_jsonl(prompt_set),
        file_name=f"{prompt_set.name}.jsonl",
        mime="application/jsonl",
        icon=":material/file_download:",
        key="prompts_export_jsonl",
        on_click="ignore",
    )
    c2.download_button(
        "Export CSV",
        data=prompt_formats.to_csv(prompt_set),
        file_name=f"{prompt_set.name}.csv",
        mime="text/csv",
        icon=":material/file_download:",
        key="prompts_export_csv",
        on_click="ignore",
        help="Checks do not fit a CSV cell: they stay in the JSON and JSONL exports.",
    )


def _keep_checks(candidate: dict[str, Any], loaded: dict[str, Any]) -> int:
    """The table has no checks column: give each prompt back the checks it was loaded with (by id)."""
    checks = {p.get("id"): p.get("checks") for p in loaded.get("prompts", []) if p.get("checks")}
    kept = 0
    for item in candidate["prompts"]:
        if checks.get(item["id"]):
            item["checks"] = checks[item["id"]]
            kept += 1
    if loaded.get("allow_code_execution"):
        candidate["allow_code_execution"] = True
    return kept


def _name_check(name: str, what: str) -> None:
    """Refuse a name that cannot be a file name while it is typed, not only at Save."""
    try:
        user_files.safe_file_name(name, what)
    except BenchError as exc:
        show_error(exc, title=f"This {what} cannot be saved under that name.")


def _renumber(kind: str, data: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """Reload the editor with every row (blank ones too) numbered 1..n; keep what the table lacks."""
    key = "prompts" if kind == "prompts" else "aspects"
    extra = {item.get("id"): item for item in data.get(key, []) if item.get("id")}
    st.session_state[f"{kind}_data"] = {**data, key: [{**extra.get(r["id"], {}), **r} for r in rows]}
    st.session_state[f"{kind}_version"] = st.session_state.get(f"{kind}_version", 0) + 1
    st.rerun()


def _best_rubric(prompt_set: PromptSet, sets: dict[str, Path]) -> int:
    """The rubric set named like the prompt set, else the one that defines most of its aspects."""
    names = list(sets)
    for i, label in enumerate(names):
        if label.split(" (")[0] == prompt_set.name:
            return i
    wanted = {a for p in prompt_set.prompts for a in p.aspects}
    best, best_known = 0, -1
    for i, label in enumerate(names):
        try:
            known = len(wanted & set(rubric_schema.load_rubric_set(sets[label]).aspect_ids()))
        except BenchError:
            continue
        if known > best_known:
            best, best_known = i, known
    return best


st.title("Prompts & rubrics")
st.caption(
    "A prompt set is what every model answers; a rubric set says how answers are graded — aspects, each with a "
    "description and one anchor sentence per score 1–5, so a 4 means the same thing to every grader."
)
tab_prompts, tab_rubrics = st.tabs([":material/chat: Prompt sets", ":material/checklist: Rubric sets"])

# ---- prompt sets -----------------------------------------------------------------------------------
with tab_prompts:
    _ensure_loaded("prompts")
    _source_bar("prompts", "prompt set")
    data = st.session_state["prompts_data"]
    c1, c2 = st.columns([1, 2])
    name = c1.text_input("Name", key="prompts_name", help="Also the file name when saved.")
    description = c2.text_input("Description", key="prompts_description")
    _name_check(name, "prompt set")
    table = st.data_editor(
        editing.prompt_table(data),
        key=f"prompts_editor_{st.session_state['prompts_version']}",
        num_rows="dynamic",
        hide_index=False,
        width="stretch",
        column_config={
            "id": st.column_config.TextColumn(
                "id", help="Unique; letters, digits and . _ : - (blank: p<row>)", width="small"
            ),
            "prompt": st.column_config.TextColumn("prompt", help="What the model is asked", width="large"),
            "aspects": st.column_config.TextColumn(
                "aspects", help="Rubric aspect ids that apply, comma-separated (e.g. accuracy, concision)"
            ),
            "system": st.column_config.TextColumn("system", help="Optional system message"),
            "reference": st.column_config.TextColumn(
                "reference", help="Optional reference answer for graders"
            ),
        },
    )
    if editing.unnumbered(table):  # added or deleted rows: renumber 1..n so errors name visible rows
        _renumber("prompts", data, editing.prompt_rows(table))
    candidate, notes = editing.prompt_data(name, description, table)
    with_checks = _keep_checks(candidate, data)
    rows = editing.kept_rows(table, editing.PROMPT_COLUMNS)
    try:
        prompt_set = prompt_set_from_data(candidate, "prompt set", name=candidate["name"])
    except BenchError as exc:
        ids = [p["id"] for p in candidate["prompts"]]
        _show_problems(editing.cell_errors(exc, "prompts", rows, ids), "prompt set")
    else:
        st.success(f"Valid: {len(prompt_set.prompts)} prompts.", icon=":material/check_circle:")
        for note in notes:
            st.caption(note)
        if with_checks:
            from bench.quality.checks.consent import code_consent_note

            kinds = sorted({c.type for p in prompt_set.prompts for c in p.checks})
            code = code_consent_note(prompt_set)
            st.caption(
                f"{with_checks} prompts carry task checks ({', '.join(kinds)}), kept as loaded; edit them in the"
                f" JSON or JSONL file. Runs evaluate them when they end (`python -m bench checks RUN`).{code}"
            )
        if rubric_schema is not None:
            sets = user_files.set_files("rubrics")
            if sets and not any(p.aspects for p in prompt_set.prompts):
                st.caption(
                    "No prompt names a rubric aspect: graders will score every aspect of the rubric set they pick."
                )
            elif sets:
                pick = st.selectbox(
                    "Check the aspects against a rubric set",
                    list(sets),
                    index=_best_rubric(prompt_set, sets),
                    key=f"prompts_rubric_check_{st.session_state['prompts_version']}",
                    help="Preselected: the rubric set named like this prompt set, else the one that defines the "
                    "most of its aspects.",
                )
                try:
                    rubric_set = rubric_schema.load_rubric_set(sets[pick])
                    missing = rubric_schema.unknown_aspects(prompt_set.prompts, rubric_set)
                except BenchError as exc:
                    show_error(exc)
                else:
                    if missing:
                        lines = "\n".join(
                            f"- row {rows[[p.id for p in prompt_set.prompts].index(pid)]}, column `aspects`: "
                            f"{', '.join(f'`{a}`' for a in aspects)} not in that rubric set"
                            for pid, aspects in missing.items()
                        )
                        st.warning(
                            f"Graders can only score aspects the rubric defines ({', '.join(rubric_set.aspect_ids())}):\n\n{lines}"
                        )
                    else:
                        st.caption(f"Every aspect is defined in {pick}.")
        _save_and_export("prompts", prompt_set.model_dump(exclude_none=True), "prompt set")
        _export_datasets(prompt_set)

# ---- rubric sets -----------------------------------------------------------------------------------
with tab_rubrics:
    _ensure_loaded("rubrics")
    _source_bar("rubrics", "rubric set")
    data = st.session_state["rubrics_data"]
    c1, c2 = st.columns([1, 2])
    name = c1.text_input("Name", key="rubrics_name", help="Also the file name when saved.")
    description = c2.text_input("Description", key="rubrics_description")
    _name_check(name, "rubric set")
    anchor_help = {
        1: "What an answer that deserves 1 (the worst) looks like",
        3: "What a middling answer looks like",
        5: "What an answer that deserves 5 (the best) looks like",
    }
    table = st.data_editor(
        editing.rubric_table(data),
        key=f"rubrics_editor_{st.session_state['rubrics_version']}",
        num_rows="dynamic",
        hide_index=False,
        width="stretch",
        column_config={
            "id": st.column_config.TextColumn("id", help="Aspect id that prompts refer to", width="small"),
            "name": st.column_config.TextColumn("name", width="small"),
            "description": st.column_config.TextColumn("description", help="What this aspect grades"),
            **{
                f"anchor_{s}": st.column_config.TextColumn(
                    f"score {s}", help=anchor_help.get(s, f"What an answer that deserves {s} looks like")
                )
                for s in range(1, 6)
            },
        },
    )
    if editing.unnumbered(table):  # added or deleted rows: renumber 1..n so errors name visible rows
        _renumber("rubrics", data, editing.rubric_rows(table))
    candidate = editing.rubric_data(name, description, table)
    rows = editing.kept_rows(table, editing.RUBRIC_COLUMNS)
    try:
        rubric_set = rubric_schema.rubric_set_from_data(
            candidate, "rubric set", name=candidate["name"] or "rubric"
        )
    except BenchError as exc:
        ids = [a["id"] for a in candidate["aspects"]]
        _show_problems(editing.cell_errors(exc, "aspects", rows, ids), "rubric set")
    else:
        st.success(
            f"Valid: {len(rubric_set.aspects)} aspects, each with 5 anchors.",
            icon=":material/check_circle:",
        )
        with st.expander("Preview as graders and the judge see it"):
            for aspect in rubric_set.aspects:
                st.markdown(f"**{aspect.name}** (`{aspect.id}`) — {aspect.description}")
                st.markdown("\n".join(f"{score}. {text}" for score, text in aspect.levels()))
        _save_and_export("rubrics", rubric_set.model_dump(), "rubric set")
