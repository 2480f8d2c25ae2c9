"""Results' "Machine, energy and cost" panel: where each run ran, joules per request and per output
token (n and the sensor shown; "n/a: no energy sensor" where there is none) and the cost estimate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from bench.measure import machine
from ui.lazy import opened
from ui.resources import store
from ui.tables import show_table


def energy_panel(run_ids: list[str], rows: Mapping[str, dict[str, Any]]) -> None:
    """``rows``: the results layer's energy and cost (``Results.energy``), computed once with the runs:
    reading 10,000 samples again here cost the page 0.3 s."""
    box = opened("Machine, energy and cost", key="results_energy_open", icon=":material/bolt:")
    if box is None:
        return  # filled only while open (ui.lazy): two data grids a new tab would draw hidden
    with box:
        runs = [store().get_run(r) for r in run_ids]
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "run": r["id"],
                        **machine.machine_columns(machine.of_run(r, store().run_models(r["id"]))),
                    }
                    for r in runs
                    if r
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        frame = pd.DataFrame(
            [
                {
                    "run/model": key,
                    "J per request": r["per_request_j"],
                    "J per output token": r["per_token_j"],
                    "n": r["n"],
                    "energy source": r["source"],
                    "output tok/s": r["tokens_per_s"],
                    "cost per 1k tokens (estimate)": r["cost_per_1k_tokens"],
                    "cost basis": r["cost_basis"],
                }
                for key, r in rows.items()
            ]
        )
        show_table(frame)  # "—" where no sensor or price gave a number, never "None"
        st.caption(
            "Joules: what the machine drew while each request ran (RAPL / NVML counters). Cost: an estimate from"
            " the price you set in SLM_BENCH_PRICE_PER_HOUR, or SLM_BENCH_PRICE_PER_KWH (with measured joules, else"
            " SLM_BENCH_WATTS)."
        )
