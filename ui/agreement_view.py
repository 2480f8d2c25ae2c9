"""Agreement views: between people (weighted kappa, Krippendorff's alpha) and of a judge with people.

Shown on Annotate (people) and Judge (judge vs people); the statistics live in ``rubrics.agreement``.
"""

from __future__ import annotations

import streamlit as st

from bench.errors import BenchError
from bench.report import quality_charts
from bench.store.store import Store
from rubrics.agreement import PEOPLE_SCORE_RULE, judge_vs_people, pairwise_kappas, people_alpha
from rubrics.annotate import annotations_frame
from rubrics.judge import judgments_frame
from ui.errors import show_error
from ui.quality_view import stat_text
from ui.tables import dashed

# ---- agreement between people --------------------------------------------------------------------
KAPPA_CONFIG = {
    "Annotator A": st.column_config.TextColumn(),
    "Annotator B": st.column_config.TextColumn(),
    "n": st.column_config.NumberColumn(help="Items both scored"),
    "Weighted kappa": st.column_config.NumberColumn(
        format="%.2f", help="Cohen's kappa, quadratic weights, scores 1–5; — when undefined"
    ),
    "Spearman": st.column_config.NumberColumn(
        format="%.2f", help="Rank correlation; — when one annotator gave a single score throughout"
    ),
    "Exact": st.column_config.NumberColumn(format="percent", help="Share of items with the same score"),
    "Within 1": st.column_config.NumberColumn(
        format="percent", help="Share of items whose scores differ by at most 1"
    ),
}


def render_people_agreement(store: Store, run_ids: list[str]) -> None:
    """Pairwise weighted kappa per pair of annotators and Krippendorff's alpha over all of them."""
    annotations = annotations_frame(store, run_ids)
    annotators = sorted(annotations["annotator"].unique()) if not annotations.empty else []
    if len(annotators) < 2:
        st.info(
            "Agreement needs at least two annotators on the same answers"
            + (f"; so far only **{annotators[0]}** has scored this run." if annotators else "."),
            icon=":material/group:",
        )
        return
    alpha = people_alpha(annotations)
    kappas = pairwise_kappas(annotations).rename(
        columns={
            "annotator_a": "Annotator A",
            "annotator_b": "Annotator B",
            "kappa": "Weighted kappa",
            "spearman": "Spearman",
            "exact": "Exact",
            "within_one": "Within 1",
        }
    )
    c1, c2 = st.columns([1, 3])
    c1.metric(
        "Krippendorff's alpha",
        stat_text(alpha),
        f"n = {alpha.n} items",
        delta_color="off",
        delta_arrow="off",
        help="All annotators together, interval metric; units are answer × aspect scored by two or more people.",
        border=True,
    )
    with c2:
        shown, config = dashed(kappas, KAPPA_CONFIG)  # "—" where agreement is undefined
        st.dataframe(shown, hide_index=True, width="stretch", column_config=config)
    st.caption(
        "Scored by **people**. **Weighted kappa** (Cohen, quadratic weights): agreement of two annotators "
        "beyond chance, where a near-miss (4 vs 5) costs less than a big miss (1 vs 5); 1 = perfect, 0 = "
        "chance, below 0 = worse than chance; n = answers × aspects both scored. **Krippendorff's alpha**: "
        "the same idea for all annotators at once, gaps allowed; n = items with two or more scores. Above "
        "0.8 is reliable, 0.67–0.8 tentative, below that the rubric or its anchors need work. A cell with "
        "— is undefined: too few items, or no variation to compare."
    )


# ---- judge vs people -----------------------------------------------------------------------------
def render_judge_vs_people(store: Store, run_ids: list[str], judge: str) -> None:
    """Weighted kappa, Spearman, exact and within-1 agreement of one judge with people, and a heat map."""
    annotations = annotations_frame(store, run_ids)
    judgments = judgments_frame(store, run_ids)
    try:
        result = judge_vs_people(judgments, annotations, judge=judge)
    except BenchError as exc:
        show_error(exc)
        return
    if result.n == 0:
        st.info(
            f"No answer × aspect is scored by both people and judge {judge} yet. Annotate some answers of this "
            "run on **Annotate** to see how far the judge can be trusted.",
            icon=":material/info:",
        )
        return
    tiles = st.columns(4)
    for col, (label, stat, fmt, help_text) in zip(
        tiles,
        [
            ("Weighted kappa", result.kappa, "{:.2f}", "Cohen's kappa with quadratic weights, 1–5"),
            ("Spearman", result.spearman, "{:.2f}", "Rank correlation (average ranks for ties)"),
            ("Exact agreement", result.exact, "{:.0%}", "Same score"),
            ("Within 1", result.within_one, "{:.0%}", "Scores differ by at most 1"),
        ],
        strict=True,
    ):
        col.metric(
            label,
            stat_text(stat, fmt),
            f"n = {stat.n} items",
            delta_color="off",
            delta_arrow="off",
            help=f"{help_text}. Judge {judge} vs people, on items both scored.",
            border=True,
        )
    st.markdown(f"**Judge {judge} vs people: items per pair of scores** (n = {result.n})")
    st.altair_chart(quality_charts.confusion_heatmap(result.confusion, judge), width="content")
    st.caption(
        f"Judge **{judge}** vs **people** on {result.n} items (answer × aspect) both scored; items the judge "
        f"left missing are skipped. Rule: {result.rule or PEOPLE_SCORE_RULE}."
    )
