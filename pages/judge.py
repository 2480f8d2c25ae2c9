"""Judge: a local model grades a run's answers per aspect (and pairwise); parse rate and agreement with people."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bench.backends import Backend, backend_for
from bench.errors import BenchError
from bench.inputs import user_files
from bench.quality.summary import load_quality
from bench.report import quality_charts
from rubrics.answers import graded_answers, run_prompt_set
from rubrics.judge import (
    OVERALL,
    judge_tasks,
    judgments_frame,
    pairwise_frame,
    position_consistency,
    win_rates,
)
from rubrics.judge_pace import measured_pace
from rubrics.schema import unknown_aspects
from ui import truncation
from ui.agreement_view import render_judge_vs_people
from ui.errors import guard, show_error
from ui.format import duration
from ui.job_view import watch
from ui.jobs import registry
from ui.quality_view import (
    percent,
    pick_rubric,
    pick_run,
    scorer_label,
    show_parse_rate,
    show_quality_table,
    start_grading,
    start_pairwise,
    stat_text,
    warn_parse_rate,
)
from ui.resources import (
    endpoint_api_key,
    endpoint_models,
    foundry_backend,
    foundry_status,
    runnable_foundry_models,
    store,
)
from ui.routing import require_router
from ui.speed_view import estimate_caption, fastest_first
from ui.tables import show_table
from ui.trust_view import render_judge_ranking, render_trust

require_router()


def _judge_estimate(requests: int, judge: str, attempts: int) -> str:
    """The time a judging run will take: from the judge's own measured pace here, else a first guess."""
    pace = measured_pace(store(), judge)
    if requests <= 0 or pace is None:
        first = estimate_caption(requests, judge, attempts)
        return first + (
            " A first guess: it is replaced by the judge's measured pace after a few gradings."
            if requests > 0
            else ""
        )
    return (
        f"**{requests} requests** (graded answers × aspects) · about **{duration(requests * pace.median_s)}**"
        f" (at most {duration(requests * pace.p90_s)}), from {pace.words()}."
    )


JUDGE_JOB = "judge_job"
JOB_KINDS = ("judge", "pairwise")
FOUNDRY = "Foundry Local (in-process)"
OTHER = "Another endpoint URL"


st.title("Judge")
st.caption(
    "A local model grades every answer of a run on each aspect, 1–5, with the rubric's anchor sentences in its "
    "prompt, temperature 0 and a fixed seed. Replies it cannot read are retried, then stored as **missing** "
    "(never a made-up score), and its **parse rate** is shown beside its scores. Check it against people on "
    "**Annotate** before trusting it."
)

db = store()
active = registry().active()
if active is not None and active.kind in JOB_KINDS:
    st.session_state[JUDGE_JOB] = active.id
job = registry().get(st.session_state.get(JUDGE_JOB))
busy = active is not None

top = st.columns([2, 1])
with top[0]:
    run = pick_run(db, "judge")
if run is None:
    st.stop()
with top[1]:
    rubric = pick_rubric(run, "judge")
run_id = run["id"]
run_models = sorted({model for model, _ in graded_answers(db, run_id)})

