"""What every source ingestor provides, and the context it loads a chunk in.

A chunk arrives in DuckDB as the temp view ``_good(line, text)``: lines already known
to be valid UTF-8, not blank and not oversized. A source turns it into rows of its
canonical table(s) with set-based SQL, sends what it cannot parse to ``quarantine``
with a reason, and returns how many lines it loaded and quarantined.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

# Timestamps: absolute when they carry a zone, else read in the assumed zone. The usual
# UTC ``...Z`` skips the regular expression (these macros run on every row).
_ZONE_RE = r"(?i)(z|[+-]\d\d(:?\d\d)?)$"
MACROS = (
    f"""CREATE OR REPLACE TEMP MACRO pf_has_zone(s) AS
        CASE WHEN ends_with(s, 'Z') THEN true ELSE regexp_matches(s, '{_ZONE_RE}') END""",
    """CREATE OR REPLACE TEMP MACRO pf_ts(s, tz) AS
       CASE WHEN pf_has_zone(s) THEN try_cast(s AS TIMESTAMPTZ)
            ELSE timezone(tz, try_cast(s AS TIMESTAMP)) END""",
    # Lower case, without the trailing dot: the canonical form of a DNS name, i.e.
    # rtrim(lower(trim(s)), '.'). DuckDB's trim functions are slow, so a name that starts
    # with a visible ASCII character and ends with exactly one dot (almost all of them)
    # just loses its last character.
    """CREATE OR REPLACE TEMP MACRO pf_name(s) AS
       CASE WHEN ends_with(s, '.') AND NOT ends_with(s, '..') AND ascii(s) BETWEEN 33 AND 126
            THEN lower(substr(s, 1, length(s) - 1))
            ELSE rtrim(lower(trim(s)), '.') END""",
    # The members of a JSON object whose keys are not in ``known``: what a source keeps
    # beyond its canonical columns.
    """CREATE OR REPLACE TEMP MACRO pf_json_rest(js, known) AS
       nullif(map_from_entries(list_filter(map_entries(from_json(js, '"MAP(VARCHAR, JSON)"')),
                                           lambda x: NOT list_contains(known, x.key)))::JSON,
              '{}'::JSON)""",
)


@dataclass
class LoadContext:
    """Per-file facts a source needs while loading chunks."""

    con: duckdb.DuckDBPyConnection
    file: str
    assume_tz: str = "UTC"
    assume_year: int | None = None
    zoneless: int = 0
    yearless: int = 0
    notes: list[str] = field(default_factory=list)
    path: Path | None = None  # the file itself (a source may re-read its header on append)
    mtime_ns: int | None = None  # its modification time: the default year of year-less times
    state: dict[str, Any] = field(default_factory=dict)  # what a source carries across chunks

    def stage(self, select_sql: str, params: list | dict | None = None) -> None:
        """Materialize a parse of the chunk as temp table ``_staged`` (with ``reason``)."""
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE _staged AS {select_sql}", params or [])

    def quarantine_staged(self) -> int:
        """Move staged rows with a non-null ``reason`` to the quarantine table."""
        self.con.execute(
            "INSERT INTO quarantine SELECT ?, line, reason, text "
            "FROM _staged WHERE reason IS NOT NULL",
            [self.file],
        )
        return self.count("SELECT count(*) FROM _staged WHERE reason IS NOT NULL")

    def count(self, sql: str) -> int:
        rows = self.con.execute(sql).fetchall()
        return int(rows[0][0]) if rows else 0

    def count_zoneless(self, ts_expr: str) -> None:
        """Remember how many timestamps of the chunk had no zone (reported, not hidden)."""
        self.zoneless += self.count(
            f"SELECT count(*) FROM _staged WHERE reason IS NULL AND NOT pf_has_zone({ts_expr})"
        )


@dataclass(frozen=True)
class Source:
    """A log source: how to recognise its lines and how to load them."""

    name: str
    tables: tuple[str, ...]
    sniff: Callable[[str], bool]
    load: Callable[[LoadContext], tuple[int, int]]
    doc: str = ""
