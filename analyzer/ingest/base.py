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

from .registered import Registration, registered

# Timestamps: absolute when they carry a zone, else read in the assumed zone. The usual
# UTC ``...Z`` skips the regular expression (these macros run on every row).
_ZONE_RE = r"(?i)(z|[+-]\d\d(:?\d\d)?)$"
# An offset no zone has (beyond +-14:00, or minutes past 59), right after a time of day.
_BAD_OFFSET_RE = r":\d\d(\.\d+)?([+-](1[5-9]|[2-9]\d)(:?\d\d)?|[+-]\d\d:?[6-9]\d)$"
# Characters of a quarantined line kept in ``quarantine.raw`` (the schema says so): the
# whole line stays in the evidence file, at its line number.
QUARANTINE_RAW_CHARS = 2000
# Times outside this range are damage (Go's zero time is year 1), not events.
TS_MIN, TS_MAX = "1970-01-01 00:00:00+00", "2200-01-01 00:00:00+00"
EPOCH_MAX = 7258118400  # TS_MAX in epoch seconds
# An offset no zone has at the end of a time that ends with one (``+2500``, ``-07:61``).
_BAD_TRAILING_OFFSET_RE = r"[+-]((1[5-9]|[2-9]\d):?\d\d|\d\d:?[6-9]\d)$"
MACROS = (
    f"""CREATE OR REPLACE TEMP MACRO pf_has_zone(s) AS
        CASE WHEN ends_with(s, 'Z') THEN true ELSE regexp_matches(s, '{_ZONE_RE}') END""",
    f"""CREATE OR REPLACE TEMP MACRO pf_in_range(t) AS
        CASE WHEN t >= TIMESTAMPTZ '{TS_MIN}' AND t < TIMESTAMPTZ '{TS_MAX}' THEN t END""",
    # A timestamp, or NULL when it does not parse, is out of range or has an offset no
    # zone has (so the line is quarantined).
    f"""CREATE OR REPLACE TEMP MACRO pf_ts(s, tz) AS pf_in_range(
        CASE WHEN ends_with(s, 'Z') THEN try_cast(s AS TIMESTAMPTZ)
             WHEN pf_has_zone(s) THEN CASE WHEN NOT regexp_matches(s, '{_BAD_OFFSET_RE}')
                                           THEN try_cast(s AS TIMESTAMPTZ) END
             ELSE timezone(tz, try_cast(s AS TIMESTAMP)) END)""",
    # An integer written as one: DuckDB's cast would also take 118234.6 (rounded), 1e3
    # or 0x10, and JSON's true becomes 1; a generation or count must not be guessed.
    """CREATE OR REPLACE TEMP MACRO pf_int(s) AS
       CASE WHEN try_cast(s AS BIGINT)::VARCHAR = s THEN try_cast(s AS BIGINT) END""",
    # Epoch seconds (a DOUBLE) as a time in range, else NULL: NaN, infinities and values
    # past the range would make DuckDB's conversions fail (or wrap), not return NULL.
    f"""CREATE OR REPLACE TEMP MACRO pf_epoch(x) AS
        CASE WHEN x::DOUBLE >= 0 AND round(x::DOUBLE * 1000000) < {EPOCH_MAX * 1_000_000}
             THEN make_timestamptz(round(x::DOUBLE * 1000000)::BIGINT) END""",
    # A time that ends with a numeric offset (strptime's %z) whose offset some zone has.
    f"""CREATE OR REPLACE TEMP MACRO pf_offset_ok(s) AS
        NOT regexp_matches(s, '{_BAD_TRAILING_OFFSET_RE}')""",
    # A port number: an integer written as one, 0-65535.
    """CREATE OR REPLACE TEMP MACRO pf_port(s) AS
       CASE WHEN pf_int(s) BETWEEN 0 AND 65535 THEN pf_int(s)::INTEGER END""",
    # Lower case, without the trailing dot: the canonical form of a DNS name, i.e.
    # rtrim(lower(trim(s)), '.'). DuckDB's trim functions are slow, so a name between
    # visible ASCII characters (almost all of them) is only lower-cased, and loses its
    # last character when that is the one trailing dot.
    """CREATE OR REPLACE TEMP MACRO pf_name(s) AS
       CASE WHEN NOT ends_with(s, '.') AND ascii(s) BETWEEN 33 AND 126
                 AND ascii(right(s, 1)) BETWEEN 33 AND 126
            THEN lower(s)
            WHEN ends_with(s, '.') AND NOT ends_with(s, '..') AND ascii(s) BETWEEN 33 AND 126
            THEN lower(substr(s, 1, length(s) - 1))
            ELSE rtrim(lower(trim(s)), '.') END""",
    # An answer as every DNS source stores it: a single name (or address) without its
    # trailing dot, like qname; text data (TXT, MX with its preference...) as logged.
    """CREATE OR REPLACE TEMP MACRO pf_answer(s) AS
       CASE WHEN ends_with(s, '.') AND NOT contains(s, ' ') AND length(s) > 1
            THEN substr(s, 1, length(s) - 1) ELSE s END""",
    # The members of a JSON object whose keys are not in ``known``: what a source keeps
    # beyond its canonical columns.
    """CREATE OR REPLACE TEMP MACRO pf_json_rest(js, known) AS
       nullif(map_from_entries(list_filter(map_entries(from_json(js, '"MAP(VARCHAR, JSON)"')),
                                           lambda x: NOT list_contains(known, x.key)))::JSON,
              '{}'::JSON)""",
)


