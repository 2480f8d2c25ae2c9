"""The report's own SVG charts draw what the data says: read back from the SVG, on runs of known truth.

Every chart is parsed as XML (it must be well-formed, whatever the model names hold) and read back
through its axis: a tick's ``data-value`` and its pixel give the scale, so a mark's pixel gives
the value it shows. Those values are compared with statistics computed here from the synthetic
latencies, not with the chart code's own numbers.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.report import html, svg_charts
from bench.report.svg import Linear, number
from bench.results import Results, load_results
from bench.store.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_runs import latencies, store_run

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    return root


def marks(root: ET.Element, tag: str, **attrs: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{NS}{tag}") if all(e.get(f"data-{k}") == v for k, v in attrs.items())]


def axis(root: ET.Element, which: str) -> Callable[[float], float]:
    """pixel -> value on the ``which`` axis, from its ticks (at least two, evenly spaced values)."""
    coord = "x1" if which == "x" else "y1"
    ticks = [(float(e.get("data-value")), float(e.get(coord))) for e in marks(root, "line", tick=which)]
    assert len(ticks) >= 2, f"the {which} axis has {len(ticks)} ticks"
    (v1, p1), (v2, p2) = ticks[0], ticks[-1]
    slope = (p2 - p1) / (v2 - v1)
    return lambda px: v1 + (px - p1) / slope


def px_per_unit(root: ET.Element, which: str) -> float:
    value = axis(root, which)
    return 1 / abs(value(1) - value(0))


def reading(root: ET.Element, which: str) -> tuple[Callable[[float], float], float]:
    """pixel -> value on the ``which`` axis, and what one pixel is worth there (the read's resolution)."""
    return axis(root, which), 1 / px_per_unit(root, which)


# ---- numbers and scales, as d3 writes and picks them ---------------------------------------------
@pytest.mark.parametrize(
    ("value", "spec", "text"),
    [
        (0.30000000000000004, ",.3~r", "0.3"),
        (0.547236, ",.3~r", "0.547"),
        (1234.5, ",.3~r", "1,230"),
        (12.0, ",.3~r", "12"),
        (0.0, ",.3~r", "0"),
        (-0.25, ",.3~r", "−0.25"),
        (1500, ",d", "1,500"),
        (512.4, ",.0f", "512"),
        (2.0, ".1f", "2.0"),
    ],
)
def test_numbers_read_as_d3_format_writes_them(value: float, spec: str, text: str) -> None:
    assert number(value, spec) == text


def test_a_scale_rounds_out_to_ticks_that_cover_every_value() -> None:
    rng = np.random.default_rng(4)
    for _ in range(300):
        values = rng.lognormal(rng.normal(0, 3), 1.0, int(rng.integers(1, 50)))
        scale = Linear.fit(values, 0, 700, zero=bool(rng.integers(0, 2)), count=10)
        ticks = scale.ticks(10)
        assert scale.low <= values.min() and values.max() <= scale.high
        assert ticks[0] == pytest.approx(scale.low) and ticks[-1] == pytest.approx(scale.high)
        steps = np.diff(ticks)
        assert 2 <= len(ticks) <= 21 and np.allclose(steps, steps[0])
        mantissa = steps[0] / 10 ** np.floor(np.log10(steps[0]))
        assert any(np.isclose(mantissa, m) for m in (1, 2, 5, 10))  # 1, 2 or 5 times a power of ten


def test_a_scale_of_one_value_keeps_it_inside_and_zeros_never_go_negative() -> None:
    zeros = Linear.fit([0.0, 0.0], 0, 700, zero=True, count=10)
    assert (zeros.low, zeros.high) == (0.0, 1.0)
    single = Linear.fit([3.7], 0, 700, zero=False, count=10)
    assert single.low < 3.7 < single.high and single(3.7) == pytest.approx(350, abs=70)


# ---- charts read back against the truth ---------------------------------------------------------
@pytest.fixture
def known(tmp_path: Path) -> tuple[Results, dict[str, np.ndarray]]:
    """A stored run of two models whose e2e latencies are known, read back through the results layer."""
    rng = np.random.default_rng(21)
    truth = {"model-a": latencies(rng, 0.5, 1500), "model-b": latencies(rng, 0.9, 1500, 0.2)}
    store = Store(tmp_path / "bench.db")
    return load_results(store, [store_run(store, truth, bulk=True)]), truth


def test_the_latency_boxes_and_medians_are_every_warm_request_s(known) -> None:
    results, truth = known
    root = parse(svg_charts.latency_distribution(results.samples, results.domain))
    value, resolution = reading(root, "x")
    for model, e2e in truth.items():
        q1, median, q3 = np.percentile(e2e, [25, 50, 75])
        (box,) = marks(root, "rect", box="1", series=model)
        assert int(box.get("data-n")) == len(e2e)  # every warm request, not the drawn subset
        assert value(float(box.get("x"))) == pytest.approx(q1, abs=resolution)
        assert value(float(box.get("x")) + float(box.get("width"))) == pytest.approx(q3, abs=resolution)
        (tick,) = marks(root, "line", median="1", series=model)
        assert value(float(tick.get("x1"))) == pytest.approx(median, abs=resolution)
    points = [e for e in root if e.get("data-phase")]
    assert 0 < len(points) <= 1_000  # thinned, as the caption says
    cold = [e for e in points if e.get("data-phase") == "cold"]
    assert len(cold) == 2 and all(e.tag == f"{NS}path" for e in cold)  # every cold start kept, a triangle
    for e in points:  # each point says what it is: the tooltip names its model and token source
        tip = e.find(f"{NS}title").text
        assert f"Model: {e.get('data-series')}" in tip and "Token count from: usage" in tip


def test_percentile_bars_reach_p50_and_p95_and_name_their_n(known) -> None:
    results, truth = known
    root = parse(svg_charts.percentile_bars(results.summary, results.domain))
    value, resolution = reading(root, "x")
    for model, e2e in truth.items():
        for stat, q in (("p50", 50), ("p95", 95)):
            (bar,) = marks(root, "rect", series=model, stat=stat)
            assert value(float(bar.get("x"))) == pytest.approx(0, abs=resolution)  # bars start at zero
            end = value(float(bar.get("x")) + float(bar.get("width")))
            assert end == pytest.approx(np.percentile(e2e, q), rel=0.01, abs=resolution)
    words = [t.text for t in root.iter(f"{NS}text")]
    assert words.count("p50 n=1500") == 2 and words.count("p95 n=1500") == 2


def test_every_scatter_point_lies_at_its_request_s_ttft_and_decode(known) -> None:
    results, _ = known
    root = parse(svg_charts.ttft_vs_decode(results.samples, results.domain))
    x, y = axis(root, "x"), axis(root, "y")
    circles = marks(root, "circle", phase="warm")
    assert circles
    measured = results.samples[results.samples["ok"] & ~results.samples["warmup"]]
    pairs = np.column_stack([measured["ttft_s"], measured["decode_tps"]])
    for c in circles:  # each drawn point is one of the requests (within a pixel)
        ttft, tps = x(float(c.get("cx"))), y(float(c.get("cy")))
        gap = np.min(
            np.abs(pairs[:, 0] - ttft) * px_per_unit(root, "x")
            + np.abs(pairs[:, 1] - tps) * px_per_unit(root, "y")
        )
        assert gap < 1.0


def test_bars_per_prompt_and_resource_bars_show_the_values(known) -> None:
    results, truth = known
    from bench.results import with_series
    from bench.stats import aggregates

    prompts = with_series(aggregates.prompt_summary(results.samples), results.several_runs)
    root = parse(svg_charts.tps_per_prompt(prompts, results.domain))
    y = axis(root, "y")
    bars = marks(root, "rect", series="model-b", prompt="p2")
    assert len(bars) == 1 and len(marks(root, "rect", series="model-a")) == 4
    tall = y(float(bars[0].get("y")))
    expected = prompts[(prompts["series"] == "model-b") & (prompts["prompt_id"] == "p2")][
        "decode_tps_mean"
    ].item()
    assert tall == pytest.approx(expected, abs=1 / px_per_unit(root, "y"))
    memory = parse(svg_charts.resource_bars(results.table(), results.domain, "size_mb"))
    x = axis(memory, "x")
    for model in truth:
        (bar,) = marks(memory, "rect", series=model)
        assert x(float(bar.get("x")) + float(bar.get("width"))) == pytest.approx(100.0, abs=0.5)  # 10**8 B


def test_series_keep_the_shared_order_and_colour(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    store = Store(tmp_path / "bench.db")
    first = store_run(store, {"zeta": latencies(rng, 0.4), "alpha": latencies(rng, 0.6)})
    second = store_run(store, {"alpha": latencies(rng, 0.5)})
    results = load_results(store, [first, second])
    root = parse(svg_charts.latency_distribution(results.samples, results.domain))
    boxes = {e.get("data-series"): e for e in marks(root, "rect", box="1")}
    assert set(boxes) == set(results.domain) and len(boxes) == 3
    tops = [float(boxes[name].get("y")) for name in results.domain]
    assert tops == sorted(tops)  # top to bottom in the domain's order, as the app draws them
    from bench.report.chart_data import color_map

    colours = color_map(results.domain)
    assert all(boxes[name].get("fill") == colours[name] for name in results.domain)
    lines = {t.text for t in root.iter(f"{NS}tspan")}
    assert {"zeta", "alpha"} <= lines  # "model · run" wraps onto two lines, the run on the second


def test_a_hostile_model_name_stays_text(tmp_path: Path) -> None:
    """Model names come from a config an adversary may write: no element can be injected."""
    hostile = '</text><script>alert(1)</script><a href="x">&amp;"\''
    rng = np.random.default_rng(3)
    store = Store(tmp_path / "bench.db")
    run_id = store_run(store, {hostile: latencies(rng, 0.4), "plain": latencies(rng, 0.5)})
    results = load_results(store, [run_id])
    for spec in html.chart_specs(results):
        root = parse(spec.svg)
        tags = {e.tag for e in root.iter()}
        assert f"{NS}script" not in tags and f"{NS}a" not in tags and f"{NS}foreignObject" not in tags
        assert hostile in {t.text for t in root.iter() if t.text}, spec.name  # shown, as the words it is


@pytest.mark.parametrize(
    ("samples", "words"),
    [
        (pd.DataFrame(), "No requests to draw yet."),
        (
            pd.DataFrame({"ok": [False], "e2e_s": [np.nan], "phase": ["warm"], "series": ["a"]}),
            "No successful request",
        ),
    ],
)
def test_a_chart_with_nothing_to_draw_says_why(samples: pd.DataFrame, words: str) -> None:
    root = parse(svg_charts.latency_distribution(samples, ["a"]))
    assert words in "".join(t.text or "" for t in root.iter(f"{NS}text"))
