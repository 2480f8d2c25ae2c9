"""The store's schema, one numbered migration at a time (``bench.store.store`` applies those missing).

Versions are assigned up front and applied in order, each once per database; a statement is one
SQL string split on ``;``, so no comment may hold a semicolon, and comments stay off ALTER lines
(SQLite copies them into the table's CREATE text).
"""

from __future__ import annotations

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        status TEXT NOT NULL,           -- running | completed | failed | cancelled | interrupted
        label TEXT NOT NULL DEFAULT '',
        error TEXT,
        pid INTEGER,                    -- the process running it (a dead pid + 'running' = interrupted)
        settings_json TEXT NOT NULL,    -- RunSettings
        prompts_json TEXT NOT NULL,     -- the PromptSet as run (resume reuses it)
        meta_json TEXT NOT NULL         -- git commit, package versions, hardware, transport
    );
    CREATE TABLE run_models (
        run_id TEXT NOT NULL REFERENCES runs(id),
        model TEXT NOT NULL,
        backend TEXT NOT NULL DEFAULT '',
        transport TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'pending',  -- pending | loading | running | done | failed
        error TEXT,
        model_id TEXT,
        load_seconds REAL,
        size_bytes INTEGER,
        execution_provider TEXT,
        peak_rss_bytes INTEGER,
        baseline_rss_bytes INTEGER,     -- before the model was loaded: peak - baseline = model's share
        rss_source TEXT,
        PRIMARY KEY (run_id, model)
    );
    CREATE TABLE samples (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL REFERENCES runs(id),
        model TEXT NOT NULL,
        prompt_id TEXT NOT NULL,
        round INTEGER NOT NULL,         -- warm-up rounds are negative: -W..-1
        warmup INTEGER NOT NULL,
        cold INTEGER NOT NULL,          -- first request after the model was loaded
        ok INTEGER NOT NULL,
        error TEXT,
        stream INTEGER NOT NULL,
        transport TEXT NOT NULL,
        started_at TEXT NOT NULL,
        metrics_json TEXT NOT NULL,     -- bench.measure.request_metrics.RequestMetrics
        answer TEXT NOT NULL DEFAULT '',
        reasoning TEXT NOT NULL DEFAULT '',
        server_timings_json TEXT,
        UNIQUE (run_id, model, prompt_id, round)
    );
    CREATE TABLE annotations (
        run_id TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt_id TEXT NOT NULL,
        aspect TEXT NOT NULL,
        annotator TEXT NOT NULL,
        score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
        comment TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, model, prompt_id, aspect, annotator)
    );
    CREATE TABLE judgments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt_id TEXT NOT NULL,
        aspect TEXT NOT NULL,
        judge TEXT NOT NULL,            -- judge model name (and backend)
        score INTEGER CHECK (score IS NULL OR score BETWEEN 1 AND 5),  -- NULL = missing
        rationale TEXT NOT NULL DEFAULT '',
        raw TEXT NOT NULL DEFAULT '',
        attempts INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        UNIQUE (run_id, model, prompt_id, aspect, judge)
    );
    CREATE TABLE pairwise_judgments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL,
        prompt_id TEXT NOT NULL,
        model_a TEXT NOT NULL,
        model_b TEXT NOT NULL,
        judge TEXT NOT NULL,
        verdict_ab TEXT,                -- 'A' | 'B' | 'tie' | NULL (missing), answers shown A then B
        verdict_ba TEXT,                -- the same pair shown in swapped order, mapped back to A/B
        final TEXT,                     -- 'A' | 'B' | 'tie' (a flip counts as a tie) | NULL
        raw_ab TEXT NOT NULL DEFAULT '',
        raw_ba TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        UNIQUE (run_id, prompt_id, model_a, model_b, judge)
    );
    CREATE INDEX samples_run ON samples(run_id);
    """,
    # v2 (sample outcomes, bench/measure/samples.py): every request ends ok | failed | incomplete |
    # cancelled, with the HTTP status, the tries and their log. Old rows: ok=1 is 'ok', else
    # 'failed'. run_models gain the memory basis (comparable or not, and why) and GPU memory.
    2: """
    ALTER TABLE samples ADD COLUMN outcome TEXT NOT NULL DEFAULT 'ok';
    UPDATE samples SET outcome = CASE WHEN ok = 1 THEN 'ok' ELSE 'failed' END;
    ALTER TABLE samples ADD COLUMN http_status INTEGER;
    ALTER TABLE samples ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE samples ADD COLUMN retry_log TEXT;
    ALTER TABLE run_models ADD COLUMN memory_comparable INTEGER;
    ALTER TABLE run_models ADD COLUMN memory_note TEXT;
    ALTER TABLE run_models ADD COLUMN gpu_baseline_bytes INTEGER;
    ALTER TABLE run_models ADD COLUMN gpu_peak_bytes INTEGER;
    ALTER TABLE run_models ADD COLUMN gpu_source TEXT
    """,
    # v3 (rubric storage, rubrics/storage.py): pairwise_judgments gets a real aspect column (v1
    # packed it into judge as "model|aspect": split at the last "|" with functions SQLite and
    # PostgreSQL share) and people's blind pairwise votes get a table. judgments gain samples (k
    # judgments asked per item, the median kept as score) and spread (max - min of their scores):
    # no SQL comments on ALTER lines, SQLite pastes them into the table's CREATE text.
    3: """
    CREATE TABLE pairwise_judgments_v3 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL,
        prompt_id TEXT NOT NULL,
        model_a TEXT NOT NULL,
        model_b TEXT NOT NULL,
        judge TEXT NOT NULL,            -- judge model name
        aspect TEXT NOT NULL DEFAULT 'overall',
        verdict_ab TEXT,
        verdict_ba TEXT,
        final TEXT,
        raw_ab TEXT NOT NULL DEFAULT '',
        raw_ba TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        UNIQUE (run_id, prompt_id, model_a, model_b, judge, aspect)
    );
    INSERT INTO pairwise_judgments_v3 (run_id, prompt_id, model_a, model_b, judge, aspect,
        verdict_ab, verdict_ba, final, raw_ab, raw_ba, created_at)
    SELECT run_id, prompt_id, model_a, model_b,
        CASE WHEN replace(judge, '|', '') <> judge
            THEN substr(rtrim(judge, replace(judge, '|', '')), 1,
                        length(rtrim(judge, replace(judge, '|', ''))) - 1)
            ELSE judge END,
        CASE WHEN replace(judge, '|', '') <> judge
            THEN replace(judge, rtrim(judge, replace(judge, '|', '')), '')
            ELSE 'overall' END,
        verdict_ab, verdict_ba, final, raw_ab, raw_ba, created_at
    FROM pairwise_judgments ORDER BY id;
    DROP TABLE pairwise_judgments;
    ALTER TABLE pairwise_judgments_v3 RENAME TO pairwise_judgments;
    CREATE TABLE votes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL,
        prompt_id TEXT NOT NULL,
        model_a TEXT NOT NULL,          -- model_a < model_b: the verdict is about them, not the sides
        model_b TEXT NOT NULL,
        aspect TEXT NOT NULL DEFAULT 'overall',
        annotator TEXT NOT NULL,
        verdict TEXT NOT NULL CHECK (verdict IN ('A', 'B', 'tie', 'skip')),
        left_model TEXT NOT NULL DEFAULT '',  -- shown on the left (for position-bias checks)
        created_at TEXT NOT NULL,
        UNIQUE (run_id, prompt_id, model_a, model_b, aspect, annotator)
    );
    CREATE INDEX votes_run ON votes(run_id);
    ALTER TABLE judgments ADD COLUMN samples INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE judgments ADD COLUMN spread INTEGER
    """,
    # v4 (task checks, bench/quality/checks/store.py): one verdict per sample and check; passed is 1, 0, or
    # NULL when the check was not run (code execution off, no sandbox), with the reason in detail.
    4: """
    CREATE TABLE check_results (
        run_id TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt_id TEXT NOT NULL,
        round INTEGER NOT NULL,
        check_index INTEGER NOT NULL,
        check_type TEXT NOT NULL,
        passed INTEGER,
        detail TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, model, prompt_id, round, check_index)
    );
    CREATE INDEX check_results_run ON check_results(run_id)
    """,
    # v5 (load and capacity, bench/load/run.py): every request of a load run keeps its level and
    # when it was scheduled and sent (the gap is the harness's own lag); every level keeps its
    # statistics and whether it met the SLOs. Comments stay outside the statements: SQLite copies
    # an ALTER's trailing comment into the table's schema text.
    5: """
    CREATE TABLE load_requests (
        run_id TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt_id TEXT NOT NULL,
        round INTEGER NOT NULL,
        level TEXT NOT NULL,
        level_kind TEXT NOT NULL,
        level_value REAL NOT NULL,
        scheduled_s REAL NOT NULL,
        sent_s REAL NOT NULL,
        PRIMARY KEY (run_id, model, prompt_id, round)
    );
    CREATE TABLE load_levels (
        run_id TEXT NOT NULL,
        model TEXT NOT NULL,
        level TEXT NOT NULL,
        level_kind TEXT NOT NULL,
        level_value REAL NOT NULL,
        position INTEGER NOT NULL,
        summary_json TEXT NOT NULL,
        PRIMARY KEY (run_id, model, level)
    );
    CREATE INDEX load_requests_run ON load_requests(run_id)
    """,
    # v6 (decisions, bench/decide/decision_log.py): a decision as it was taken, with its weights, limits
    # and outcome, so the reports print the limits it respected.
    6: """
    CREATE TABLE decisions (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        run_ids_json TEXT NOT NULL,
        criteria_json TEXT NOT NULL,
        limits_json TEXT NOT NULL,
        result_json TEXT NOT NULL
    )
    """,
}
