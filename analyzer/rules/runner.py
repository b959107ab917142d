"""Run rules over a case's connection: derived state first, then each rule's SQL."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import duckdb
import polars as pl

from ..errors import InputError, RuleError
from . import params as params_mod
from .findings import Findings
from .loader import BUILTIN_DIR, SEVERITY_RANK, Rule, RuleSet, sql_error

CLOCKS_FILE = "_clocks.sql"  # the ordering model, run first of the derived state


def normalise_name(name: str) -> str:
    """Endpoint names as the canonical tables hold them: lower case, no trailing dot."""
    return name.strip().lower().rstrip(".")


def prepare(con: duckdb.DuckDBPyConnection, ruleset: RuleSet, endpoints: Iterable[str]) -> None:
    """Create the derived state (TEMP objects) the rules read, on this connection."""
    con.execute("CREATE OR REPLACE TEMP TABLE pf_selected_endpoints (name VARCHAR)")
    names = sorted({normalise_name(n) for n in endpoints if n.strip()})
    if names:
        con.executemany("INSERT INTO pf_selected_endpoints VALUES (?)", [[n] for n in names])
    for path, sql in ruleset.derived:
        try:
            con.execute(sql)
        except duckdb.Error as exc:
            raise sql_error(path, exc) from exc


# The selected names that no table of the case mentions (in any role). The DNS side is
# a semi join against the few selected names first: NOT IN over all of dns_queries
# builds a hash table of every query (out of memory at 100 million with 4 GB).
_UNMENTIONED_SQL = """
SELECT name FROM pf_selected_endpoints
WHERE name NOT IN (SELECT qname FROM dns_queries
                   WHERE qname IN (SELECT name FROM pf_selected_endpoints))
  AND name NOT IN (SELECT endpoint FROM plans)
  AND name NOT IN (SELECT endpoint FROM enactor_events WHERE endpoint IS NOT NULL)
  AND name NOT IN (SELECT endpoint FROM operator_actions WHERE endpoint IS NOT NULL)
ORDER BY name
"""


def unmentioned_endpoints(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """The names selected by the last ``prepare`` that no log of the case mentions.

    With no name selected there is nothing to look for: the scan of every DNS query
    (a fifth of ``detect`` at 10M queries) is skipped."""
    if not con.execute("SELECT count(*) FROM pf_selected_endpoints").fetchall()[0][0]:
        return ()
    return tuple(row[0] for row in con.execute(_UNMENTIONED_SQL).fetchall())


def ensure_ordering(con: duckdb.DuckDBPyConnection, *, refresh: bool = False) -> None:
    """Create the ordering model (queries/_clocks.sql: host_clocks, the *_ordered views)
    on this connection unless the rules already did (or ``refresh``: the data changed)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'host_clocks' AND temporary"
    ).fetchall()[0][0]
    if refresh or not exists:
        path = BUILTIN_DIR / CLOCKS_FILE
        try:
            con.execute(path.read_text(encoding="utf-8")).fetchall()
        except duckdb.Error as exc:
            raise sql_error(path, exc) from exc


def select(
    ruleset: RuleSet,
    rules: Iterable[str] | None,
    min_severity: str | None,
    params: Mapping[str, Any] | None,
) -> tuple[list[Rule], dict[str, dict[str, Any]]]:
    """The selected rules (all by default) and each one's parameter values, checked."""
    ruleset.raise_errors()
    if min_severity is not None and min_severity not in SEVERITY_RANK:
        raise InputError(f"unknown severity {min_severity!r}")
    selected = ruleset.select(list(rules) if rules else None)
    overrides = params_mod.normalise(params)
    unknown = sorted(set(overrides) - set(ruleset.rules))
    if unknown:
        raise InputError(f"parameters given for unknown rule {', '.join(unknown)}")
    values = {rule.id: params_mod.resolve(rule, overrides.get(rule.id, {})) for rule in selected}
    return selected, values


def check_frame(rule: Rule, frame: pl.DataFrame) -> pl.DataFrame:
    """A rule's findings, refused when they carry another rule's name or no severity."""
    bad = set(frame["rule"].unique().to_list()) - {rule.id}
    if bad:
        raise RuleError(f"rule {rule.id} returned findings named {sorted(bad)}", file=rule.path)
    bad = set(frame["severity"].unique().to_list()) - set(SEVERITY_RANK)
    if bad:
        raise RuleError(f"rule {rule.id} returned severities {sorted(bad)}", file=rule.path)
    return frame


def run_rules(
    con: duckdb.DuckDBPyConnection,
    ruleset: RuleSet,
    *,
    rules: Iterable[str] | None = None,
    min_severity: str | None = None,
    params: Mapping[str, Any] | None = None,
    endpoints: Iterable[str] = (),
    progress: Callable[[str, int, int], None] | None = None,
) -> Findings:
    """Run the selected rules (all by default) and collect their findings;
    ``progress(rule_id, done, total)`` is called before each rule and at the end."""
    selected, values = select(ruleset, rules, min_severity, params)
    prepare(con, ruleset, endpoints)
    frames = []
    for done, rule in enumerate(selected):
        if progress:
            progress(rule.id, done, len(selected))
        try:
            frame = con.sql(rule.wrapped_sql(), params=values[rule.id]).pl()
        except duckdb.Error as exc:
            raise sql_error(rule.path, exc) from exc
        frames.append(check_frame(rule, frame))
    if progress:
        progress("done", len(selected), len(selected))
    findings = Findings.from_frames(frames)
    findings.unmentioned = unmentioned_endpoints(con)
    return findings.at_or_above(min_severity) if min_severity else findings
