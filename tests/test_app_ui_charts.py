"""Charts keep their labels: series names wrap instead of being cut, every prompt is labelled, the
p50/p95 bars carry their own names (no black/grey swatches), ticks have the metric's precision.

Seen with two runs: "smollm2-13…" in legends, 3 of 5 prompt labels, ticks like "0.547236" and
Decide's "3.100000". The browser test (tests/test_browser.py) checks the drawn SVG for "…".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from bench.report import charts

RUNS = ["20261201-135944-cbcc", "20261201-141502-0b1c"]
MODEL = "smollm2-135m"


def _samples() -> pd.DataFrame:
    rows = []
    for run in RUNS:
        for prompt in ("capital", "explain-onnx", "python-reverse", "email-subject", "list-colors"):
            for rnd in (-1, 0, 1):
                rows.append(
                    {
                        "run_id": run, "model": MODEL, "prompt_id": prompt, "round": rnd, "ok": True,
                        "warmup": rnd < 0, "cold": rnd < 0, "phase": "warm-up" if rnd < 0 else "warm",
                        "e2e_s": 0.547236 + rnd / 10, "ttft_s": 0.0412, "decode_tps": 55.123456,
                        "output_tokens": 48, "output_token_source": "usage", "transport": "in-process",
                    }
                )  # fmt: skip
    return pd.DataFrame(rows)


def _summary() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"run_id": r, "model": MODEL, "e2e_s_p50": 0.547236, "e2e_s_p95": 0.61, "e2e_s_n": 10,
             "e2e_s_low_n": ["p95"], "token_source": "usage", "transport": "in-process"}
            for r in RUNS
        ]
    )  # fmt: skip


def _spec(chart: Any) -> dict[str, Any]:
    return chart.to_dict()  # validates against the Vega-Lite schema


def _find(spec: Any, key: str) -> list[Any]:
    """Every value stored under ``key`` anywhere in the spec."""
    found = []
    if isinstance(spec, dict):
        for k, v in spec.items():
            if k == key:
                found.append(v)
            found += _find(v, key)
    elif isinstance(spec, list):
        for v in spec:
            found += _find(v, key)
    return found


def _frames() -> tuple[list[str], dict[str, pd.DataFrame]]:
    from bench.results import with_series

    samples = _samples()
    prompts = samples.groupby(["run_id", "model", "prompt_id"], as_index=False).agg(
        decode_tps_mean=("decode_tps", "mean"), e2e_s_mean=("e2e_s", "mean"), n=("e2e_s", "size")
    )
    frames = {
        "samples": with_series(samples, True),
        "summary": with_series(_summary(), True),
        "prompts": with_series(prompts, True),
    }
    return list(dict.fromkeys(frames["summary"]["series"])), frames


def test_series_names_wrap_and_are_never_cut() -> None:
    domain, frames = _frames()
    assert domain == [f"{MODEL} · 135944-cbcc", f"{MODEL} · 141502-0b1c"]
    for chart in (
        charts.latency_distribution(frames["samples"], domain),
        charts.percentile_bars(frames["summary"], domain),
    ):
        spec = _spec(chart)
        assert charts.WRAP_SERIES in _find(spec, "labelExpr")
        limits = _find(spec, "labelLimit")
        assert limits and min(limits) >= 1000, limits  # no label or legend entry is cut short
        for legend in _find(spec, "legend"):
            if isinstance(legend, dict) and legend.get("orient"):
                assert legend["orient"] in ("bottom", "top"), legend  # never squeezed to the right


def test_percentile_bars_name_their_statistic_instead_of_a_grey_legend() -> None:
    domain, frames = _frames()
    spec = _spec(charts.percentile_bars(frames["summary"], domain))
    opacity = _find(spec, "opacity")
    assert any(isinstance(o, dict) and o.get("legend", "absent") is None for o in opacity)
    labels = {row["label"] for ds in spec["datasets"].values() for row in ds}
    assert "p50 n=10" in labels and "p95 n=10 ⚠" in labels


def test_every_prompt_gets_a_label() -> None:
    domain, frames = _frames()
    spec = _spec(charts.tps_per_prompt(frames["prompts"], domain))
    axis = spec["encoding"]["x"]["axis"]
    assert axis["labelOverlap"] is False and axis["labelAngle"] != 0
    assert spec["encoding"]["y"]["title"] == "Decode tok/s (mean)"


def test_ticks_have_the_metrics_precision() -> None:
    domain, frames = _frames()
    spec = json.dumps(_spec(charts.latency_distribution(frames["samples"], domain)))
    assert charts.axis_format("e2e_s") in spec
    assert charts.axis_format("decode_tps") == ",.3~r" and charts.axis_format("MB") == ",.0f"
    assert charts.axis_format("score") == ".1f"


def test_the_request_legend_survives_beside_a_long_series_legend() -> None:
    domain, frames = _frames()
    spec = _spec(charts.latency_distribution(frames["samples"], domain))
    legends = [leg for leg in _find(spec, "legend") if isinstance(leg, dict) and leg.get("orient")]
    orients = {leg["orient"] for leg in legends}
    assert orients == {"top"}  # the shapes above the plot
    # no colour legend: the y axis already names every series, and a legend of 8 long names took the
    # plot's room (issue 20); the chart's height is its plot's, legends get room of their own
    colors = [c for c in _find(spec, "color") if isinstance(c, dict) and c.get("field") == "series"]
    assert colors and all(c.get("legend", "absent") is None for c in colors)
    assert spec["autosize"]["type"] == "fit-x"


# ---- 10,000 requests: points thinned, boxes from every request (issue 20) --------------------------
def test_point_layers_keep_every_series_and_cold_request_and_boxes_use_all() -> None:
    import numpy as np

    from bench.report import point_layers

    rng = np.random.default_rng(5)
    n = 10_000
    data = pd.DataFrame(
        {
            "series": np.repeat(["a", "b", "c", "d"], n // 4),
            "phase": ["cold" if i % 2500 == 0 else "warm" for i in range(n)],
            "e2e_s": rng.lognormal(0, 0.3, n),
        }
    )
    kept = point_layers.thin(data)
    assert len(kept) <= point_layers.POINT_LIMIT
    assert set(kept["series"]) == {"a", "b", "c", "d"}
    assert (kept["phase"] == "cold").sum() == 4  # every cold start drawn
    stats = point_layers.box_stats(data, "e2e_s").set_index("series")
    warm_a = data[(data["series"] == "a") & (data["phase"] == "warm")]["e2e_s"]
    assert stats.loc["a", "median"] == pytest.approx(float(np.median(warm_a)))
    assert stats.loc["a", "n"] == len(warm_a) == 2499  # all of them, not the drawn subset
    assert "of 10,000 requests are drawn" in point_layers.thinning_note(n)
    assert point_layers.thinning_note(100) == ""


def test_point_layers_skip_per_mark_descriptions_and_keep_their_tooltips() -> None:
    """Vega would build an ARIA sentence for each of up to 1,000 points on every draw (a tenth of a second of
    the Results page at 10,000 requests); points drop it, keeping tooltips, boxes and bars keep theirs."""
    domain, frames = _frames()
    for chart in (
        charts.latency_distribution(frames["samples"], domain),
        charts.ttft_vs_decode(frames["samples"], domain),
    ):
        spec = _spec(chart)
        layers = spec.get("layer", [spec])
        points = [layer for layer in layers if layer["mark"]["type"] == "point"]
        others = [layer for layer in layers if layer["mark"]["type"] != "point"]
        assert len(points) == 1
        assert points[0]["mark"]["aria"] is False
        assert _find(points[0]["encoding"], "tooltip"), "a point still names its request on hover"
        assert all(layer["mark"].get("aria", True) is not False for layer in others)
        assert "aria" not in spec.get("config", {}).get("mark", {})  # not switched off chart-wide


def test_every_chart_the_results_page_draws_is_valid_vega_lite(tmp_path: Path) -> None:
    """The page builds its specs without validating (ui/results_cache.py): the schema check lives here."""
    import numpy as np

    from bench.results import load_results
    from bench.store.store import Store
    from tests.synthetic_runs import latencies, store_run

    store = Store(tmp_path / "bench.db")
    rng = np.random.default_rng(0)
    run_id = store_run(
        store, {"model-a": latencies(rng, 0.3, 40, 0.2), "model-b": latencies(rng, 0.4, 40, 0.2)}
    )
    results = load_results(store, [run_id])
    for field in charts.RESOURCE_PANELS:
        assert charts.resource_bars(results.table(), results.domain, field).to_dict(validate=True)
    domain, frames = _frames()
    samples, summary = frames["samples"], frames["summary"]
    built = [
        charts.latency_distribution(samples, domain, metric=metric, include_warmup=warmup)
        for metric in ("e2e_s", "ttft_s")
        for warmup in (False, True)
    ]
    built += [
        charts.percentile_bars(summary, domain),
        charts.ttft_vs_decode(samples, domain),
        charts.tps_per_prompt(frames["prompts"], domain),
    ]
    for chart in built:
        assert chart.to_dict(validate=True)["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
