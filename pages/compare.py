"""Compare: a base run against a new run, each metric's change with its 95% interval and a verdict."""

from __future__ import annotations

import streamlit as st

from bench.compare import changes as cmp
from bench.errors import BenchError
from bench.measure import machine
from bench.report.compare_charts import change_chart
from ui.errors import show_error
from ui.resources import store
from ui.routing import require_router
from ui.runs import newest_usable, run_label

require_router()

st.title("Compare")
st.caption(
    "Before/after a runtime update, CPU vs GPU, laptop vs edge box: the same models in two runs, metric by metric."
)

runs = store().list_runs(200)
if len(runs) < 2:
    st.info("Compare needs two stored runs. Run the same models twice on **Run**.", icon=":material/info:")
    st.page_link("pages/run.py", label="Run a benchmark", icon=":material/play_circle:")
    st.stop()

machines = {r["id"]: machine.of_run(r) for r in runs}
labels = {r["id"]: f"{run_label(r)} · {machines[r['id']]['label']}" for r in runs}
ids = list(labels)
default_new, default_base = newest_usable(runs, 2)  # cancelled or empty runs only when picked
c1, c2 = st.columns(2)
base = c1.selectbox(
    "Base run (before)", ids, index=ids.index(default_base), format_func=labels.get, key="compare_base"
)
new = c2.selectbox(
    "New run (after)", ids, index=ids.index(default_new), format_func=labels.get, key="compare_new"
)
if base == new:
    st.warning("Pick two different runs.", icon=":material/warning:")
    st.stop()

accept = st.checkbox(
    "Compare even if the runs were measured differently",
    key="compare_accept",
    help="Runs with other settings, prompts, backend or machine get no verdict unless you accept the difference.",
)
try:
    comparison = cmp.compare_runs(store(), base, new, accept_differences=accept)
except BenchError as exc:
    show_error(exc)
    st.stop()
for line in comparison.difference_lines()[1:]:
    st.warning(line, icon=":material/compare_arrows:")
if comparison.differences:
    st.caption(comparison.difference_lines()[0])

for line in cmp.only_lines(comparison):
    st.info(line, icon=":material/info:")
if not comparison.rows:
    st.warning("No model is in both runs: nothing to compare.", icon=":material/warning:")
    st.stop()

worse = [r for r in comparison.rows if r.verdict == cmp.WORSE]
better = [r for r in comparison.rows if r.verdict == cmp.BETTER]
if worse:
    st.error(
        "Worse with 95% confidence: " + "; ".join(f"{r.model} {r.label} {r.pct:+.1f}%" for r in worse),
        icon=":material/trending_down:",
    )
if better:
    st.success(
        "Better with 95% confidence: " + "; ".join(f"{r.model} {r.label} {r.pct:+.1f}%" for r in better),
        icon=":material/trending_up:",
    )
unmeasured = sorted({r.label for r in comparison.rows if r.verdict in (cmp.NO_INTERVAL, cmp.TOO_FEW)})
measured = sorted({r.label for r in comparison.rows} - set(unmeasured))
if not worse and not better and measured:  # "no change" only where an interval was drawn
    where = "any metric" if not unmeasured else ", ".join(measured)
    rest = f" Too few samples or one value each for: {', '.join(unmeasured)}." if unmeasured else ""
    st.info(f"No detectable change on {where}.{rest}", icon=":material/check_circle:")
elif not measured:  # no interval anywhere: "no change" would claim what was never measured
    st.warning(
        "No metric has an interval in both runs (too few requests, or nothing measured): no change can be told "
        "from noise. Pick completed runs with more requests.",
        icon=":material/warning:",
    )

st.subheader("Each change with its 95% interval")
st.altair_chart(change_chart(comparison), use_container_width=True)
st.caption(cmp.method_note())

st.subheader("The numbers")
rows = [
    {**row, "metric": r.label} for row, r in zip(cmp.table_rows(comparison), comparison.rows, strict=True)
]
codes = ", ".join(f"{label} = {code}" for code, (label, *_rest) in cmp.METRICS.items())
if machines[base]["machine_id"] != machines[new]["machine_id"]:
    hosts = f"differ: {machines[base].get('hostname', '?')} → {machines[new].get('hostname', '?')}"
    rows = [{**row, "machines": hosts} for row in rows]
    st.warning(
        f"Different machines: base ran on **{machines[base]['label']}**, new on **{machines[new]['label']}**."
        " Each change includes the change of machine.",
        icon=":material/devices:",
    )
st.dataframe(
    rows,
    hide_index=True,
    width="stretch",
    column_config={"metric": st.column_config.TextColumn(help=f"Code names (exports, --fail-on): {codes}")},
)
st.download_button(
    "Download as Markdown",
    cmp.markdown(comparison),
    file_name=f"compare_{base}_{new}.md",
    mime="text/markdown",
    key="compare_md",
)
st.download_button(
    "Download as JSON", cmp.to_json(comparison), file_name=f"compare_{base}_{new}.json", key="compare_json"
)
