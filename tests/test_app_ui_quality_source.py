"""Quality belongs to (run, model, prompt): Decide never lends one run's scores to another run.

Seen: people scored run X on Annotate; Decide with runs X and Y of the same model showed Y with
"quality 3.1 by people (n=10), the highest among the candidates" and recommended it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from bench.inputs.config import PromptSet, RunSettings
from bench.run.runner import run_benchmark
from bench.store.store import Store

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PROMPTS = {
    "name": "attribution-test",
    "prompts": [
        {"id": "capital", "prompt": "Capital of France?", "aspects": ["accuracy"]},
        {"id": "color", "prompt": "Name a color.", "aspects": ["instruction_following"]},
    ],
}


def texts(elements: Any) -> str:
    return "\n".join(str(e.value) for e in elements)


def _run(env: Path, model: str) -> str:
    settings = RunSettings(models=[model], rounds=1, warmup=0, max_tokens=4)
    run_id, status = run_benchmark(Store(env / "bench.db"), settings, PromptSet.model_validate(PROMPTS))
    assert status == "completed"
    return run_id


def _score_on_annotate(run_id: str) -> None:
    """A person scores every answer of ``run_id`` on the Annotate page (accuracy 4, instructions 2)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/annotate.py").run()
    at.selectbox(key="annotate_run").set_value(run_id).run()
    at.text_input(key="annotator_name").set_value("ana").run()
    for _ in PROMPTS["prompts"]:
        assert not at.exception, [e.message for e in at.exception]
        for control in at.segmented_control:
            control.set_value(4 if control.label == "Accuracy" else 2)
        at.button[0].click().run()  # the form's Save
        following = at.button(key="annotate_next_unannotated")
        if not following.disabled:
            following.click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]


def test_decide_never_credits_one_runs_scores_to_another(env: Path, tiny_model: str) -> None:
    from rubrics.annotate import annotations_frame

    scored, unscored = _run(env, tiny_model), _run(env, tiny_model)
    _score_on_annotate(scored)
    saved = annotations_frame(Store(env / "bench.db"), [scored, unscored])
    assert set(saved["run_id"]) == {scored} and len(saved) == 2

    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.query_params["run"] = [scored, unscored]
    at.switch_page("pages/decide.py").run()
    assert not at.exception, [e.message for e in at.exception]
    table = at.dataframe[0].value.set_index("Model")
    by_run = {name.rsplit("-", 1)[-1]: row for name, row in table.iterrows()}
    assert by_run[scored[-4:]]["Quality"] == "3.00"  # a text column: the other row shows "—"
    assert by_run[scored[-4:]]["Quality n"] == 2
    assert by_run[unscored[-4:]]["Quality"] == "—", table
    assert by_run[unscored[-4:]]["Quality n"] == 0
    # the recommendation's reasons never give the unscored run a quality number
    success = texts(at.success)
    if unscored[-4:] in success.splitlines()[0]:
        assert "by people" not in success, success


def test_results_quality_keeps_each_run_apart(env: Path, tiny_model: str) -> None:
    """Results with runs X and Y of one model: X's scores are X's; Y has none (never a pooled row)."""
    scored, unscored = _run(env, tiny_model), _run(env, tiny_model)
    _score_on_annotate(scored)

    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.query_params["run"] = [scored, unscored]
    at.switch_page("pages/results.py").run()
    assert not at.exception, [e.message for e in at.exception]
    quality = next(df.value for df in at.dataframe if "Aspect" in df.value.columns)
    models = set(quality["Model"])
    assert any(scored[-4:] in str(m) for m in models), models  # the row names its run
    assert not any(unscored[-4:] in str(m) for m in models), models  # nothing lent to the unscored run
    assert tiny_model not in models, models  # never a bare model name pooling both runs
