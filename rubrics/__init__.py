"""Rubrics: how answers are graded, by people and by a local judge model.

One idea per module, so the Streamlit pages and the CLI import only what they show:

- :mod:`rubrics.schema` -- rubric sets (aspects with an anchor sentence for every score 1..5);
- :mod:`rubrics.storage` -- every SQL statement on the quality tables (annotations, judgments,
  pairwise verdicts, votes);
- :mod:`rubrics.answers` -- which stored answer of a run is the one that gets graded;
- :mod:`rubrics.blind` -- the per-annotator shuffled order behind "Answer A/B/C";
- :mod:`rubrics.annotate` -- blind manual 1-5 annotation over the store;
- :mod:`rubrics.votes` -- blind pairwise votes by people, the next pair to show;
- :mod:`rubrics.bradley_terry` -- ratings from pairwise preferences, bootstrap intervals, active pairing;
- :mod:`rubrics.judge_prompts` -- the judge's prompts (the answer fenced as data);
- :mod:`rubrics.judge_parse` -- reading a judge model's reply without inventing a score;
- :mod:`rubrics.judge_ask` -- asking the judge: retries, k samples with the median kept;
- :mod:`rubrics.judge` / :mod:`rubrics.judge_pairwise` -- single-answer and pairwise judging runs;
- :mod:`rubrics.agreement` -- kappa, Krippendorff's alpha, Spearman, between people and the judge;
- :mod:`rubrics.trust` -- judge vs people with intervals, the "validated" label, what to score next;
- :mod:`rubrics.quality` -- per model x aspect quality table with intervals;
- :mod:`rubrics.sources`, :mod:`rubrics.votes_source` -- the score sources ``bench`` reads.

Nothing heavy is imported here: ``import rubrics`` stays cheap for the CLI.
"""
