"""The DuckDB side of the Spark engine: the rules' unchanged SQL over one slice of a case.

The driver builds a ``Shipment`` once: the control-plane tables and the derived state
of ``queries/_*.sql`` (computed once, globally), as Arrow IPC bytes, broadcast to the
executors. Each task then opens an in-memory DuckDB, loads the shipment and its own
rows of ``dns_queries`` (one name bucket), replays the derived files with every derived
table replaced by its global copy (macros and views are re-created, views now over the
task's rows) and runs its rules; or, before that, computes one derived table that reads
``dns_queries`` over its bucket, for the driver (``derive_bucket``). No pyspark here:
the module is also the driver's.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from .. import schema
from ..case import _tune as tune_connection  # memory limit, spill directory
from ..rules.loader import FINDING_COLUMNS, sql_error

# A derived statement that creates a table: ``CREATE [OR REPLACE] TEMP TABLE name``.
_CREATE_TABLE = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?TEMP(?:ORARY)?\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    r"([A-Za-z_][A-Za-z0-9_]*)",
    re.I,
)
_COMMENT = re.compile(r"--[^\n]*")


def creates_table(statement: str) -> str | None:
    """The table a ``CREATE [OR REPLACE] TEMP TABLE`` statement creates, else None."""
    match = _CREATE_TABLE.match(_COMMENT.sub("", statement))
    return match[1] if match else None


def to_ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def from_ipc(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(data).read_all()


@dataclass
class Shipment:
    """What every task needs besides its own DNS rows (small: the control plane)."""

    tables: dict[str, bytes]  # canonical table name -> Arrow IPC (dns_queries: empty)
    derived_sql: list[tuple[str, str]]  # (path, text) of queries/_*.sql, in run order
    derived: dict[str, bytes] = field(default_factory=dict)  # derived table -> Arrow IPC
    rules: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)
    # (id, path, wrapped SQL, parameter values) of the rules the tasks run
    statement: tuple[str, str, str] | None = None
    # or (path, table, SQL) of a derived table that reads dns_queries, for derive_bucket
    columns: list[str] = field(default_factory=list)  # the dns_queries columns they read


def new_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the canonical (empty) tables, as a case has them but
    without NOT NULL: the rows held them in the case, and a task's pruned columns are
    null. One thread (one Spark core) and the case's memory limit
    (``PLAN_FORENSICS_MEMORY_LIMIT``, 800 MB by default), spilling beyond it: a bucket
    holding a name with half of all queries must not take the executor's memory."""
    con = duckdb.connect(config={"threads": 1})
    con.execute("SET TimeZone = 'UTC'")
    tune_connection(con, in_memory=True)
    for table in schema.TABLES:
        con.execute(table.ddl().replace(" NOT NULL", ""))
    return con


def load(con: duckdb.DuckDBPyConnection, name: str, rows: pa.Table) -> None:
    """Append Arrow rows to a canonical table, by column name, cast to its types (the
    columns the rows lack stay null)."""
    present = set(rows.column_names)
    cols = ", ".join(f'"{c}"' for c in schema.TABLES_BY_NAME[name].column_names if c in present)
    con.register("pf_incoming", rows)
    try:
        con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM pf_incoming")
    finally:
        con.unregister("pf_incoming")


def derived_tables(con: duckdb.DuckDBPyConnection, keep: set[str]) -> dict[str, bytes]:
    """Every TEMP table the derived files (and ``prepare``) created, as Arrow IPC: those
    in ``keep`` with their rows, the others empty (their schema, for the views)."""
    names = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE temporary ORDER BY table_name"
        ).fetchall()
    ]
    limit = {n: "" if n in keep else " LIMIT 0" for n in names}
    return {n: to_ipc(con.sql(f'SELECT * FROM "{n}"{limit[n]}').arrow().read_all()) for n in names}


