"""The report's reasoning in SQL: query files under ``queries/gaps``, ``queries/timeline``
and ``queries/proofs``, with the rules' metadata header (``analyzer/rules/loader.py``)
less the severity::

    -- id: stall_delay                    (the file's name, without .sql)
    -- title: What the host logged inside each stall
    -- tables: findings, enactor_events
    -- description: One row per enactor_stall finding ...
    -- param dns_tolerance_s = 60: how far resolver and control-plane clocks may disagree
    --
    -- Free comments explaining the logic.
    WITH ...

``findings`` in ``tables`` is the table of the findings the report is about: the SQL
names it ``{findings}`` (and ``{findings}_ev``, one row per evidence line with its
time; ``findings.registered``), replaced by the name it is registered under for one
run, the only text put into the SQL. Values are bound parameters (``$name``). Python
keeps the orchestration and turns the rows into gaps, timeline events and proofs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ..errors import RuleError
from ..rules.header import Param, parse_header, parse_params, parse_tables
from ..rules.loader import BUILTIN_DIR, REPORT_QUERY_DIRS, sql_error

QUERY_KEYS = ("id", "title", "tables", "description")
FINDINGS = "{findings}"


@dataclass(frozen=True)
class Query:
    """One report query: metadata from its header and the SQL."""

    id: str
    title: str
    description: str
    tables: tuple[str, ...]
    params: tuple[Param, ...]
    sql: str
    path: Path
    notes: str = ""

    @property
    def name(self) -> str:
        """``folder/id``, e.g. ``gaps/stall_delay``."""
        return f"{self.path.parent.name}/{self.id}"

    def text(self, findings: str | None = None) -> str:
        """The SQL, with ``{findings}`` naming the registered findings table."""
        if FINDINGS in self.sql and findings is None:
            raise RuleError("the query reads the findings: name their table", file=self.path)
        return self.sql.replace(FINDINGS, findings) if findings else self.sql

    def values(self, given: dict[str, Any]) -> dict[str, Any] | None:
        """The parameter values: the header's defaults, overridden by ``given``."""
        unknown = sorted(set(given) - {p.name for p in self.params})
        if unknown:
            raise RuleError(f"no parameter {', '.join(unknown)} in {self.name}", file=self.path)
        return {p.name: given.get(p.name, p.default) for p in self.params} or None

    def run(
        self, con: duckdb.DuckDBPyConnection, findings: str | None = None, **params: Any
    ) -> duckdb.DuckDBPyRelation:
        """Run the query on ``con``; a DuckDB error names the file and line."""
        try:
            return con.sql(self.text(findings), params=self.values(params))
        except duckdb.Error as exc:
            raise sql_error(self.path, exc) from exc


def parse_query(path: Path, text: str) -> Query:
    """Parse one report query file; ``RuleError`` with the file and line of the fault."""
    header = parse_header(path, text, QUERY_KEYS, what="query")
    query_id, at = header.fields["id"]
    if query_id != path.stem:
        raise RuleError(f"query id {query_id!r} is not the file's name", file=path, line=at)
    tables = parse_tables(header, path, extra=("findings",))
    if (FINDINGS in text) != ("findings" in tables):
        raise RuleError(
            "the query reads {findings} exactly when its tables list findings",
            file=path,
            line=header.fields["tables"][1],
        )
    return Query(
        id=query_id,
        title=header.fields["title"][0],
        description=header.fields["description"][0],
        tables=tables,
        params=parse_params(header, path, text),
        sql=text,
        path=path,
        notes=header.notes,
    )


_CACHE: dict[tuple[Any, ...], dict[str, Query]] = {}


def load_queries(directory: Path = BUILTIN_DIR) -> dict[str, Query]:
    """Every report query of ``directory``'s sub-folders, by name (``gaps/stall_delay``);
    cached until a file changes. The first ``RuleError`` met is raised."""
    files = sorted(p for d in REPORT_QUERY_DIRS for p in (directory / d).glob("*.sql"))
    key = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    if key not in _CACHE:
        loaded = (parse_query(p, p.read_text(encoding="utf-8")) for p in files)
        _CACHE[key] = {q.name: q for q in loaded}
    return _CACHE[key]


def query(name: str) -> Query:
    """The built-in report query ``name`` (``folder/id``)."""
    return load_queries()[name]
