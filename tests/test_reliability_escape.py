"""bench.escape: Markdown cells and CSV cells from hostile text, and the reports that use it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from bench.escape import csv_cell, csv_frame, md_cell, md_inline


def test_markdown_cell_escapes_pipes_and_newlines():
    assert md_cell("a|b") == "a\\|b"
    assert md_cell("line1\nline2\r\nline3") == "line1<br>line2<br>line3"
    assert md_cell(None) == "" and md_cell(3) == "3"
    assert md_inline("a\nb") == "a b"


def _split_row(row: str) -> list[str]:
    """Cells of a Markdown table row, honouring ``\\|`` escapes (as GitHub's renderer does)."""
    cells, cur, i = [], "", 0
    while i < len(row):
        if row[i] == "\\" and i + 1 < len(row):
            cur += row[i : i + 2]
            i += 2
            continue
        if row[i] == "|":
            cells.append(cur)
            cur = ""
        else:
            cur += row[i]
        i += 1
    cells.append(cur)
    return cells[1:-1]


@given(st.lists(st.text(), min_size=1, max_size=4))
def test_any_text_stays_in_its_own_cell_on_one_line(values: list[str]):
    row = "| " + " | ".join(md_cell(v) for v in values) + " |"
    assert "\n" not in row and "\r" not in row
    assert len(_split_row(row)) == len(values)


def test_csv_formula_prefixes_are_neutralised():
    for bad in ("=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx"):
        assert csv_cell(bad) == "'" + bad
    assert csv_cell("\rx") == "'\nx"  # a lone CR would split the row
    assert csv_cell("hello") == "hello" and csv_cell(-1.5) == -1.5


@given(st.text())
def test_no_csv_text_cell_starts_with_a_formula_prefix(text: str):
    frame = pd.DataFrame({"answer": [text], "e2e_s": [-0.5]})
    parsed = list(csv.reader(io.StringIO(csv_frame(frame).to_csv(index=False), newline="")))
    assert not parsed[1][0].startswith(("=", "+", "-", "@", "\t", "\r"))
    assert parsed[1][1] == "-0.5"  # numbers are not touched


def test_reports_escape_model_names_errors_and_answers(tmp_path: Path):
    from bench.measure.request_metrics import RequestMetrics
    from bench.measure.samples import Sample
    from bench.report import exports
    from bench.store.store import Store

    store = Store(tmp_path / "bench.db")
    evil = '=HYPERLINK("x")|evil\nrow'
    run_id = store.create_run({"models": [evil], "rounds": 1, "warmup": 0, "max_tokens": 8, "temperature": 0,
                               "seed": 1, "stream": True}, {"name": "p", "prompts": [{"id": "p1", "prompt": "x"}]},
                              {})  # fmt: skip
    store.upsert_run_model(run_id, evil, status="done")
    store.add_sample(
        Sample(
            run_id=run_id,
            model=evil,
            prompt_id="p1",
            round=0,
            warmup=False,
            cold=False,
            outcome="ok",
            stream=True,
            transport="http",
            started_at="2026-01-01T00:00:00Z",
            metrics=RequestMetrics(e2e_s=0.5, output_tokens=3, output_token_source="usage").to_dict(),
            answer="=1+2|x\ny",
        )
    )
    store.set_run_status(run_id, "completed")
    md = exports.render_markdown(store, [run_id])
    table = [line for line in md.splitlines() if line.startswith("| =HYPERLINK")]
    assert len(table) == 2  # the Models row and the Requests row: one line each, nothing forged
    assert all("\\|evil<br>row" in line for line in table)
    # 1 ok, no failed/incomplete/cancelled, no retries; error and cut rates 0% of one request; no bursts
    assert "| 1 | 0 | 0 | 0 | 0 | 0.0% (" in table[1] and table[1].endswith("n=1) | 0 |")
    rows = list(csv.DictReader(io.StringIO(exports.samples_csv(store, [run_id]))))
    assert rows[0]["model"].startswith("'=") and rows[0]["answer"] == "'=1+2|x\ny"