def replay_derived(con: duckdb.DuckDBPyConnection, shipment: Shipment) -> None:
    """Re-create the derived state: the global tables as shipped, macros and views anew.

    Statements that create a shipped table, or change a table (INSERT, UPDATE, DELETE),
    are skipped: their result is in the shipped copy.
    """
    for name, data in shipment.derived.items():
        con.register("pf_shipped", from_ipc(data))
        con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS FROM pf_shipped')
        con.unregister("pf_shipped")
    changes = {
        duckdb.StatementType.INSERT,
        duckdb.StatementType.UPDATE,
        duckdb.StatementType.DELETE,
    }
    for path, text in shipment.derived_sql:
        for statement in duckdb.extract_statements(text):
            made = creates_table(statement.query)
            if statement.type in changes or (made and made in shipment.derived):
                continue
            try:
                con.execute(statement.query)
            except duckdb.Error as exc:
                raise sql_error(Path(path), exc) from exc


def run_rules_sql(
    con: duckdb.DuckDBPyConnection, rules: Iterable[tuple[str, str, str, Mapping[str, Any]]]
) -> pa.Table:
    """Each rule's wrapped SQL; the findings with ``details`` as text (Arrow has no JSON)."""
    cols = ", ".join(
        f'CAST("{c}" AS VARCHAR) AS "{c}"' if t == "JSON" else f'"{c}"'
        for c, t in FINDING_COLUMNS.items()
    )
    tables = []
    for _rule_id, path, sql, values in rules:
        try:
            result = con.sql(f"SELECT {cols} FROM ({sql})", params=dict(values)).arrow()
            tables.append(result.read_all() if hasattr(result, "read_all") else result)
        except duckdb.Error as exc:
            raise sql_error(Path(path), exc) from exc
    return pa.concat_tables(tables) if tables else findings_schema().empty_table()


@functools.cache
def findings_schema() -> pa.Schema:
    """The findings' Arrow schema, from the contract's DuckDB types (JSON as text)."""
    cols = ", ".join(
        f'CAST(NULL AS {"VARCHAR" if t == "JSON" else t}) AS "{c}"'
        for c, t in FINDING_COLUMNS.items()
    )
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        found = con.sql(f"SELECT {cols} LIMIT 0").arrow().read_all().schema
    finally:
        con.close()
    # lists with Arrow's default item name (DuckDB names it "l"; Spark reads lists
    # positionally and would misread the structs inside)
    return pa.schema(
        pa.field(f.name, pa.list_(f.type.value_type) if pa.types.is_list(f.type) else f.type)
        for f in found
    )


def open_bucket(shipment: Shipment, dns_rows: pa.Table | list[str]) -> duckdb.DuckDBPyConnection:
    """A task's DuckDB: the shipment plus one bucket of ``dns_queries`` (Arrow rows, or
    the bucket's Parquet files, read by DuckDB in place), the derived state replayed."""
    con = new_connection()
    try:
        for name, data in shipment.tables.items():
            load(con, name, from_ipc(data))
        if isinstance(dns_rows, pa.Table):
            load(con, "dns_queries", dns_rows)
        elif dns_rows:
            # a view: DuckDB reads only the columns and row groups the rules need
            cols = ", ".join(f'"{c}"' for c in schema.DNS_QUERIES.column_names)
            files = ", ".join("'" + f.replace("'", "''") + "'" for f in dns_rows)
            con.execute("DROP TABLE dns_queries")
            con.execute(
                f"CREATE VIEW dns_queries AS SELECT {cols} FROM read_parquet([{files}], "
                "hive_partitioning = false)"
            )
        replay_derived(con, shipment)
    except BaseException:
        con.close()
        raise
    return con


def run_bucket(shipment: Shipment, dns_rows: pa.Table | list[str]) -> pa.Table:
    """One task: the findings of the shipment's rules over one bucket."""
    con = open_bucket(shipment, dns_rows)
    try:
        return run_rules_sql(con, shipment.rules).cast(findings_schema())
    finally:
        con.close()


def derive_bucket(shipment: Shipment, dns_rows: pa.Table | list[str]) -> pa.Table:
    """One task: the shipment's derived table (one that reads dns_queries) over one
    bucket; the union of the buckets' rows is the table (docs/scale.md)."""
    assert shipment.statement is not None
    path, name, sql = shipment.statement
    con = open_bucket(shipment, dns_rows)
    try:
        con.execute(sql)
        return con.sql(f'FROM "{name}"').arrow().read_all()
    except duckdb.Error as exc:
        raise sql_error(Path(path), exc) from exc
    finally:
        con.close()
