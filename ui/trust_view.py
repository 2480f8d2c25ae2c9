"""The Judge page's trust panel: validated or not, agreement with intervals, what to score next.

Numbers come from :mod:`rubrics.trust` (bootstrap intervals over the items both scored); the
label is the same one the score source carries into Decide and the reports.
"""

from __future__ import annotations

import streamlit as st

from bench.report.quality_charts import rating_chart
from bench.store.store import Store
from rubrics.bradley_terry import INTERVAL_METHOD as BT_METHOD
from rubrics.judge import pairwise_frame
from rubrics.trust import DEFAULT_LEVEL, INTERVAL_METHOD, AgreementInterval, judge_trust, validation_sample
from rubrics.votes import judge_ratings

SAMPLE_SIZE = 20


def render_trust(db: Store, run_ids: list[str], judge: str) -> None:
    """The label with its reason, kappa / Spearman / within-1 with 95% intervals, and a sample to score."""
    trust = judge_trust(db, run_ids, judge)
    if trust.validated:
        st.success(f"Judge **{judge}** {trust.words}.", icon=":material/verified:")
    else:
        st.warning(
            f"Judge **{judge}** {trust.words}. Decide and the reports use its scores only when you opt in.",
            icon=":material/gpp_maybe:",
        )
    st.caption(f"{trust.label.capitalize()}: {trust.reason} (weighted kappa against people's scores).")
    tiles = st.columns(3)
    for col, (label, stat, help_text) in zip(
        tiles,
        [
            (
                "Kappa (95% interval)",
                trust.kappa,
                "Quadratic weighted kappa; validated when the interval starts ≥ ",
            ),
            (
                "Spearman (95% interval)",
                trust.spearman,
                "Rank correlation of the judge's and people's scores",
            ),
            ("Within 1 (95% interval)", trust.within_one, "Share of items whose scores differ by at most 1"),
        ],
        strict=True,
    ):
        extra = f"{DEFAULT_LEVEL}" if label.startswith("Kappa") else ""
        col.metric(label, trust_value(stat), f"n = {stat.n} items", delta_color="off", delta_arrow="off",
                   help=f"{help_text}{extra}. {INTERVAL_METHOD}.", border=True)  # fmt: skip
    if not trust.validated:
        _render_sample(db, run_ids, judge)


def trust_value(stat: AgreementInterval) -> str:
    if stat.value is None:
        return "n/a"
    if stat.low is None:
        return f"{stat.value:.2f}"
    return f"{stat.value:.2f} [{stat.low:.2f}, {stat.high:.2f}]"


def _render_sample(db: Store, run_ids: list[str], judge: str) -> None:
    sample = validation_sample(db, run_ids, judge, SAMPLE_SIZE)
    if sample.empty:
        return
    st.markdown(
        f"**Score these {len(sample)} answers on Annotate to validate {judge} fastest** — a sample spread over "
        "every model and every score the judge gave:"
    )
    st.dataframe(sample.drop(columns=["judge"]), hide_index=True, width="stretch")
    st.caption("The judge's own scores are hidden here so they cannot steer yours.")


def render_judge_ranking(db: Store, run_id: str, judge: str, aspect: str) -> None:
    """Bradley–Terry ranking from one judge's pairwise verdicts on one criterion."""
    ratings = judge_ratings(pairwise_frame(db, [run_id]), judge, aspect)
    if ratings.empty:
        return
    st.altair_chart(rating_chart(ratings, f"votes:judge:{judge}"), width="stretch")
    st.caption(f"Scored by judge model **{judge}** ({aspect}), not by people. {BT_METHOD}.")