# ---- the judge model -----------------------------------------------------------------------------
with st.container(border=True):
    st.subheader("Judge model")
    endpoints: list[user_files.Endpoint] = []
    with guard("The endpoints list could not be read."):
        endpoints = user_files.all_endpoints()
    sources = [FOUNDRY, *[f"{e.name} — {e.base_url} (HTTP)" for e in endpoints], OTHER]
    source = st.radio("Backend", sources, horizontal=True, key="judge_backend")
    base_url: str | None = None
    api_key_env: str | None = None
    choices: list[str] = []
    if source == FOUNDRY:
        choices = runnable_foundry_models()
        if foundry_status().ok and not choices:
            st.info(
                "No Foundry Local model is imported yet: import one on **Models**.",
                icon=":material/info:",
            )
    else:
        if source == OTHER:
            c1, c2 = st.columns([3, 1])
            base_url = c1.text_input(
                "Endpoint URL", key="judge_url", placeholder="http://127.0.0.1:8080/v1"
            ).strip()
            api_key_env = (
                c2.text_input(
                    "API key variable",
                    key="judge_key_env",
                    placeholder="e.g. OPENAI_API_KEY",
                    help="The NAME of the environment variable that holds the key; keys are never stored.",
                ).strip()
                or None
            )
        else:
            endpoint = endpoints[sources.index(source) - 1]
            base_url, api_key_env = endpoint.base_url, endpoint.api_key_env
        if base_url:
            try:
                choices = endpoint_models(base_url, api_key_env)
            except BenchError as exc:
                show_error(exc, title="The endpoint did not answer.")
    choices, _ = fastest_first(list(choices), avoid=set(run_models))
    judge_model = st.selectbox(
        "Judge model",
        choices,
        key=f"judge_model_{source}",
        placeholder="Choose the model that grades",
        help="Preselected: the fastest model measured here that is not among the graded ones (judges favour "
        "their own answers). A larger model usually judges better but slower.",
    )
    if judge_model and judge_model in run_models:
        st.caption(
            f":material/warning: `{judge_model}` is one of the graded models: judges tend to favour their own "
            "answers (self-preference). Prefer another model."
        )
    max_attempts = int(
        st.number_input(
            "Max attempts per answer",
            min_value=1,
            max_value=5,
            value=2,
            key="judge_attempts",
            help="An unreadable reply is asked again with a reminder of the format; after this many it is stored "
            "as missing.",
        )
    )
    k_judgments = int(
        st.number_input(
            "Judgments per answer (k)",
            min_value=1,
            max_value=7,
            value=1,
            key="judge_k",
            help="1: one deterministic judgment (temperature 0). More: k judgments at temperature 0.3 with "
            "different seeds; the median is kept and the spread (highest − lowest) is shown. k times slower.",
        )
    )
    if rubric is not None:
        with guard():
            skipped = unknown_aspects(run_prompt_set(db, run_id).prompts, rubric)
            if skipped:
                listed = "; ".join(f"`{pid}`: {', '.join(a)}" for pid, a in skipped.items())
                st.caption(
                    f":material/info: Aspects that rubric `{rubric.name}` does not define are skipped: {listed}."
                )

    if rubric is not None and judge_model:
        with guard():
            tasks = judge_tasks(db, run_id, rubric)
            done_before = judgments_frame(db, [run_id])
            done_before = done_before[done_before["judge"] == judge_model]
            judged = set(
                zip(done_before["model"], done_before["prompt_id"], done_before["aspect"], strict=True)
            )
            left = [t for t in tasks if (t[1], t[0].id, t[3].id) not in judged]
            st.markdown(_judge_estimate(len(left) * k_judgments, str(judge_model), max_attempts))
            cut = truncation.truncated_answers(db, run_id)
            truncation.warn(
                *truncation.count({(t[1], t[0].id) for t in tasks}, cut),
                truncation.max_tokens(run),
                "judging",
            )

    def _backend() -> Backend:
        if source == FOUNDRY:
            return foundry_backend()
        return backend_for(base_url, endpoint_api_key(base_url, api_key_env))  # the key guard

    if st.button(
        "Grade answers",
        type="primary",
        icon=":material/gavel:",
        disabled=busy or not judge_model or rubric is None,
        help=f"Busy: {active.title}" if active else None,
        key="judge_start",
    ):
        try:
            st.session_state[JUDGE_JOB] = start_grading(
                db,
                run_id,
                _backend(),
                str(judge_model),
                rubric,
                max_attempts,
                k_judgments,
            ).id
            job = registry().get(st.session_state[JUDGE_JOB])
        except BenchError as exc:
            show_error(exc, title="Grading did not start.")

if active is not None and active.kind not in JOB_KINDS:
    st.info(f"Busy: **{active.title}** — {active.stage}. Grading can start when it ends.")
if job is not None:
    watch(job.id, "judge", live=False)

# ---- single-answer scores ------------------------------------------------------------------------
st.header("Scores")
judgments = judgments_frame(db, [run_id])
judge = None
if judgments.empty:
    st.info("No answer of this run is graded by a judge yet: choose a judge model above and grade.")
