"""Rule files: discover ``*.sql`` files, parse their metadata header, validate them.

A rule file starts with a header of ``-- key: value`` comment lines (the aiosql idea:
the SQL file is the source of truth, its comment header its documentation)::

    -- id: enactor_stall
    -- title: Enactor stalled far behind its peers
    -- severity: medium
    -- tables: enactor_events
    -- description: An Enactor takes far longer than its peers ...
    --   (lines indented by two or more spaces continue the previous key)
    -- param min_s = 60: never report a stall shorter than this many seconds
    -- spark: by qname   (optional: how the rule runs on Spark, see analyzer.spark)
    --
    -- Free comments explaining the logic follow the first line that is not a key.
    SELECT ...

Parameters reach the SQL as DuckDB prepared-statement parameters (``$min_s``), never
by string formatting. Files whose name starts with ``_`` are shared derived state
(views, macros), run before the rules. Loading collects every error (like pySigma's
collections) so that one broken file does not hide the others; each ``RuleError``
carries the file and line. The report's queries (``queries/gaps``, ``timeline``,
``proofs``: ``REPORT_QUERY_DIRS``) share the header (``rules.header``) but are not
rules (``analyzer/report/queries.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from .. import schema
from ..errors import AnalyzerError, RuleError
from .header import Param, parse_header, parse_params, parse_tables

SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK = {s: i for i, s in enumerate(reversed(SEVERITIES))}  # info=0 .. critical=4

# The output contract (findings.md): every rule returns these columns, cast to these types.
FINDING_COLUMNS: dict[str, str] = {
    "rule": "VARCHAR",
    "severity": "VARCHAR",
    "start": "TIMESTAMPTZ",
    "end": "TIMESTAMPTZ",
    "endpoint": "VARCHAR",
    "generation": "BIGINT",
    "host": "VARCHAR",
    "summary": "VARCHAR",
    "details": "JSON",
    # ``record``: the index of the event in a JSON document's array (change-history.md);
    # null for a line of a line-oriented log, and then left out of the JSON.
    "evidence": "STRUCT(file VARCHAR, line BIGINT, record BIGINT)[]",
}

# The built-in rules: queries/ of the checkout (an editable install), or its copy inside
# an installed wheel (analyzer/queries, see pyproject.toml).
_PACKAGED = Path(__file__).resolve().parents[1] / "queries"
BUILTIN_DIR = _PACKAGED if _PACKAGED.is_dir() else Path(__file__).resolve().parents[2] / "queries"
# Sub-folders of queries/ holding the incident report's queries (analyzer/report/queries.py),
# in the same header format: not rules.
REPORT_QUERY_DIRS = ("gaps", "proofs", "timeline")

_OPTIONAL_KEYS = ("spark",)


@dataclass(frozen=True)
class Rule:
    """One detection rule: metadata from the header and the SQL that finds."""

    id: str
    title: str
    severity: str
    description: str
    tables: tuple[str, ...]
    params: tuple[Param, ...]
    sql: str
    path: Path
    notes: str = ""
    spark: str = ""  # the header's "spark:" (analyzer.spark.spark_mode reads it)

    @property
    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def wrapped_sql(self) -> str:
        """The rule's SQL, selecting the contract columns cast to their types.

        The prefix has no newline, so DuckDB's ``LINE n`` in an error is the file's line.
        """
        cols = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in FINDING_COLUMNS.items())
        return f"SELECT {cols} FROM ({_strip_sql(self.sql)}\n) AS _rule"


@dataclass
class RuleSet:
    """The rules loaded from one or more directories, and the errors met on the way."""

    rules: dict[str, Rule] = field(default_factory=dict)
    derived: list[tuple[Path, str]] = field(default_factory=list)
    errors: list[RuleError] = field(default_factory=list)

    def raise_errors(self) -> None:
        """Raise the first error, its message listing all of them."""
        if self.errors:
            first = self.errors[0]
            more = "".join(f"\n{e}" for e in self.errors[1:])
            raise RuleError(first.message + more, file=first.file, line=first.line)

    def select(self, ids: list[str] | tuple[str, ...] | None) -> list[Rule]:
        if not ids:
            return list(self.rules.values())
        unknown = [i for i in ids if i not in self.rules]
        if unknown:
            raise RuleError(
                f"unknown rule {', '.join(unknown)} (known: {', '.join(sorted(self.rules))})"
            )
        return [self.rules[i] for i in dict.fromkeys(ids)]


def _strip_sql(sql: str) -> str:
    return sql.rstrip().rstrip(";").rstrip()


def parse_rule(path: Path, text: str) -> Rule:
    """Parse one rule file; raises ``RuleError`` with the file and line of the fault."""
    header = parse_header(path, text, optional=_OPTIONAL_KEYS)
    severity, at = header.fields["severity"]
    if severity not in SEVERITIES:
        raise RuleError(
            f"severity {severity!r} is not one of {', '.join(SEVERITIES)}", file=path, line=at
        )
    tables = parse_tables(header, path)
    if "spark" in header.fields:
        from ..spark.modes import spark_mode  # no pyspark: only the header's grammar

        value, at = header.fields["spark"]
        try:
            spark_mode(value, tables)
        except RuleError as exc:
            raise RuleError(exc.message, file=path, line=at) from None
    return Rule(
        notes=header.notes,
        id=header.fields["id"][0],
        title=header.fields["title"][0],
        severity=severity,
        description=header.fields["description"][0],
        tables=tables,
        params=parse_params(header, path, text),
        sql=text,
        path=path,
        spark=header.fields.get("spark", ("", 0))[0],
    )


def rule_files(directory: Path) -> tuple[list[Path], list[Path]]:
    """The derived-state files (``_*.sql``) and the rule files of a directory (in the
    built-in one, not the report's queries: ``REPORT_QUERY_DIRS``)."""
    files = sorted(p for p in directory.rglob("*.sql") if p.is_file())
    if directory.resolve() == BUILTIN_DIR:
        files = [p for p in files if p.relative_to(directory).parts[0] not in REPORT_QUERY_DIRS]
    return [p for p in files if p.name.startswith("_")], [
        p for p in files if not p.name.startswith("_")
    ]


_CACHE: dict[tuple[Any, ...], RuleSet] = {}


def load_rules(*dirs: str | Path, builtin: bool = True, validate: bool = True) -> RuleSet:
    """Load the built-in rules and those of ``dirs``; collect errors instead of stopping.

    With ``validate`` every rule's SQL is bound (``EXPLAIN``) against an empty case, so
    an unknown column or a syntax error is reported with the rule file and line. The
    result is cached until a rule file changes (its path, size or mtime).
    """
    directories = ([BUILTIN_DIR] if builtin else []) + [Path(d) for d in dirs]
    key = (validate, *((d, _fingerprint(d)) for d in directories))
    if key not in _CACHE:
        _CACHE[key] = _load(directories, validate)
    cached = _CACHE[key]
    return RuleSet(dict(cached.rules), list(cached.derived), list(cached.errors))


def _fingerprint(directory: Path) -> tuple[tuple[str, int, int], ...]:
    if not directory.is_dir():
        return ()
    stats = ((p, p.stat()) for p in sorted(directory.rglob("*.sql")))
    return tuple((str(p), s.st_mtime_ns, s.st_size) for p, s in stats)


def _load(directories: list[Path], validate: bool) -> RuleSet:
    ruleset = RuleSet()
    for directory in directories:
        if not directory.is_dir():
            ruleset.errors.append(RuleError("no such rules directory", file=directory))
            continue
        derived, files = rule_files(directory)
        for path in derived:
            ruleset.derived.append((path, path.read_text(encoding="utf-8")))
        for path in files:
            try:
                rule = parse_rule(path, path.read_text(encoding="utf-8"))
            except (RuleError, UnicodeDecodeError) as exc:
                ruleset.errors.append(
                    exc if isinstance(exc, RuleError) else RuleError(str(exc), file=path)
                )
                continue
            if rule.id in ruleset.rules:
                other = ruleset.rules[rule.id].path
                ruleset.errors.append(
                    RuleError(f"rule id {rule.id!r} is already defined in {other}", file=path)
                )
                continue
            ruleset.rules[rule.id] = rule
    if validate:
        _validate(ruleset)
    return ruleset


def _validate(ruleset: RuleSet) -> None:
    """Bind every rule against an empty case (the canonical tables); drop the broken ones."""
    from ..case import quiet_progress  # case imports this package
    from .runner import prepare  # runner imports this module

    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        quiet_progress(con)
        for table in schema.TABLES:
            con.execute(table.ddl())
        try:
            prepare(con, ruleset, endpoints=())
        except RuleError as exc:
            ruleset.errors.append(exc)
            return
        for rule in list(ruleset.rules.values()):
            try:
                _check_rule_sql(con, rule)
            except duckdb.Error as exc:
                ruleset.errors.append(sql_error(rule.path, exc))
                del ruleset.rules[rule.id]
            except RuleError as exc:
                ruleset.errors.append(exc)
                del ruleset.rules[rule.id]
    finally:
        con.close()


def _check_rule_sql(con: duckdb.DuckDBPyConnection, rule: Rule) -> None:
    """Bind the rule: its own columns must include the contract's, and cast to its types."""
    sql = _strip_sql(rule.sql)
    described = con.execute("DESCRIBE " + sql, rule.defaults).fetchall()
    missing = [c for c in FINDING_COLUMNS if c not in {row[0] for row in described}]
    if missing:
        first_code = next(
            (
                n
                for n, line in enumerate(sql.splitlines(), 1)
                if line.strip() and not line.startswith("--")
            ),
            1,
        )
        raise RuleError(
            f"the rule returns no column {', '.join(missing)} (the contract: "
            f"{', '.join(FINDING_COLUMNS)})",
            file=rule.path,
            line=first_code,
        )
    con.execute("EXPLAIN " + rule.wrapped_sql(), rule.defaults).fetchall()


_LINE_IN_ERROR = re.compile(r"\bLINE (\d+):")


def sql_error(path: Path, exc: duckdb.Error | AnalyzerError, offset: int = 0) -> RuleError:
    """A DuckDB error as a ``RuleError`` at the file line DuckDB names (``LINE n``)."""
    text = str(exc)
    match = _LINE_IN_ERROR.search(text)
    line = int(match[1]) + offset if match else None
    if line is not None and line < 1:
        line = 1
    message = text.split("\n\nLINE ")[0].replace("\n", " ")
    return RuleError(message, file=path, line=line)
