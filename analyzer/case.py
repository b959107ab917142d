"""A case: one DuckDB database per investigation, and the library's front door.

Everything the CLI does is a method here, so a notebook does the same with
``case = open_case(path); case.ingest(dir); case.sql(...)``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from . import schema
from .errors import CaseError, CaseLockedError, InputError
from .ingest.pipeline import FileResult, Ingestor, Progress
from .profiles import Profile, load_profiles, to_source
from .rules import Findings, load_rules, run_rules
from .rules.runner import ensure_ordering

# DuckDB's memory limit for a case (``PLAN_FORENSICS_MEMORY_LIMIT`` overrides it): the
# process's budget is 1.2 GB, and the interpreter with polars, Arrow and matplotlib holds
# 0.2-0.3 GB beside DuckDB, so DuckDB gets 800 MB (with 1 GB the report peaked at 1.23 GB
# while its gap and proof queries ran; benchmarks/RESULTS.md). Without a limit DuckDB may
# take 80% of the machine (3.3 GB for detect).
MEMORY_LIMIT = "800MB"


def default_case_path(log_dir: str | Path) -> Path:
    """Where a log directory's case lives when ``--db`` is not given.

    Outside the evidence (which is never written to and may be read-only):
    ``$PLAN_FORENSICS_HOME`` or ``$XDG_DATA_HOME/plan-forensics`` or
    ``~/.local/share/plan-forensics``, then ``cases/<dirname>-<hash>.duckdb``.
    """
    import hashlib

    log_dir = Path(log_dir).resolve()
    home = os.environ.get("PLAN_FORENSICS_HOME")
    if home:
        base = Path(home)
    else:
        xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        base = Path(xdg) / "plan-forensics"
    digest = hashlib.sha1(str(log_dir).encode()).hexdigest()[:10]
    return base / "cases" / f"{log_dir.name or 'root'}-{digest}.duckdb"


def refuse_inside_evidence(target: str | Path, evidence: Iterable[str | Path], what: str) -> None:
    """Raise ``InputError`` when ``target`` lies inside an evidence directory.

    Links are resolved first (a path through a link into the evidence is inside it),
    and the target need not exist yet: this runs before anything is created.
    """
    real = Path(target).resolve()
    for root in evidence:
        if real.is_relative_to(Path(root).resolve()):
            raise InputError(
                f"{what} {target} is inside the evidence directory {root}, which is never "
                "written to: choose a path outside it"
            )


def _check_is_duckdb(path: Path) -> None:
    """An existing file given as a case must be a DuckDB database (DuckDB would open
    a CSV, JSON or Parquet file as an in-memory database and save nothing)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(12)
    except FileNotFoundError:
        return
    except IsADirectoryError as exc:
        raise CaseError(f"{path} is a directory, not a DuckDB database") from exc
    if head and head[8:12] != b"DUCK":
        raise CaseError(f"{path} exists and is not a DuckDB database: choose another --db")


