"""Export a case as Parquet: the canonical tables for engines past one machine (Spark).

Layout of ``DIR`` (docs/scale.md)::

    manifest.json                      schema version, row counts, sha256 of every file
    plans/data_0.parquet ...           one directory per canonical table
    dns_queries/bucket=7/day=2025-10-20/data_0.parquet
                                       Hive-partitioned: by a hash bucket of qname (every
                                       query of a name is in one bucket) and UTC day

The manifest makes the export evidence too: the sha256 of every source file (from the
case's ``files`` inventory) and of every Parquet file written, and each table's row
count, so a reader can check it got all of it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb

from . import schema
from .errors import InputError

MANIFEST = "manifest.json"
FORMAT = "plan-forensics-parquet"
DEFAULT_BUCKETS = 32
# The Hive partition columns of dns_queries (not canonical columns: readers drop them).
PARTITION_COLUMNS = ("bucket", "day")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def export_parquet(
    con: duckdb.DuckDBPyConnection, out: str | Path, *, buckets: int = DEFAULT_BUCKETS
) -> dict[str, Any]:
    """Write every canonical table of the case on ``con`` under ``out``; returns the manifest.

    ``out`` must not exist or be empty (an export is written once, never mixed).
    """
    out = Path(out)
    if buckets < 1:
        raise InputError(f"--buckets must be at least 1, not {buckets}")
    if out.exists() and any(out.iterdir()):
        raise InputError(f"{out} is not empty; choose a new directory for the export")
    out.mkdir(parents=True, exist_ok=True)
    tables: dict[str, Any] = {}
    try:
        for table in schema.TABLES:
            tables[table.name] = _export_table(con, table, out / table.name, buckets)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    sources = con.execute("SELECT file, sha256, size, status FROM files ORDER BY file").fetchall()
    manifest = {
        "format": FORMAT,
        "schema_version": schema.SCHEMA_VERSION,
        "buckets": buckets,
        "partitioning": {
            "dns_queries": ["day (UTC, from ts)", f"bucket = hash(qname) % {buckets}"]
        },
        "tables": tables,
        "source_files": [
            {"file": f, "sha256": h, "size": s, "status": st} for f, h, s, st in sources
        ],
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _export_table(
    con: duckdb.DuckDBPyConnection, table: schema.Table, target: Path, buckets: int
) -> dict[str, Any]:
    rows = con.execute(f"SELECT count(*) FROM {table.name}").fetchall()[0][0]
    cols = ", ".join(f'"{c}"' for c in table.column_names)
    if table is schema.DNS_QUERIES and rows:
        # one bucket at a time: a partitioned write buffers every open partition, so
        # all buckets at once would hold (or spill) the whole table
        target.mkdir(parents=True)
        for bucket in range(buckets):
            query = (
                f"SELECT {cols}, strftime(timezone('UTC', ts), '%Y-%m-%d') AS day "
                f"FROM {table.name} WHERE hash(qname) % {int(buckets)} = {bucket}"
            )
            where = _quote(target / f"bucket={bucket}")
            con.execute(f"COPY ({query}) TO '{where}' (FORMAT parquet, PARTITION_BY (day))")
    else:
        # one file, also when empty, so that every table has its schema on disk
        target.mkdir(parents=True)
        target = target / "data_0.parquet"
        con.execute(
            f"COPY (SELECT {cols} FROM {table.name}) TO '{_quote(target)}' (FORMAT parquet)"
        )
    base = target if target.is_dir() else target.parent
    files = sorted(p for p in base.rglob("*.parquet"))
    return {
        "rows": rows,
        "partition_by": list(PARTITION_COLUMNS) if target.is_dir() else [],
        "files": [
            {"path": p.relative_to(base.parent).as_posix(), "sha256": _sha256(p)} for p in files
        ],
    }


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """The manifest of a local export, checked (see ``check_manifest``)."""
    path = Path(directory) / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"no Parquet export here (cannot read {MANIFEST})", file=path) from exc
    return check_manifest(text, path)


def check_manifest(text: str, where: str | Path) -> dict[str, Any]:
    """A manifest's JSON, checked: the format and a schema version this code reads."""
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{MANIFEST} is not valid JSON: {exc}", file=where) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError(f"not a plan-forensics Parquet export (format {FORMAT!r})", file=where)
    if int(manifest.get("schema_version", 0)) > schema.SCHEMA_VERSION:
        raise InputError("the export was written by a newer version of the analyzer", file=where)
    return manifest
