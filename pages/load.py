"""Load: how many concurrent requests a server holds within its latency targets.

Shows a stored load run (``python -m bench load``): the throughput-latency curve, one point per
level, the capacity ringed, and every level's numbers with the n behind them.
"""

from __future__ import annotations

import streamlit as st

from bench.errors import BenchError
from bench.load.run import capacity_of, load_results, load_run_ids
from bench.report.load_charts import LATENCIES, level_frame, throughput_latency
from ui.errors import show_error
from ui.resources import store
from ui.routing import require_router
from ui.tables import show_table

require_router()

st.title("Load and capacity")
st.caption(
    "Requests sent to an OpenAI-compatible server at rising load (concurrency or a Poisson rate), level by"
    " level, until it saturates. **Capacity** = the highest level whose percentiles met every SLO, with every"
    " lower level meeting them too."
)

COMMAND = (
    "python -m bench load --endpoint http://127.0.0.1:5273/v1 --models MODEL --prompts workshop \\\n"
    "    --concurrency 1,2,4,8,16 --duration 60s --slo ttft_p95=0.5s,itl_p95=50ms,e2e_p95=5s"
)

try:
    ids = load_run_ids(store())
except BenchError as exc:
    show_error(exc)
    st.stop()

if not ids:
    st.info("No load run in the store yet. Start one from a terminal:", icon=":material/info:")
    st.code(COMMAND, language="bash")
    st.stop()

runs = {r: store().get_run(r) for r in ids}
run_id = st.selectbox(
    "Load run",
    ids,
    format_func=lambda r: f"{r} · {runs[r]['label']} · {runs[r]['status']}",
    key="load_run",
)
run = runs[run_id]
spec = run["meta"].get("load", {})
results = load_results(store(), run_id)
machine = run["meta"].get("machine", {}).get("label", "machine not recorded")
st.caption(
    f"{spec.get('kind', '?')} levels {', '.join(f'{v:g}' for v in spec.get('levels', []))} against"
    f" `{spec.get('endpoint', '?')}` · max tokens {spec.get('max_tokens', '?')} · on {machine}"
)

caps = {model: capacity_of(levels) for model, levels in results.items()}
for col, (model, cap) in zip(st.columns(max(1, len(caps))), caps.items(), strict=False):
    col.metric(
        f"Capacity · {model}",
        cap.get("level") or "none",
        help=cap.get("reason"),
        border=True,
    )
    col.caption(cap.get("reason", ""))

slos = spec.get("slos") or []
c1, c2 = st.columns(2)
latency = c1.selectbox("Latency", list(LATENCIES), format_func=LATENCIES.get, key="load_latency")
# the table's percentiles and any other one an SLO named (e.g. ttft_p75), in order
choices = sorted(
    {"p50", "p90", "p95", "p99", *(f"p{s['percentile']}" for s in slos)}, key=lambda p: int(p[1:])
)
pct = c2.selectbox("Percentile", choices, index=choices.index("p95"), key="load_pct")
target = next((s["limit_s"] * 1000 for s in slos if s["name"] == f"{latency}_{pct}"), None)
frame = level_frame(results, latency, pct)
st.altair_chart(
    throughput_latency(frame, {m: c.get("level") for m, c in caps.items()}, latency, pct, target),
    use_container_width=True,
)
st.caption(
    "Each point is one level (its label); the ring marks the capacity"
    + (f"; the dashed line is the SLO ({latency}_{pct} <= {target:g} ms)" if target is not None else "")
    + ". Latency percentiles are over the level's successful requests (n in the table and tooltip)."
)

table = frame.rename(
    columns={
        "requests_per_s": "requests/s",
        "output_tokens_per_s": "output tok/s",
        "latency_ms": f"{latency} {pct} (ms)",
        "n": "n (ok)",
        "error_rate": "errors",
        "goodput_per_s": "goodput/s",
        "meets_slo": "SLOs",
        "send_lag_p99_ms": "send lag p99 (ms)",
        "energy_j_per_token": "J / output token",
    }
)
show_table(table.drop(columns=["load"]))  # rounded to its precision, "—" where not measured
st.caption(
    "Goodput counts only requests that met every per-request target. Errors count failed and cut-short"
    " (incomplete) requests. Send lag is the time between when a request was due and when its bytes left"
    " (after any wait for a free connection): near zero means the harness was not the bottleneck."
    " J / output token needs an energy sensor (RAPL or NVML); elsewhere it is empty, never estimated."
)
with st.expander("Run another load test"):
    st.code(COMMAND, language="bash")
