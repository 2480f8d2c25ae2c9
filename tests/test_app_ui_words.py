"""Errors in the user's words: pydantic's phrasing translated, CLI flags never shown in the app,
Markdown in error text escaped.

Seen: "List should have at least 1 item after validation", "String should have at least 1
character", "fix --endpoint" in the app, and ``*/etc:`` rendered in italics.
"""

from __future__ import annotations

import pytest

from bench.errors import BenchError
from bench.inputs.config import RunSettings, prompt_set_from_data
from ui.errors import error_markdown, escape_markdown, gui_words


def _message(data: object) -> str:
    with pytest.raises(BenchError) as info:
        prompt_set_from_data(data, "set.json")
    return info.value.message


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ([], "set.json: prompts: add at least one prompt"),
        ({"prompts": [{"id": "a", "prompt": ""}]}, "prompts.0.prompt: the prompt is empty"),
        ({"prompts": [{"id": "", "prompt": "x"}]}, "prompts.0.id: the id is empty"),
        ({"prompts": [{"id": "a"}]}, "prompts.0.prompt: the prompt is missing"),
        ({"prompts": [{"id": "a", "prompt": "x", "colour": 1}]}, "`colour` is not a field here"),
        ({"prompts": [{"id": "a", "prompt": 3}]}, "prompts.0.prompt: must be text"),
    ],
)
def test_prompt_set_errors_read_as_sentences(data: object, words: str) -> None:
    message = _message(data)
    assert words in message
    assert "should have" not in message and "Input should" not in message and "Field required" not in message


def test_rubric_errors_read_as_sentences() -> None:
    from rubrics.schema import rubric_set_from_data

    with pytest.raises(BenchError) as info:
        rubric_set_from_data({"aspects": []}, "r.json")
    assert "aspects: add at least one aspect" in info.value.message


def test_run_settings_numbers_name_the_limit() -> None:
    from pydantic import ValidationError

    from bench.errors import plain_message

    with pytest.raises(ValidationError) as info:
        RunSettings(models=["m"], rounds=0, max_tokens="many")
    words = [plain_message(e) for e in info.value.errors()]
    assert words == ["must be at least 1", "must be a whole number"]


def test_the_app_never_tells_a_gui_user_to_fix_a_flag() -> None:
    from bench.backends.openai_compat import OpenAIBackend

    with pytest.raises(BenchError) as info:
        OpenAIBackend("http://127.0.0.1:9/v1").list_models()
    shown = error_markdown(info.value.message)
    assert "--endpoint" not in shown and "Models page" in shown
    assert "--" not in gui_words("pick at least one model (pass --models NAME[,NAME])")
    assert gui_words("try --max-tokens 64") == "try the max tokens setting 64"


def test_markdown_in_error_text_is_escaped_but_code_spans_stay() -> None:
    shown = error_markdown("*/etc: permission denied\n  fix: run `chmod +r */etc` then retry_now")
    assert shown.startswith("**\\*/etc: permission denied**")
    assert "`chmod +r */etc`" in shown and "retry\\_now" in shown
    assert escape_markdown("a [link](x) $5 ~x~") == "a \\[link\\](x) \\$5 \\~x\\~"


