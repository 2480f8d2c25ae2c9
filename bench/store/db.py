"""Where the store lives: an embedded SQLite file (the default) or a PostgreSQL team server.

``bench.store.store`` and ``rubrics`` write one SQL dialect — SQLite's, kept portable (``?``
placeholders, ``INSERT ... ON CONFLICT ... DO UPDATE``, ``INTEGER PRIMARY KEY AUTOINCREMENT``).
This module is the only place that knows the difference: it opens a short-lived connection for
either URL and, for PostgreSQL (``psycopg`` 3), translates each statement once (placeholders to
``%s``, ``AUTOINCREMENT`` keys to ``BIGSERIAL``, ``INTEGER`` to 64-bit ``BIGINT``, ``REAL`` to
``DOUBLE PRECISION``) and returns rows that read like ``sqlite3.Row`` (``row[0]``, ``row["col"]``,
``dict(row)``). :func:`connect` is a connection per operation: no pool to go stale when the server
restarts, safe from any thread. A run holds one connection instead (:func:`open_connection`, each
operation still its own :func:`transaction`): opening, setting up and closing a connection per
sample cost more than the sample's own write. A server that goes away becomes a
:class:`BenchError` naming the store and saying the run can be resumed, never a traceback.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.errors import BenchError

PG_SCHEMES = ("postgresql", "postgres")
MIGRATION_LOCK_KEY = 7_270_011  # pg_advisory_xact_lock key: one process migrates at a time


def location(value: str | Path) -> str | Path:
    """A PostgreSQL URL (as text) or a SQLite file path.

    ``Path("postgresql://u@h/db")`` collapses the double slash (typer hands ``--db`` over as a
    Path), so a single-slash ``postgresql:/`` is read back as the URL it was. Any other
    ``scheme://`` is refused instead of becoming a folder named after it.
    """
    text = str(value)
    mangled = re.match(r"^(postgres(?:ql)?):/(?!/)", text)
    if mangled:
        text = f"{mangled.group(1)}://{text[mangled.end() :]}"
    scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.-]+):/", text)
    if scheme:
        if scheme.group(1).lower() in PG_SCHEMES:
            return text
        raise BenchError(
            display(text),
            f"{scheme.group(1)!r} is not a store SLM Bench can use",
            "use a SQLite file path or postgresql://USER@HOST[:PORT]/DB",
        )
    return Path(text).expanduser()


def is_postgres(loc: str | Path) -> bool:
    return isinstance(loc, str) and loc.split(":", 1)[0].lower() in PG_SCHEMES


def display(loc: str | Path) -> str:
    """The location as shown to people: a URL's password becomes ``***``."""
    text = str(loc)
    if "://" not in text:
        return text
    parts = urlsplit(text)
    if parts.password is None:
        return text
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


# ---- SQLite --------------------------------------------------------------------------------------
def _sqlite_open(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


@contextmanager
def _sqlite_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


# ---- PostgreSQL ----------------------------------------------------------------------------------
_TYPE_RULES = [
    (re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT\b", re.I), "BIGSERIAL PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b", re.I), "BIGINT"),
    (re.compile(r"\bREAL\b", re.I), "DOUBLE PRECISION"),
]
_NOT_PORTABLE = re.compile(r"\bINSERT\s+OR\s+(REPLACE|IGNORE)\b|\bPRAGMA\b|\bBEGIN\s+IMMEDIATE\b", re.I)
_SEGMENTS = re.compile(r"('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\")")  # quoted literals and identifiers


@lru_cache(maxsize=1024)
def to_postgres(sql: str) -> str:
    """SQLite-flavoured portable SQL -> PostgreSQL; quoted text is left alone."""
    out = []
    for i, part in enumerate(_SEGMENTS.split(sql)):
        if i % 2:  # inside quotes
            out.append(part.replace("%", "%%"))
            continue
        bad = _NOT_PORTABLE.search(part)
        if bad:
            raise ValueError(
                f"not portable SQL ({bad.group(0)}): use INSERT ... ON CONFLICT (...) DO UPDATE/NOTHING"
            )
        for pattern, repl in _TYPE_RULES:
            part = pattern.sub(repl, part)
        out.append(part.replace("%", "%%").replace("?", "%s"))
    return "".join(out)


class Row(tuple):
    """A result row readable as ``row[0]``, ``row["col"]`` and ``dict(row)``, like ``sqlite3.Row``."""

    _names: tuple[str, ...] = ()

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names.index(key))
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor: Any) -> Any:
    names = tuple(d.name for d in cursor.description or ())
    kind = type("Row", (Row,), {"_names": names})
    return lambda values: kind(values)


