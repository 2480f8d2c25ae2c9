"""Report: the same benchmark_report.md, samples.csv and report.json the CLI writes, with a preview."""

from __future__ import annotations

import io
import json

import pandas as pd
import streamlit as st

from bench.errors import BenchError
from bench.report import exports as report
from ui.bundle_view import export_button, import_panel
from ui.errors import show_error
from ui.resources import store
from ui.routing import require_router
from ui.runs import pick_runs
from ui.tables import show_table

require_router()

st.title("Report")
st.caption(
    "Byte for byte what `python -m bench report RUN_ID --format md|csv|json` writes: check the JSON into version "
    "control and diff it against the next run."
)
import_panel()
run_ids = pick_runs("report")
if not run_ids:
    st.stop()

try:
    with st.spinner("Rendering the reports…"):
        files = {key: (name, render(store(), run_ids)) for key, (name, render) in report.FORMATS.items()}
except BenchError as exc:
    show_error(exc, title="The report could not be made.")
    st.stop()

mime = {"md": "text/markdown", "csv": "text/csv", "json": "application/json"}
icons = {"md": ":material/description:", "csv": ":material/table:", "json": ":material/data_object:"}
cols = st.columns(3)
for col, (key, (name, text)) in zip(cols, files.items(), strict=True):
    col.download_button(
        f"Download {name}",
        data=text.encode("utf-8"),
        file_name=name,
        mime=mime[key],
        icon=icons[key],
        type="primary" if key == "md" else "secondary",
        key=f"report_dl_{key}",
        on_click="ignore",
        width="stretch",
    )
st.caption(
    f"To write them from the command line: `python -m bench report {' '.join(run_ids)} --format md --out "
    "benchmark_report.md` (and `csv`, `json`)."
)

html_key = f"report_html_{'_'.join(run_ids)}"
if st.button("Build report.html (one file with its charts, to send)", key="report_html_build",
             icon=":material/html:"):  # fmt: skip
    from bench.report.html import render_html

    with st.spinner("Drawing the charts…"):
        st.session_state[html_key] = render_html(store(), run_ids)
if html_key in st.session_state:
    st.download_button(
        "Download report.html",
        data=st.session_state[html_key].encode("utf-8"),
        file_name="report.html",
        mime="text/html",
        icon=":material/download:",
        key="report_dl_html",
        on_click="ignore",
    )
    st.caption("Self-contained: the charts are inlined as SVG, nothing is fetched when it opens.")

export_button(run_ids)

tab_md, tab_csv, tab_json = st.tabs(["benchmark_report.md", "samples.csv", "report.json"])
with tab_md, st.container(border=True):
    st.markdown(files["md"][1])
with tab_csv:
    csv_text = files["csv"][1]
    frame = pd.read_csv(io.StringIO(csv_text))
    st.caption(f"{len(frame)} requests (warm-up and failed ones included, flagged by `phase` and `ok`).")
    show_table(frame)  # the file's empty cells read "—" on screen, not "None"
with tab_json:
    st.json(json.loads(files["json"][1]), expanded=2)
