"""Run bundles: everything of some runs in one file, for machines that are not connected.

A bundle is gzip'd JSON: every row that belongs to the runs, table by table (the run with its
settings, prompts and machine; its models; samples with answers; annotations; judgments; votes;
check verdicts; load levels — every table with a ``run_id``), the schema versions it was made
with, the exporting machine, and a sha256 per table plus one over the whole content. Import checks
all of that before writing anything, then adds the rows in one transaction with
``ON CONFLICT DO NOTHING`` on each table's natural key: importing twice changes nothing, and a row
the store already has (an annotation made there meanwhile) is never overwritten. Surrogate ``id``
columns are not carried: the importing store numbers its own rows.

The checksums catch a damaged file and an edit that did not also rewrite the manifest; they are
not a signature against someone who rewrites both.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from pathlib import Path
from typing import Any

from bench.errors import BenchError
from bench.store import db
from bench.store.store import Store, utc_now

FORMAT = "slm-bench-run-bundle"
VERSION = 1
SKIP_TABLES = {"schema_version"}


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def _sha(value: Any) -> str:
    return hashlib.sha256(_canonical(value)).hexdigest()


def _run_tables(conn: Any) -> dict[str, list[str]]:
    """Tables that hold rows of a run (``runs`` itself and every table with ``run_id``) -> columns."""
    found = {}
    for table in db.tables(conn):
        if table in SKIP_TABLES:
            continue
        cols = db.columns(conn, table)
        if table == "runs" or "run_id" in cols:
            found[table] = [c for c in cols if not (c == "id" and table != "runs")]
    return found


def collect(store: Store, run_ids: list[str]) -> dict[str, Any]:
    """The bundle's content (before checksums) for ``run_ids``; unknown ids are refused."""
    if not run_ids:
        raise BenchError("export", "no run given", "pass one or more run ids (see `python -m bench runs`)")
    missing = [r for r in run_ids if store.get_run(r) is None]
    if missing:
        raise BenchError(
            ", ".join(missing), f"no such run in {store.path}", "list runs with `python -m bench runs`"
        )
    marks = ", ".join("?" * len(run_ids))
    data: dict[str, Any] = {}
    with store.connect() as conn:
        versions = sorted(r[0] for r in conn.execute("SELECT version FROM schema_version").fetchall())
        for table, cols in sorted(_run_tables(conn).items()):
            key = "id" if table == "runs" else "run_id"
            rows = conn.execute(
                f"SELECT {', '.join(cols)} FROM {table} WHERE {key} IN ({marks}) ORDER BY {', '.join(cols[:4])}",
                run_ids,
            ).fetchall()
            data[table] = {"columns": cols, "rows": [list(r) for r in rows]}
    from bench.measure.machine import fingerprint

    return {
        "format": FORMAT,
        "version": VERSION,
        "created_at": utc_now(),
        "schema_versions": versions,
        "exported_by": fingerprint(),
        "runs": list(run_ids),
        "tables": data,
    }


def export_runs(store: Store, run_ids: list[str], out: str | Path) -> dict[str, int]:
    """Write the bundle; returns rows per table."""
    content = collect(store, run_ids)
    content["manifest"] = {name: _sha(table) for name, table in content["tables"].items()}
    content["sha256"] = _sha({k: v for k, v in content.items() if k != "sha256"})
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with gzip.open(tmp, "wb") as fh:
        fh.write(_canonical(content))
    tmp.replace(path)  # never a half-written bundle under the real name
    return {name: len(t["rows"]) for name, t in content["tables"].items()}


def read_bundle(path: str | Path) -> dict[str, Any]:
    """The verified content of a bundle file; a damaged or edited file is refused, naming why."""
    where = str(path)
    try:
        with gzip.open(path, "rb") as fh:
            raw = fh.read()
        content = json.loads(raw)
    except FileNotFoundError:
        raise BenchError(where, "no such file", "check the path of the bundle") from None
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise BenchError(
            where,
            f"not a readable run bundle ({type(exc).__name__}: {exc})",
            "the file is damaged: export it again",
        ) from None
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise BenchError(
            where, "not an SLM Bench run bundle", "make one with `python -m bench export RUN --out FILE`"
        )
    if content.get("version") != VERSION:
        raise BenchError(
            where, f"bundle version {content.get('version')} is not {VERSION}", "update SLM Bench"
        )
    expected = content.get("sha256")
    if expected != _sha({k: v for k, v in content.items() if k != "sha256"}):
        raise BenchError(where, "checksum mismatch: the bundle was changed after export", "export it again")
    manifest = content.get("manifest") or {}
    for name, table in (content.get("tables") or {}).items():
        if manifest.get(name) != _sha(table):
            raise BenchError(
                where, f"table {name}: checksum mismatch (changed after export)", "export it again"
            )
    return content


def import_bundle(store: Store, path: str | Path) -> dict[str, dict[str, int]]:
    """Add a bundle's rows to ``store`` in one transaction. Returns ``{table: {"new": n, "kept": m}}``
    (kept = already there, left as it was)."""
    content = read_bundle(path)
    counts: dict[str, dict[str, int]] = {}
    with store.connect() as conn:
        have = sorted(r[0] for r in conn.execute("SELECT version FROM schema_version").fetchall())
        newer = sorted(set(content["schema_versions"]) - set(have))
        if newer:
            raise BenchError(
                str(path),
                f"made with schema versions {newer} this store does not have",
                "update SLM Bench here",
            )
        tables = _run_tables(conn)
        order = ["runs", *sorted(t for t in content["tables"] if t != "runs")]
        for name in order:
            table = content["tables"].get(name)
            if table is None:
                continue
            if name not in tables:
                raise BenchError(
                    str(path), f"holds table {name!r} this store does not have", "update SLM Bench here"
                )
            unknown = [c for c in table["columns"] if c not in tables[name]]
            if unknown:
                raise BenchError(
                    str(path), f"table {name}: unknown columns {unknown}", "update SLM Bench here"
                )
            counts[name] = _insert(conn, name, table["columns"], table["rows"])
    return counts


def _insert(conn: Any, table: str, cols: list[str], rows: list[list[Any]]) -> dict[str, int]:
    sql = (
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        " ON CONFLICT DO NOTHING"
    )
    new = 0
    for row in rows:
        new += max(conn.execute(sql, row).rowcount, 0)
    return {"new": new, "kept": len(rows) - new}


def bundle_bytes(store: Store, run_ids: list[str]) -> bytes:
    """The bundle file's bytes (for a download button)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="slm-bundle-") as tmp:
        path = Path(tmp) / "runs.slmbundle"
        export_runs(store, run_ids, path)
        return path.read_bytes()


def import_bytes(store: Store, data: bytes, name: str = "uploaded bundle") -> dict[str, dict[str, int]]:
    """Import a bundle given as bytes (an upload); errors name ``name``."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="slm-bundle-") as tmp:
        path = Path(tmp) / name.replace("/", "_")
        path.write_bytes(data)
        try:
            return import_bundle(store, path)
        except BenchError as exc:
            raise BenchError(name, exc.what, exc.fix) from None
