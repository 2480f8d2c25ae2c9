"""Run any test file with every store on a real PostgreSQL server: ``pytest -p tests.pg_mode tests/test_x.py``.

Every SQLite path a test opens (``Store(tmp_path / "bench.db")``, ``SLM_BENCH_DB``) is mapped to its own fresh
PostgreSQL database on a throwaway server (tests/pg_server.py). It shows whether code that writes SQL through
``store.connect()`` (rubrics, checks, decisions) is portable. Tests that open the SQLite file themselves
(``sqlite3.connect``) or start a subprocess (the CLI) keep using SQLite and are not meaningful in this mode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.pg_server import PgServer

_server: PgServer | None = None
_databases: dict[str, str] = {}


def pytest_configure(config: Any) -> None:
    global _server
    from bench.store import db

    _server = PgServer()
    _server.start()
    original = db.location

    def location(value: str | Path) -> str | Path:
        loc = original(value)
        if isinstance(loc, Path) and _server is not None:
            key = str(loc.resolve())
            if key not in _databases:
                _databases[key] = _server.new_db()
            return _databases[key]
        return loc

    db.location = location  # type: ignore[assignment]


def pytest_unconfigure(config: Any) -> None:
    if _server is not None:
        print(f"\npg_mode: {len(_databases)} store(s) ran on PostgreSQL ({_server.url})")
        _server.close()
