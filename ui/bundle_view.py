"""Run bundles on the Report page: download the selected runs as one file, import a file."""

from __future__ import annotations

import streamlit as st

from bench.errors import BenchError
from bench.store import bundle
from ui.errors import show_error
from ui.resources import store


def import_panel() -> None:
    """Upload a bundle made on another machine and add its runs to this store (idempotent)."""
    with st.expander("Import a run bundle from another machine", icon=":material/upload:"):
        upload = st.file_uploader("Run bundle (.slmbundle)", key="bundle_upload")
        if upload is not None and st.button("Import", key="bundle_import", icon=":material/upload:"):
            try:
                counts = bundle.import_bytes(store(), upload.getvalue(), upload.name)
            except BenchError as exc:
                show_error(exc, title="The bundle was not imported; nothing was written.")
                return
            new = sum(c["new"] for c in counts.values())
            kept = sum(c["kept"] for c in counts.values())
            runs = counts.get("runs", {}).get("new", 0)
            st.success(
                f"Imported {runs} new run(s), {new} new rows; {kept} were already here and left as they were."
            )
        st.caption("From the command line: `python -m bench import FILE [--db postgresql://USER@HOST/DB]`.")


def export_button(run_ids: list[str]) -> None:
    """A download of the selected runs with everything that belongs to them."""
    try:
        data = bundle.bundle_bytes(store(), run_ids)
    except BenchError as exc:
        show_error(exc, title="The run bundle could not be made.")
        return
    st.download_button(
        "Download run bundle",
        data=data,
        file_name=f"{'_'.join(run_ids)[:80]}.slmbundle",
        mime="application/gzip",
        icon=":material/inventory_2:",
        key="report_dl_bundle",
        on_click="ignore",
        help="Settings, prompts, samples, answers, annotations, judgments and the machine of the selected runs,"
        " with checksums: import it into another store (app or `python -m bench import`).",
    )