else:
    judges = sorted(judgments["judge"].unique())
    judge = st.selectbox(
        "Scores of judge",
        judges,
        index=judges.index(judge_model) if judge_model in judges else 0,
        key="judge_results_judge",
    )
    mine = judgments[judgments["judge"] == judge]
    cut_answers = truncation.truncated_answers(db, run_id)
    # the judge's scores and parse rate: the typed summary Results, Decide and the reports read
    quality = load_quality(db, [run_id])
    replies = quality.replies(f"judge:{judge}")
    warn_parse_rate(replies, judge)
    left, right = st.columns([1, 3], gap="large")
    show_parse_rate(replies, judge, left)
    with right:
        table = quality.tables[f"judge:{judge}"]
        show_quality_table(table)
    st.markdown(f"**Quality per aspect · scored by {scorer_label(f'judge:{judge}')}**")
    st.altair_chart(quality_charts.quality_points(table, run_models), width="stretch")
    st.caption(f"Scored by **{scorer_label(f'judge:{judge}')}** on rubric aspects; n = answers × aspects.")

    st.subheader("Judgments")
    show_table(
        mine.assign(
            answer=[
                truncation.label(truncation.max_tokens(run)) if (m, p) in cut_answers else "complete"
                for m, p in zip(mine["model"], mine["prompt_id"], strict=True)
            ]
        )[["model", "prompt_id", "answer", "aspect", "score", "spread", "rationale", "attempts"]],
        column_config={
            "score": st.column_config.NumberColumn(
                "Score", help="— = missing (no readable score)", format="%d"
            ),
            "rationale": st.column_config.TextColumn("Rationale", width="large"),
            "attempts": st.column_config.NumberColumn("Attempts"),
            "spread": st.column_config.NumberColumn(
                "Spread", help="Highest − lowest of the k judgments (— for k = 1)", format="%d"
            ),
        },
    )
    missing = mine[mine["score"].isna()]
    if not missing.empty:
        with st.expander(f"Raw replies of the {len(missing)} missing scores"):
            for row in missing.to_dict("records"):
                st.markdown(
                    f"**{row['model']}** · `{row['prompt_id']}` · {row['aspect']} · {int(row['attempts'])} attempts"
                )
                st.code(row["raw"] or "(empty reply)", language="text", wrap_lines=True)

    st.subheader("Judge vs people")
    render_trust(db, [run_id], judge)
    render_judge_vs_people(db, [run_id], judge)

# ---- pairwise ------------------------------------------------------------------------------------
st.header("Pairwise")
st.caption(
    "The judge sees two answers to the same prompt and says which is better, in both orders (A-B, then B-A). "
    "A verdict that flips with the order counts as a tie. **Position consistency** = share of prompts with the "
    "same verdict in both orders."
)
if len(run_models) < 2:
    st.info("Pairwise needs a run with answers of at least two models.", icon=":material/info:")
else:
    c1, c2, c3 = st.columns(3)
    model_a = c1.selectbox("Model A", run_models, index=0, key="pair_a")
    model_b = c2.selectbox("Model B", run_models, index=1, key="pair_b")
    criteria = [OVERALL, *(rubric.aspect_ids() if rubric else [])]
    criterion = c3.selectbox(
        "Criterion", criteria, key="pair_criterion", help="Overall, or one rubric aspect"
    )
    if st.button(
        "Compare in both orders",
        icon=":material/compare_arrows:",
        disabled=busy or not judge_model,
        key="pair_start",
    ):
        try:
            st.session_state[JUDGE_JOB] = start_pairwise(
                db,
                run_id,
                _backend(),
                str(judge_model),
                model_a,
                model_b,
                criterion,
                rubric,
                max_attempts,
            ).id
            st.rerun()
        except BenchError as exc:
            show_error(exc, title="The comparison did not start.")

pairs = pairwise_frame(db, [run_id])
if not pairs.empty:
    wins = win_rates(pairs)
    rows = []
    for r in wins.to_dict("records"):
        consistency = position_consistency(db, run_id, r["judge"], r["aspect"])
        rows.append(
            {
                "Judge": r["judge"],
                "Criterion": r["aspect"],
                "Model A": r["model_a"],
                "Model B": r["model_b"],
                "A wins": r["a_wins"],
                "B wins": r["b_wins"],
                "Ties": r["ties"],
                "Missing": r["missing"],
                "n": r["n"],
                "Position consistency": stat_text(consistency, "{:.0%}"),
                "Consistency n": consistency.n,
                "A win rate": percent(r["a_wins"] / r["n"] if r["n"] else None),
            }
        )
    show_table(pd.DataFrame(rows))
    st.altair_chart(quality_charts.win_rate_bars(wins), width="stretch")
    for rank_judge, rank_aspect in sorted(set(zip(pairs["judge"], pairs["aspect"], strict=True))):
        render_judge_ranking(db, run_id, rank_judge, rank_aspect)
    st.caption(
        "Scored by the judge model named in each row. n = prompts compared; Consistency n = prompts where both "
        "orders gave a readable verdict."
    )
