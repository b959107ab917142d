"""The derived state (``queries/_*.sql``) on the driver, exactly as ``prepare`` makes it.

The driver holds the control plane, not ``dns_queries``. A derived *table* that reads
``dns_queries`` (the clock model's DNS recoveries, ``pf_clock_recoveries``) is by name:
each name's rows alone give its rows. So it is computed by one Spark task per name
bucket, over the same state as on one machine (the statements before it, shipped), and
the union of the buckets' rows becomes the driver's table. Every other statement runs on
the driver. Derived *views* over ``dns_queries`` are re-created in each task instead
(``worker.replay_derived``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from typing import Any

import duckdb
import pyarrow as pa

from .. import schema
from ..rules import RuleSet
from ..rules.loader import sql_error
from ..rules.runner import prepare
from . import worker

_COMMENT = re.compile(r"--[^\n]*")
# What a replayed statement defines: ``CREATE [OR REPLACE] TEMP MACRO|VIEW name``.
_DEFINES = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?(?:MACRO|FUNCTION|VIEW)\s+"
    r"(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)",
    re.I,
)

# (shipment, the task to run on each bucket, its output's schema) -> the tasks' rows
Task = Callable[[worker.Shipment, pa.Table | list[str]], pa.Table]
PerBucket = Callable[[worker.Shipment, Task, pa.Schema], pa.Table]


def reads_dns(sql: str) -> bool:
    """Does this SQL (comments aside) name dns_queries (or a view over it)?"""
    return "dns_queries" in _COMMENT.sub("", sql)


def words(texts: Iterable[str], definitions: Iterable[str] = ()) -> tuple[set[str], bool]:
    """The identifiers these SQL texts may read, with those of every macro or view of
    ``definitions`` they name (transitively), and whether one that names dns_queries
    selects ``*``. A superset, found without parsing: a name missing here would empty a
    table; a definition nothing names is left out (its tables need no rows)."""
    texts = [_COMMENT.sub("", t) for t in texts]
    found = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", "\n".join(texts)))
    star = any("dns_queries" in t and re.search(r"(?:\bSELECT|,|\.)\s*\*", t, re.I) for t in texts)
    pending = {i: _COMMENT.sub("", d) for i, d in enumerate(definitions)}
    while used := [i for i, d in pending.items() if _defined(d) in found | {None}]:
        more, more_star = words([pending.pop(i) for i in used])
        found |= more
        star = star or more_star
    return found, star


def _defined(statement: str) -> str | None:
    match = _DEFINES.match(statement)
    return match[1] if match else None


def replayed(derived: Iterable[tuple[str, str]]) -> list[str]:
    """The statements a task re-creates (macros and views: not tables)."""
    return [
        st.query
        for _, text in derived
        for st in duckdb.extract_statements(text)
        if not worker.creates_table(st.query)
    ]


def ship(con: duckdb.DuckDBPyConnection, texts: list[str], **fields: Any) -> worker.Shipment:
    """A shipment of the canonical and derived tables ``texts`` name, directly or through
    the macros and views a task replays (the other derived tables go empty), and of the
    dns_queries columns they name, besides ``fields`` (``derived_sql``...)."""
    named, star = words(texts, replayed(fields.get("derived_sql", [])))
    return worker.Shipment(
        tables={
            t.name: worker.to_ipc(con.sql(f"FROM {t.name}").arrow().read_all())
            for t in schema.TABLES
            if t.name in named and t is not schema.DNS_QUERIES
        },
        derived=worker.derived_tables(con, keep=named),
        columns=[c for c in schema.DNS_QUERIES.column_names if star or c in named],
        **fields,
    )


def prepare_on_spark(
    con: duckdb.DuckDBPyConnection,
    ruleset: RuleSet,
    endpoints: Iterable[str],
    per_bucket: PerBucket,
) -> None:
    """``prepare(con, ruleset, endpoints)``, the tables that read dns_queries computed
    per name bucket by ``per_bucket`` (the tasks' union)."""
    prepare(con, dataclasses.replace(ruleset, derived=[]), endpoints)  # selected names
    done: list[tuple[str, str]] = []  # (path, statement) run so far, in order
    for path, text in ruleset.derived:
        for statement in duckdb.extract_statements(text):
            name = worker.creates_table(statement.query)
            try:
                if name and reads_dns(statement.query):
                    _derive(con, name, str(path), statement.query, done, per_bucket)
                else:
                    con.execute(statement.query)
            except duckdb.Error as exc:
                raise sql_error(path, exc) from exc
            done.append((str(path), statement.query))


def _derive(
    con: duckdb.DuckDBPyConnection,
    name: str,
    path: str,
    sql: str,
    done: list[tuple[str, str]],
    per_bucket: PerBucket,
) -> None:
    shipment = ship(con, [sql], derived_sql=done, statement=(path, name, sql))
    columns = worker.derive_bucket(shipment, []).schema  # its columns, from no rows
    con.register("pf_bucket_rows", per_bucket(shipment, worker.derive_bucket, columns))
    try:
        con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS FROM pf_bucket_rows')
    finally:
        con.unregister("pf_bucket_rows")