class GoodLines:
    """What the pipeline knows of ``_good`` while a source loads it.

    ``rows()``: how many lines it holds (for a stream, known once it has been read).
    ``rescan()``: makes it readable again; a single-scan source (``Source.single_scan``)
    may get ``_good`` as a stream that reads only once, and calls this before reading
    it a second time (e.g. to look again at the few lines its first statement left out).
    """

    def __init__(
        self,
        rows: Callable[[], int] | None = None,
        rescan: Callable[[], None] | None = None,
    ):
        self._rows = rows
        self._rescan = rescan

    def rows(self) -> int:
        if self._rows is None:
            raise RuntimeError("the number of lines of _good is not known here")
        return self._rows()

    def rescan(self) -> None:
        if self._rescan is not None:
            self._rescan()


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
    good: GoodLines = field(default_factory=GoodLines)  # set by the pipeline for each load
    _staged: dict[str, Registration] = field(default_factory=dict, repr=False)

    def stage(
        self, select_sql: str, params: list | dict | None = None, name: str = "_staged"
    ) -> None:
        """Materialize a query over the chunk as ``name``: by default ``_staged``, the
        chunk's parse (with ``reason``).

        In Arrow, read by name through ``registered``'s holder, not in a temp table: a
        file loads in one transaction, which keeps every temp table replaced in it until
        it commits (memory and spill growing with the file). The next ``stage`` of the
        name, or ``release_staged`` once the chunk is loaded, empties it.
        """
        table = self.con.sql(select_sql, params=params).to_arrow_table()
        if name not in self._staged:
            self._staged[name] = Registration(self.con, name)
        self._staged[name].replace(table)

    def release_staged(self) -> None:
        """Empty and unregister what ``stage`` holds (after each chunk's load)."""
        for reg in self._staged.values():
            reg.close()
        self._staged.clear()

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


def insert_parsed(
    ctx: LoadContext, parse_sql: str, table: str, row_sql: str, params: dict[str, Any]
) -> tuple[int, int]:
    """Load ``_good`` into ``table`` with one parse, for a single-scan source.

    ``parse_sql`` reads the relation named ``_LINES_`` and yields ``line``, ``reason``
    (null: loadable), ``raw`` (the text of a line with a reason), ``zoneless`` and the
    columns that ``row_sql`` selects for ``table``. The lines that parse and carry a zone
    go straight from the parse into ``table`` (no staging copy). Only when some lines
    were left out (broken ones, and zone-less ones, which must be counted) is ``_good``
    read again: those lines alone are staged and finished (loaded or quarantined).
    Returns the counts loaded and quarantined; adds the zone-less ones to the context.
    """
    con = ctx.con
    parse = parse_sql.replace("_LINES_", "_good")
    loaded = con.execute(
        f"INSERT INTO {table} BY NAME SELECT {row_sql} FROM ({parse}) "
        "WHERE reason IS NULL AND NOT zoneless",
        params,
    ).fetchall()[0][0]
    if loaded == ctx.good.rows():
        return loaded, 0
    ctx.good.rescan()
    first, last = con.execute("SELECT min(line), max(line) FROM _good").fetchall()[0]
    rest = parse_sql.replace(
        "_LINES_",
        f"""(SELECT line, text FROM _good ANTI JOIN (
                SELECT line FROM {table} WHERE file = $file AND line BETWEEN $first AND $last
            ) USING (line))""",
    )
    # Staged in Arrow, not in a temp table: the file's transaction would keep every
    # run's temp table until it ends (memory growing with the file; see ``registered``).
    given = {**params, "first": first, "last": last, "file": ctx.file}
    staged = con.sql(rest, params={k: v for k, v in given.items() if f"${k}" in rest})
    with registered(con, "_left_out", staged.to_arrow_table()):
        more = con.execute(
            f"INSERT INTO {table} BY NAME SELECT {row_sql} FROM _left_out WHERE reason IS NULL",
            {k: v for k, v in params.items() if f"${k}" in row_sql},
        ).fetchall()[0][0]
        quarantined = con.execute(
            "INSERT INTO quarantine SELECT $file, line, reason, left(raw, $keep) FROM _left_out "
            "WHERE reason IS NOT NULL",
            {"file": ctx.file, "keep": QUARANTINE_RAW_CHARS},
        ).fetchall()[0][0]
        zoneless = ctx.count("SELECT count(*) FROM _left_out WHERE reason IS NULL AND zoneless")
    ctx.zoneless += zoneless
    return loaded + more, quarantined


@dataclass(frozen=True)
class WholeFile:
    """A whole file as one statement of DuckDB's own reader (``ingest.direct``).

    ``select_sql`` reads ``$path`` (parameters ``$tz`` and those of ``ingest.direct``)
    in file order and yields, per line, the columns of ``table`` but ``file`` and
    ``line``, plus ``loadable`` (the line path would load the line as it is, zone
    included) and ``keys`` (the keys, at every depth, of its documented fields).
    """

    table: str
    select_sql: str


@dataclass(frozen=True)
class Source:
    """A log source: how to recognise its lines and how to load them."""

    name: str
    tables: tuple[str, ...]
    sniff: Callable[[str], bool]
    load: Callable[[LoadContext], tuple[int, int]]
    doc: str = ""
    # ``load`` reads ``_good`` in one scan: the pipeline may then hand it many chunks as
    # one stream (far fewer statements on big files); ``_good`` can be read only once.
    single_scan: bool = False
    # Whether a file is one JSON document whose array of events loads whole (the
    # CloudTrail S3 shape, ``document.py``) rather than line by line.
    document: Callable[[Path], bool] | None = None
    # ``load`` reads lines alone (no header, no per-file state, path or year): new small
    # files may then load many at once, as one chunk (see ``ingest.batch``).
    batchable: bool = False
    # How DuckDB's own reader may load a whole new clean file (``ingest.direct``).
    direct: WholeFile | None = None