class Case:
    """An open case database."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False):
        self.path = Path(path) if path is not None else None
        self.read_only = read_only
        database = ":memory:" if self.path is None else str(self.path)
        if self.path is not None:
            _check_is_duckdb(self.path)
        if self.path is not None and not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path is not None and read_only and not self.path.exists():
            raise InputError(f"no case database at {self.path}")
        try:
            self.con = duckdb.connect(database, read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise CaseLockedError(
                    f"the case database {self.path} is in use by another process"
                ) from exc
            raise CaseError(f"cannot open the case database {self.path}: {exc}") from exc
        self.con.execute("SET TimeZone = 'UTC'")
        _tune(self.con, in_memory=self.path is None)
        self._ordering_stale = True
        if not read_only:
            self._create_schema()
        self._check_schema()

    # -- lifecycle -------------------------------------------------------------------
    def _create_schema(self) -> None:
        for table in schema.TABLES:
            self.con.execute(table.ddl())
        have = set(
            self.con.execute(
                "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main' "
                "AND database_name = current_database()"
            ).fetchall()
        )
        for table in schema.TABLES:  # a case written before a column was added gains it
            for column, ddl in table.added_columns_ddl():
                if (table.name, column) not in have:
                    self.con.execute(ddl)
        self.con.execute(
            "INSERT OR IGNORE INTO case_meta VALUES ('schema_version', ?), ('created_at', ?)",
            [str(schema.SCHEMA_VERSION), str(self.con.execute("SELECT now()").fetchall()[0][0])],
        )

    def _check_schema(self) -> None:
        try:
            rows = self.con.execute(
                "SELECT value FROM case_meta WHERE key = 'schema_version'"
            ).fetchall()
        except duckdb.CatalogException as exc:
            raise CaseError(f"{self.path} is not a plan-forensics case") from exc
        if rows and not str(rows[0][0]).isdigit():
            raise CaseError(f"{self.path} has a schema version {rows[0][0]!r}: not a case we wrote")
        if not rows or int(rows[0][0]) > schema.SCHEMA_VERSION:
            raise CaseError(f"{self.path} was written by a newer version of the analyzer")
        if self.read_only:  # a case written before a table was added: that table is empty
            have = {
                r[0] for r in self.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
            }
            for table in schema.EVENT_TABLES:
                if table.name not in have:
                    self.con.execute(table.ddl().replace("CREATE TABLE", "CREATE TEMP TABLE"))

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Case:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Case({str(self.path) if self.path else ':memory:'!r})"

    # -- ingest ------------------------------------------------------------------------
    def ingest(
        self,
        log_dir: str | Path,
        *,
        assume_tz: str = "UTC",
        assume_year: int | None = None,
        progress: Progress | None = None,
        chunk_bytes: int | None = None,
        profiles: Sequence[str | Path | Profile] = (),
    ) -> list[FileResult]:
        """Load every new or grown file below ``log_dir``; returns one result per file.

        ``profiles``: source profiles (files, directories of ``*.toml``, or ``Profile``
        objects, see docs/profiles.md) for logs in other formats; a file whose first
        line matches a profile's ``detect`` is read with it. ``chunk_bytes``: read every
        file line by line in blocks of this size (a new clean Route 53 Resolver file is
        otherwise read by DuckDB itself, ``ingest.direct``; the rows are the same).
        """
        root = Path(log_dir)
        if not root.exists():
            raise InputError(f"no such directory: {root}")
        if self.path is not None:
            refuse_inside_evidence(self.path, [root], "the case database")
        if self.read_only:
            raise InputError("the case is open read-only")
        _check_zone(self.con, assume_tz)
        kwargs: dict[str, Any] = {"assume_tz": assume_tz, "assume_year": assume_year}
        if chunk_bytes:  # blocks of that size, line by line (never DuckDB's own reader)
            kwargs.update(chunk_bytes=chunk_bytes, direct=False)
        sources = [to_source(p) for p in load_profiles(*profiles)]
        results = Ingestor(self.con, progress=progress, profiles=sources, **kwargs).ingest(root)
        self._ordering_stale = True
        return results

    # -- queries -----------------------------------------------------------------------
    def sql(self, query: str, params: list[Any] | dict[str, Any] | None = None) -> pl.DataFrame:
        """Run SQL over the case; the result as a polars DataFrame.

        The ordering model is there too: ``host_clocks``, ``host_clock_windows`` and the
        canonical tables with ``ts_corrected`` beside ``ts`` (``enactor_events_ordered``,
        ``planner_events_ordered``, ``operator_actions_ordered``, ``dns_queries_ordered``,
        ``plans_ordered``; docs/ordering.md)."""
        if "_ordered" in query or "host_clock" in query:
            self.clocks()
        try:
            return self.con.sql(query, params=params).pl()
        except duckdb.Error as exc:
            raise InputError(f"SQL error: {exc}") from exc

    def relation(self, query: str) -> duckdb.DuckDBPyRelation:
        """A lazy DuckDB relation, for chaining in a notebook."""
        return self.con.sql(query)

    def evidence_roots(self) -> list[str]:
        """The directories this case was ingested from: never to be written to."""
        return [r[0] for r in self.con.execute("SELECT DISTINCT root FROM files").fetchall()]

    def clocks(self) -> pl.DataFrame:
        """Each clock's estimated offset against the planner, its bounds and how many
        causal constraints pin it (the ordering model every rule uses)."""
        ensure_ordering(self.con, refresh=self._ordering_stale)
        self._ordering_stale = False
        return self.con.sql("SELECT * FROM host_clocks ORDER BY reference DESC, host").pl()

    def files(self) -> pl.DataFrame:
        """The inventory: every file seen, with sha256 and the counts identity."""
        return self.sql("SELECT * FROM files ORDER BY file")

    def quarantine(self) -> pl.DataFrame:
        """Every line that could not be loaded, with file, line and reason."""
        return self.sql("SELECT * FROM quarantine ORDER BY file, line")

    def record_state(self, name: str | None = None) -> pl.DataFrame:
        """What each DNS name served, and when, from the change history (CloudTrail).

        One row per name, record type and change: ``from``/``until`` (null: still so
        where the logs end), ``record_sets`` (how many existed), ``values`` (all their
        values; an alias counts by its target), ``changed_by`` (the actor), ``change_id``
        and the change's ``file``/``line``/``record``. ``name`` selects one name.
        """
        from .rules.runner import normalise_name, prepare

        prepare(self.con, load_rules(), ())
        where = "WHERE name = $name" if name else ""
        return self.sql(
            f'SELECT * FROM pf_name_served {where} ORDER BY name, type, "from"',
            {"name": normalise_name(name)} if name else None,
        )

    # -- detection ---------------------------------------------------------------------
    def findings(
        self,
        rules: list[str] | None = None,
        min_severity: str | None = None,
        params: dict[str, Any] | None = None,
        endpoints: list[str] | None = None,
        rules_dir: str | Path | list[str | Path] | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> Findings:
        """Run the detection rules of ``queries/`` (plus ``rules_dir``) over the case.

        Returns a ``Findings`` (``.df`` polars frame, ``.records()`` JSON-ready dicts);
        see ``analyzer.rules`` for the shape. Raises ``RuleError`` for a broken rule file
        and ``InputError`` for an unknown rule, severity or parameter.
        """
        extra = rules_dir if isinstance(rules_dir, list) else [rules_dir] if rules_dir else []
        ruleset = load_rules(*extra)
        self._ordering_stale = False  # the rules recreate the ordering model first
        return run_rules(
            self.con,
            ruleset,
            rules=rules,
            min_severity=min_severity,
            params=params,
            endpoints=endpoints or (),
            progress=progress,
        )

    def evidence(self, finding: Mapping[str, Any] | str) -> list[dict[str, Any]]:
        """The raw log lines a finding rests on, read from the ingested files, in its
        evidence order: ``file``, ``line``, ``text`` and ``problem`` (why a line could
        not be quoted, e.g. the file moved or changed). ``finding`` is a finding record
        or its id (``analyzer explain ID``)."""
        from .report.evidence import read_lines

        if isinstance(finding, str):
            record = self.findings().get(finding)
            if record is None:
                raise InputError(f"no finding with id {finding!r} in {self!r}")
            finding = record
        refs = [e for e in finding.get("evidence") or [] if e]
        quotes = read_lines(self, refs)
        return [quotes[_quote_key(e)].to_dict() for e in refs]

    # -- export (analyzer.parquet) ------------------------------------------------------
    def export_parquet(self, out: str | Path, *, buckets: int | None = None) -> dict[str, Any]:
        """Write every canonical table as Parquet under ``out`` (``dns_queries``
        Hive-partitioned by name bucket and day) with a manifest; returns the manifest.
        ``out`` may not lie inside an ingested (evidence) directory."""
        from .parquet import DEFAULT_BUCKETS, export_parquet

        refuse_inside_evidence(out, self.evidence_roots(), "the export directory")
        return export_parquet(self.con, out, buckets=buckets or DEFAULT_BUCKETS)

    # -- the story: timeline, gaps, report, audit (analyzer.report, analyzer.audit) -----------
    def timeline(self, findings: Any = None, *, tz: str = "UTC") -> Any:
        """The reconstructed timeline (``analyzer.report.Timeline``: ``.events``, ``.impact``,
        ``.phases`` polars frames) from ``findings`` (default: run the rules)."""
        from .report import build_timeline

        return build_timeline(self, self.findings() if findings is None else findings, tz=tz)

    def gaps(self, findings: Any = None, *, tz: str = "UTC") -> pl.DataFrame:
        """The root-cause gaps: what the logs cannot explain (one row per gap)."""
        from .report import find_gaps

        return find_gaps(self, self.findings() if findings is None else findings, tz=tz)

    def report(
        self,
        out: str | Path,
        findings: Any = None,
        *,
        tz: str = "UTC",
        formats: tuple[str, ...] = ("html", "md", "json"),
        figures: bool = True,
    ) -> dict[str, Path]:
        """Write the incident report to ``out``; returns the paths written."""
        from .report import make_report

        refuse_inside_evidence(out, self.evidence_roots(), "the report directory")
        found = self.findings() if findings is None else findings
        return make_report(self, found, out, tz=tz, formats=formats, figures=figures)[1]

    def audit(self, *, since: str = "24h", fail_on: str = "high", **kwargs: Any) -> Any:
        """A scheduled audit (``analyzer.audit.audit``): findings in the window, compared
        with the previous audit of this case."""
        from .audit import audit

        return audit(self, since=since, fail_on=fail_on, **kwargs)


def _quote_key(e: Mapping[str, Any]) -> tuple[Any, ...]:
    """How ``read_lines`` keys a quote: ``(file, line)``, or with the record of a document."""
    key = (str(e["file"]), int(e["line"]))
    return key if e.get("record") is None else (*key, int(e["record"]))


def _tune(con: duckdb.DuckDBPyConnection, *, in_memory: bool) -> None:
    """DuckDB settings of every case connection (measured in benchmarks/RESULTS.md).

    A bounded buffer pool keeps memory flat whatever the size of the logs: beyond it
    DuckDB spills to its temp directory (next to a case file; for an in-memory case,
    under the system's temp directory rather than the working directory). Threads stay
    DuckDB's default, one per core.
    """
    quiet_progress(con)
    limit = os.environ.get("PLAN_FORENSICS_MEMORY_LIMIT", MEMORY_LIMIT)
    try:
        con.execute(f"SET memory_limit = '{limit.replace(chr(39), '')}'")
    except duckdb.Error as exc:
        raise InputError(f"PLAN_FORENSICS_MEMORY_LIMIT={limit!r}: {exc}") from exc
    # DuckDB draws a progress bar on stdout for long statements: stdout is the output
    # (in Jupyter the setting may be refused without ipywidgets: no bar there either)
    with contextlib.suppress(duckdb.Error):
        con.execute("SET enable_progress_bar = false")
    if in_memory:
        import tempfile

        # its own (DuckDB creates it only to spill, and removes it on closing)
        name = f"plan-forensics-{os.getpid()}-{id(con)}.tmp"
        tmp = str(Path(tempfile.gettempdir()) / name).replace("'", "''")
        con.execute(f"SET temp_directory = '{tmp}'")


def quiet_progress(con: duckdb.DuckDBPyConnection) -> None:
    """DuckDB's own progress bar off: it writes to stdout, which holds only the output
    (``detect --format json``); the analyzer's progress goes to stderr. In Jupyter
    without ipywidgets DuckDB refuses the setting: it has no bar to show there anyway."""
    with contextlib.suppress(duckdb.InvalidInputException):
        con.execute("SET enable_progress_bar = false")


def _check_zone(con: duckdb.DuckDBPyConnection, zone: str) -> None:
    try:
        con.execute("SELECT timezone(?, TIMESTAMP '2000-01-01')", [zone]).fetchall()
    except duckdb.Error as exc:
        raise InputError(f"unknown time zone: {zone!r}") from exc


def open_case(path: str | Path | None = None, *, read_only: bool = False) -> Case:
    """Open (or create) a case database; ``None`` gives an in-memory case."""
    return Case(path, read_only=read_only)
