"""``analyzer sql`` (ask the case anything) and ``analyzer schema`` (what to ask)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import duckdb

from .. import schema as canonical
from ..errors import InputError
from ..timewindow import parse_window, restrict_to_window
from .common import case_options, existing_case, format_option, handle_errors
from .output import echo_long, emit, to_json

TABLE_LIMIT = 40
"""Rows a table shows by default (``--limit`` changes it; CSV and JSON show all)."""


def _run(con: duckdb.DuckDBPyConnection, statement: Any, limit: int | None) -> tuple[Any, int]:
    """Execute one statement; its columns, first ``limit`` rows and total row count
    (streamed, so a large result is counted without being held)."""
    try:
        rel = con.execute(statement)
        columns = [d[0] for d in rel.description or []]
        rows = rel.fetchmany(limit) if limit else rel.fetchall()
        total = len(rows)
        if limit and len(rows) == limit:
            while chunk := rel.fetchmany(65536):
                total += len(chunk)
    except duckdb.Error as exc:
        raise InputError(f"SQL error: {exc}") from exc
    return (columns, rows), total


@click.command()
@click.argument("query")
@case_options
@format_option("table", "csv", "json")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    help=f"Rows to print per statement (0: all; default {TABLE_LIMIT} in a table, all in CSV "
    "and JSON).",
)
@click.option(
    "--since", metavar="TIME", help="Only events at or after TIME (2h, yesterday, RFC 3339)."
)
@click.option("--until", metavar="TIME", help="Only events at or before TIME.")
@click.option(
    "--tz", default="UTC", show_default=True, metavar="ZONE", help="Zone of today/yesterday."
)
@handle_errors
def sql(
    query: str,
    path: Path | None,
    db: Path | None,
    fmt: str,
    limit: int | None,
    since: str | None,
    until: str | None,
    tz: str,
) -> None:
    """Run SQL over a case: QUERY ('-' reads it from stdin) may hold several statements;
    each result is printed in turn. PATH is a case database or a log directory.

    Tables: ``analyzer schema``. With --since/--until every event table shows only
    the window's rows. A table shows the first --limit rows and says how many there
    were.
    """
    text = sys.stdin.read() if query == "-" else query
    start, end = parse_window(since, until, tz=tz)
    if limit is None:
        limit = TABLE_LIMIT if fmt == "table" else 0
    with existing_case(path, db) as case:
        restrict_to_window(case.con, start, end)
        try:
            statements = case.con.extract_statements(text)
        except duckdb.Error as exc:
            raise InputError(f"SQL error: {exc}") from exc
        if not statements:
            raise InputError("no SQL statement given")
        results = [_run(case.con, st, limit) for st in statements]
    if fmt == "json" and len(results) > 1:
        echo_long(
            to_json([[dict(zip(c, r, strict=True)) for r in rows] for (c, rows), _ in results])
        )
    else:
        for i, ((columns, rows), total) in enumerate(results):
            if i and fmt != "json":
                click.echo("")
            emit(columns, rows, fmt)
            if total > len(rows):
                footer = f"{total:,} rows, {len(rows):,} shown; --limit N shows more (0: all)"
                click.echo(footer, err=fmt != "table")


@click.command("schema")
@case_options
@click.argument("table", required=False)
@format_option("table", "json")
@handle_errors
def schema_cmd(path: Path | None, db: Path | None, table: str | None, fmt: str) -> None:
    """The tables of a case with their row counts (like sqlite's .tables), or one
    TABLE's columns with their types and meaning. PATH: a case database or a log
    directory."""
    with existing_case(path, db) as case:
        tables = case.con.execute(
            "SELECT table_name, estimated_size FROM duckdb_tables() "
            "WHERE database_name = current_database() ORDER BY table_name"
        ).fetchall()
        if table is None:
            counts = {
                name: case.con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]
                for name, _ in tables
            }
        else:
            if table not in {name for name, _ in tables}:
                raise InputError(f"no table {table!r}; tables: {', '.join(n for n, _ in tables)}")
            described = case.con.execute(f'DESCRIBE "{table}"').fetchall()
    if table is None:
        rows = [
            [
                name,
                counts[name],
                canonical.TABLES_BY_NAME[name].doc if name in canonical.TABLES_BY_NAME else "",
            ]
            for name, _ in tables
        ]
        emit(["table", "rows", "holds"], rows, fmt)
        return
    docs = {
        c.name.strip('"'): c.doc
        for c in getattr(canonical.TABLES_BY_NAME.get(table), "columns", ())
    }
    emit(["column", "type", "meaning"], [[d[0], d[1], docs.get(d[0], "")] for d in described], fmt)