def _params(params: Sequence[Any] | None) -> list[Any]:
    """bool -> int: the schema keeps SQLite's 0/1 INTEGER flags, PostgreSQL will not cast a bool."""
    return [int(p) if isinstance(p, bool) else p for p in (params or ())]


class PgConnection:
    """The slice of ``sqlite3.Connection`` the store and rubrics use, over a psycopg connection."""

    def __init__(self, conn: Any, where: str) -> None:
        self._conn = conn
        self._where = where

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        with _unreachable(self._where):
            return self._conn.execute(to_postgres(sql), _params(params))

    def executemany(self, sql: str, seq: Sequence[Sequence[Any]]) -> Any:
        with _unreachable(self._where):
            cur = self._conn.cursor()
            cur.executemany(to_postgres(sql), [_params(p) for p in seq])
            return cur


@contextmanager
def _unreachable(where: str) -> Iterator[None]:
    import psycopg

    try:
        yield
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BenchError(
            where,
            f"the team store is unreachable ({first})",
            "check that the PostgreSQL server is up and the URL is right; a run stopped by this"
            " resumes with `python -m bench run --resume RUN_ID`",
        ) from exc


def _postgres_open(url: str) -> PgConnection:
    import psycopg

    where = display(url)
    with _unreachable(where):
        return PgConnection(psycopg.connect(url, connect_timeout=10, row_factory=_row_factory), where)


@contextmanager
def _postgres_transaction(conn: PgConnection) -> Iterator[PgConnection]:
    import psycopg

    try:
        yield conn
        with _unreachable(conn._where):
            conn._conn.commit()
    except BaseException:
        if not conn._conn.closed:
            with contextlib.suppress(psycopg.Error):  # the server is gone: nothing to roll back
                conn._conn.rollback()
        raise


def open_connection(loc: str | Path) -> Any:
    """A connection to keep (close it with :func:`close`); each use goes through :func:`transaction`."""
    return _postgres_open(str(loc)) if is_postgres(loc) else _sqlite_open(Path(loc))


@contextmanager
def transaction(conn: Any) -> Iterator[Any]:
    """One transaction on a kept connection: committed on success, rolled back on error."""
    body = _postgres_transaction if isinstance(conn, PgConnection) else _sqlite_transaction
    with body(conn) as inside:
        yield inside


def close(conn: Any) -> None:
    """Close a kept connection; a server already gone has nothing left to close."""
    with contextlib.suppress(Exception):
        (conn._conn if isinstance(conn, PgConnection) else conn).close()


@contextmanager
def connect(loc: str | Path) -> Iterator[Any]:
    """A short-lived connection in one transaction: committed on success, rolled back on error."""
    conn = open_connection(loc)
    try:
        with transaction(conn) as inside:
            yield inside
    finally:
        close(conn)


def lock_for_migration(conn: Any) -> None:
    """Serialise migrations between processes (SQLite's BEGIN IMMEDIATE already does)."""
    if isinstance(conn, PgConnection):
        conn.execute(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")


def tables(conn: Any) -> list[str]:
    """Every table of the store (``schema_version`` included), in name order."""
    if isinstance(conn, PgConnection):
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    return sorted(r[0] for r in conn.execute(sql).fetchall())


def columns(conn: Any, table: str) -> list[str]:
    """Column names of ``table`` in their declared order."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table):
        raise ValueError(f"not a table name: {table!r}")
    cur = conn.execute(f"SELECT * FROM {table} WHERE 1 = 0")
    return [d[0] for d in cur.description]
