"""Altair charts of quality scores: DataFrames in, charts out (no Streamlit).

Every chart names who scored (``people`` or ``judge:<model>``) in its title and tooltips: people's
and a judge's scores are different instruments and are never drawn as one series.
Model colours come from :func:`bench.report.charts.color_scale`, so a model keeps its colour across pages.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from bench.report.charts import FIT_X, NO_LIMIT, band_height, color_scale, series_legend

SCORE_DOMAIN = [1, 5]
#: the ``checks`` source (bench.quality.checks) scores a pass rate 0–1, not a 1–5 mean
PASS_RATE_SOURCES = ("checks",)


def scorer_label(scored_by: str) -> str:
    """``people`` -> "people (annotators)", ``judge:m`` -> "judge model m"."""
    if scored_by == "people":
        return "people (annotators)"
    if scored_by.startswith("judge:"):
        return f"judge model {scored_by.removeprefix('judge:')}"
    if scored_by in PASS_RATE_SOURCES:
        return "task checks"
    return scored_by


def _empty(message: str) -> alt.Chart:
    return (
        alt.Chart(pd.DataFrame({"text": [message]}))
        .mark_text(size=14, color="#6B7280")
        .encode(text="text:N")
        .properties(height=80)
    )


def quality_points(table: pd.DataFrame, models: Sequence[str] | None = None) -> alt.Chart | alt.LayerChart:
    """Mean score (point) and 95% interval (bar) per model, grouped by aspect; one scorer only.

    ``table`` is :func:`bench.quality.score_sources.quality_table` of one run (or one series per run): model, aspect,
    mean, low, high, n, missing, scored_by. A mean from one item has no interval (NaN): its point
    is drawn hollow, with n=1 in the tooltip.
    """
    if table.empty or table["mean"].notna().sum() == 0:
        return _empty("No scores to draw yet.")
    sources = table["scored_by"].dropna().unique()
    if len(sources) > 1:
        raise ValueError(f"one scorer per chart, got {sorted(sources)}")
    aspects = list(dict.fromkeys(table["aspect"]))
    data = table[table["mean"].notna()].copy()
    data["interval"] = [
        f"{lo:.2f} – {hi:.2f}" if pd.notna(lo) and pd.notna(hi) else "n/a (fewer than 2 items)"
        for lo, hi in zip(data["low"], data["high"], strict=True)
    ]
    data["has_interval"] = data["low"].notna() & data["high"].notna()
    data["scorer"] = [scorer_label(s) for s in data["scored_by"]]
    rate = str(sources[0]) in PASS_RATE_SOURCES
    score_domain = [0, 1] if rate else SCORE_DOMAIN
    domain = list(models) if models else sorted(data["model"].unique())
    tooltip = [
        alt.Tooltip("model:N", title="Model"),
        alt.Tooltip("aspect:N", title="Aspect"),
        alt.Tooltip("mean:Q", title="Pass rate" if rate else "Mean score", format=".0%" if rate else ".2f"),
        alt.Tooltip("interval:N", title="95% interval"),
        alt.Tooltip("n:Q", title="Items (n)"),
        alt.Tooltip("missing:Q", title="Missing scores"),
        alt.Tooltip("scorer:N", title="Scored by"),
    ]
    base = alt.Chart(data).encode(
        y=alt.Y("aspect:N", title=None, sort=aspects, axis=alt.Axis(labelLimit=NO_LIMIT)),
        yOffset=alt.YOffset("model:N", sort=domain),
        color=alt.Color(
            "model:N",
            title="Model",
            scale=color_scale(domain),
            legend=series_legend(domain),
        ),
        tooltip=tooltip,
    )
    x = alt.X(
        "mean:Q",
        title="Pass rate with 95% interval" if rate else "Mean score (1–5) with 95% interval",
        scale=alt.Scale(domain=score_domain, nice=False),
        axis=alt.Axis(format="%") if rate else alt.Axis(values=[1, 2, 3, 4, 5], format="d"),
    )
    bars = (
        base.transform_filter("datum.has_interval")
        .mark_rule(strokeWidth=3, opacity=0.55)
        .encode(x=alt.X("low:Q", scale=alt.Scale(domain=score_domain, nice=False)), x2="high:Q")
    )
    points = base.mark_point(size=90, filled=False, strokeWidth=2, opacity=1).encode(
        x=x,
        fill=alt.condition(
            "datum.has_interval", alt.Color("model:N", scale=color_scale(domain)), alt.value("white")
        ),
    )
    # no chart title: Streamlit's theme collapses a titled chart's height; pages caption charts instead
    rows = len(aspects) * len(domain)  # one band per (aspect, model): 20 px each, the plot never under 160
    return (bars + points).properties(height=band_height(rows, 20), autosize=FIT_X)


def confusion_heatmap(
    confusion: pd.DataFrame, judge: str, n: int | None = None
) -> alt.LayerChart | alt.Chart:
    """People's score (rows) x the judge's score (columns) over the items both scored.

    ``confusion`` is the long form of :attr:`rubrics.agreement.JudgeVsPeople.confusion`: people,
    judge, count, all 25 cells. The diagonal is agreement.
    """
    if confusion.empty:
        return _empty("No item scored by both people and the judge yet.")
    data = confusion.copy()
    data["agree"] = data["people"] == data["judge"]
    scores = [1, 2, 3, 4, 5]
    tooltip = [
        alt.Tooltip("people:O", title="People's score"),
        alt.Tooltip("judge:O", title=f"Judge {judge}'s score"),
        alt.Tooltip("count:Q", title="Items"),
    ]
    base = alt.Chart(data).encode(
        x=alt.X("judge:O", title=f"Judge ({judge}) score", sort=scores, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("people:O", title="People's score", sort=list(reversed(scores))),
        tooltip=tooltip,
    )
    top = max(1, int(data["count"].max()))
    rect = base.mark_rect(stroke="#FFFFFF", strokeWidth=2).encode(
        color=alt.Color("count:Q", title="Items", scale=alt.Scale(scheme="blues", domain=[0, top])),
    )
    outline = (
        base.transform_filter("datum.agree").mark_rect(fill=None, stroke="#1B2333", strokeWidth=1.5).encode()
    )
    text = base.mark_text(fontSize=13).encode(
        text="count:Q",
        color=alt.condition(f"datum.count > {top / 2}", alt.value("white"), alt.value("#1B2333")),
    )
    return (rect + outline + text).properties(width=alt.Step(48), height=alt.Step(40))


WIN_OUTCOMES = ["A wins", "tie (or flip)", "B wins", "missing"]
WIN_COLORS = ["#4E79A7", "#BAB0AC", "#F28E2B", "#E5E7EB"]


def win_rate_bars(wins: pd.DataFrame) -> alt.Chart:
    """Stacked share of prompts won by each side, ties and missing verdicts, per pair and criterion.

    ``wins`` is :func:`rubrics.judge.win_rates`. A is the alphabetically first model of the pair
    (both orders are judged, so which one is shown first carries no information).
    """
    if wins.empty:
        return _empty("No pairwise verdicts yet.")
    rows = []
    for r in wins.to_dict("records"):
        pair = f"A {r['model_a']} vs B {r['model_b']} · {r['aspect']} · judge {r['judge']}"
        counts = (r["a_wins"], r["ties"], r["b_wins"], r["missing"])
        for order, (outcome, count) in enumerate(zip(WIN_OUTCOMES, counts, strict=True)):
            winner = {"A wins": r["model_a"], "B wins": r["model_b"]}.get(outcome, "")
            rows.append(
                {
                    "pair": pair,
                    "outcome": outcome,
                    "order": order,
                    "winner": winner,
                    "count": int(count),
                    "n": int(r["n"]),
                    "judge": r["judge"],
                }
            )
    data = pd.DataFrame(rows)
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("pair:N", title=None, axis=alt.Axis(labelLimit=NO_LIMIT)),
            x=alt.X("count:Q", stack="normalize", title="Share of prompts", axis=alt.Axis(format="%")),
            color=alt.Color(
                "outcome:N",
                title="Verdict",
                scale=alt.Scale(domain=WIN_OUTCOMES, range=WIN_COLORS),
                legend=alt.Legend(orient="bottom"),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("pair:N", title="Pair · criterion · judge"),
                alt.Tooltip("outcome:N", title="Verdict"),
                alt.Tooltip("winner:N", title="Winner"),
                alt.Tooltip("count:Q", title="Prompts"),
                alt.Tooltip("n:Q", title="Prompts judged (n)"),
                alt.Tooltip("judge:N", title="Judge model"),
            ],
        )
        .properties(height=band_height(data["pair"].nunique(), 30), autosize=FIT_X)
    )


def rating_chart(ratings: pd.DataFrame, scored_by: str) -> alt.Chart | alt.LayerChart:
    """Bradley–Terry ratings ranked best first: a point per model and its 95% interval as a bar.

    ``ratings`` has model, rating, low, high, rank, votes, wins, losses, ties (one source, e.g.
    ``votes:people``); the title names the source and the votes behind it. A summary frame of the
    ``votes`` score source (``bench.quality.score_sources.quality_summary``: mean, low, high, n) works too,
    for one run: its mean is the rating and n the votes.
    """
    if ratings.empty:
        return _empty("No votes yet.")
    data = ratings.copy()
    if "rating" not in data.columns:
        data = data.rename(columns={"mean": "rating", "n": "votes"})
        data["rank"] = data["rating"].rank(ascending=False, method="first").astype(int)
        for column in ("wins", "losses", "ties"):
            data[column] = pd.NA
    data["interval"] = [
        f"{lo:.0f} – {hi:.0f}" if pd.notna(lo) and pd.notna(hi) else "n/a (fewer than 2 votes)"
        for lo, hi in zip(data["low"], data["high"], strict=True)
    ]
    data["low"] = data["low"].fillna(data["rating"])
    data["high"] = data["high"].fillna(data["rating"])
    order = list(data.sort_values("rating", ascending=False)["model"])
    total = int(data["votes"].sum() // 2)
    y = alt.Y("model:N", sort=order, title=None)
    color = alt.Color("model:N", scale=color_scale(sorted(order)), legend=None)  # a model keeps its colour
    tooltip = [
        alt.Tooltip("rank:Q", title="Rank"),
        alt.Tooltip("model:N", title="Model"),
        alt.Tooltip("rating:Q", title="Rating", format=".0f"),
        alt.Tooltip("interval:N", title="95% interval"),
        alt.Tooltip("votes:Q", title="Votes"),
        alt.Tooltip("wins:Q", title="Wins"),
        alt.Tooltip("losses:Q", title="Losses"),
        alt.Tooltip("ties:Q", title="Ties"),
    ]
    base = alt.Chart(data).encode(y=y, tooltip=tooltip)
    bars = base.mark_rule(strokeWidth=3, opacity=0.6).encode(
        x=alt.X(
            "low:Q", title="Bradley–Terry rating (Elo scale, 1000 = average)", scale=alt.Scale(zero=False)
        ),
        x2="high:Q",
        color=color,
    )
    points = base.mark_point(filled=True, size=90).encode(x="rating:Q", color=color)
    title = (
        f"Ranking from {scorer_label(scored_by.removeprefix('votes:'))} votes ({total} votes, 95% intervals)"
    )
    # one 36 px band per model, never under 160 px: 2 models in 72 px printed their names over each other
    return (bars + points).properties(title=title, height=band_height(len(order), 36), autosize=FIT_X)
