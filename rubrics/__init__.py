"""Rubrics: how answers are graded, by people and by a local judge model.

One idea per module, so the Streamlit pages and the CLI import only what they show:

- :mod:`rubrics.schema` -- rubric sets (aspects with an anchor sentence for every score 1..5);
- :mod:`rubrics.answers` -- which stored answer of a run is the one that gets graded;
- :mod:`rubrics.blind` -- the per-annotator shuffled order behind "Answer A/B/C";
- :mod:`rubrics.annotate` -- blind manual annotation over the store;
- :mod:`rubrics.judge_parse` -- reading a judge model's reply without inventing a score;
- :mod:`rubrics.judge` -- single-answer and pairwise judging with a local model;
- :mod:`rubrics.agreement` -- kappa, Krippendorff's alpha, Spearman, between people and the judge;
- :mod:`rubrics.quality` -- per model x aspect quality table with intervals.

Nothing heavy is imported here: ``import rubrics`` stays cheap for the CLI.
"""