def test_tables_show_a_dash_for_a_missing_number(tmp_path, monkeypatch, tiny_model: str) -> None:  # type: ignore[no-untyped-def]
    """Seen: Decide's Quality column and Results' TTFT read "None" for numbers nobody measured."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from bench.inputs.config import PromptSet
    from bench.run.runner import run_benchmark
    from bench.store.store import Store

    monkeypatch.setenv("SLM_BENCH_DB", str(tmp_path / "bench.db"))
    monkeypatch.setenv("SLM_BENCH_APP_DIR", str(tmp_path / "app"))
    prompts = PromptSet.model_validate({"prompts": [{"id": "a", "prompt": "Say hi."}]})
    settings = RunSettings(models=[tiny_model], rounds=2, warmup=0, max_tokens=4, stream=False)
    run_id, _ = run_benchmark(Store(tmp_path / "bench.db"), settings, prompts)
    app = str(Path(__file__).resolve().parent.parent / "app.py")
    for page, column in (("pages/decide.py", "Quality"), ("pages/results.py", "TTFT mean (s)")):
        at = AppTest.from_file(app, default_timeout=60)
        at.run()
        at.query_params["run"] = [run_id]
        at.switch_page(page).run()
        assert not at.exception, [e.message for e in at.exception]
        table = next(df.value for df in at.dataframe if column in df.value.columns)
        assert table[column].tolist() == ["—"], (page, table[column].tolist())


def test_settings_read_as_sentences(tmp_path, monkeypatch, tiny_model: str) -> None:  # type: ignore[no-untyped-def]
    """Seen: "streamed True", "1 rounds", "round warm-up · warm-up" on Run and Results."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from bench.inputs.config import PromptSet
    from bench.run.runner import run_benchmark
    from bench.store.store import Store

    monkeypatch.setenv("SLM_BENCH_DB", str(tmp_path / "bench.db"))
    monkeypatch.setenv("SLM_BENCH_APP_DIR", str(tmp_path / "app"))
    prompts = PromptSet.model_validate({"prompts": [{"id": "a", "prompt": "Say hi."}]})
    settings = RunSettings(models=[tiny_model], rounds=1, warmup=1, max_tokens=4)
    run_id, _ = run_benchmark(Store(tmp_path / "bench.db"), settings, prompts)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60)
    at.run()
    at.query_params["run"] = [run_id]
    at.switch_page("pages/results.py").run()
    assert not at.exception, [e.message for e in at.exception]
    shown = "\n".join(str(m.value) for m in at.markdown)
    assert "1 round after 1 warm-up round" in shown and "· streamed" in shown
    assert "streamed True" not in shown and "1 rounds" not in shown
    at.session_state["results_answers_open"] = True  # the Answers section, as a click opens it
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    shown = "\n".join(str(m.value) for m in at.markdown)
    assert "round 1 (cold)" in shown or "round 1 (warm)" in shown
    assert "warm-up 1 (not in statistics)" in shown or "warm-up 1 (cold)" in shown
    assert "round warm-up" not in shown

    at.switch_page("pages/run.py").run()
    at.number_input(key="run_rounds").set_value(1)
    at.number_input(key="run_warmup").set_value(1)
    at.run()
    caption = "\n".join(str(c.value) for c in at.caption)
    assert "1 warm-up round + 1 measured round" in caption, caption


# ---- the judge's trust label in plain words (issue 20) ---------------------------------------------
def test_the_trust_label_says_what_it_means_in_plain_words() -> None:
    """Seeded synthetic truth: a judge copying people (small noise) is trusted; a coin-flip judge is not."""
    import numpy as np

    from rubrics.trust import trust_from_pairs

    rng = np.random.default_rng(7)
    people = rng.integers(1, 6, size=80)
    close = np.clip(np.rint(people + rng.normal(0, 0.5, size=80)), 1, 5).astype(int)
    good = trust_from_pairs("good", people.tolist(), close.tolist(), resamples=300)
    assert good.words == "agrees with people well enough to trust (needs ≥ 0.40)"
    coin = trust_from_pairs("coin", people.tolist(), rng.integers(1, 6, 80).tolist(), resamples=300)
    assert coin.words == "agrees with people too little to trust (needs ≥ 0.40)"
    assert "kappa" not in coin.words and "interval" not in coin.words  # the statistic stays in .reason
    assert trust_from_pairs("none", [], []).words.startswith("not checked against people yet")


def test_compare_never_says_no_change_when_nothing_has_an_interval(env) -> None:  # type: ignore[no-untyped-def]
    """Seen (issue 20): "No detectable change on any metric" beside "No model with an interval in both runs"."""
    import numpy as np
    from streamlit.testing.v1 import AppTest

    from bench.store.store import Store
    from tests.app_support import APP
    from tests.synthetic_runs import latencies, store_run

    rng = np.random.default_rng(4)
    store = Store(env / "bench.db")
    for _ in range(2):  # one measured request per model: no interval can be drawn
        store_run(store, {"model-a": latencies(rng, 0.3, n=1)})
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/compare.py").run()
    assert not at.exception, [e.message for e in at.exception]
    info = "\n".join(str(i.value) for i in at.info)
    assert "No detectable change on any metric" not in info, info
    # the rates (errors, truncated) have an interval, the timings do not: each said for what it is
    assert "Too few samples or one value each for:" in info and "End-to-end p50" in info, info
