"""Scheduled audits: run every rule over a recent window and say what changed.

For cron, systemd timers and CI (``analyzer audit``, docs/audit.md). An audit runs the
rules over the whole case (rules need the state before the window), keeps the
findings that touch the window, and compares them, by their stable id
(:func:`analyzer.report.finding_id`), with the previous audit of the same case:
what is **new**, what is still there, what has **cleared** (reported last time, not
now) and what has **ended** (an open interval that has closed). The history lives in
the case database, in the ``audit_runs`` and ``audit_findings`` tables created here.

Exit codes, as for ``detect``: 0 nothing at or above ``fail_on`` in the window, 1
something is, 2 a usage or input error (raised as ``AnalyzerError``).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl

from .errors import InputError
from .report.findings import SEVERITIES, Finding, normalize, rfc3339, severity_rank
from .rules.findings import OPEN_WHEN_NULL_END
from .schema import Column, Table
from .timewindow import parse_when

AUDIT_VERSION = 1

AUDIT_RUNS = Table(
    "audit_runs",
    "One row per audit: when, over which window, the verdict.",
    (
        Column("run_id", "VARCHAR PRIMARY KEY", "unique id of the audit"),
        Column("started_at", "TIMESTAMPTZ NOT NULL", "wall-clock time the audit ran"),
        Column("as_of", "TIMESTAMPTZ NOT NULL", "the end of the window (now, or --now)"),
        Column("since", "VARCHAR", "the window as given (24h, all, a time)"),
        Column("window_start", "TIMESTAMPTZ", "null: the whole case"),
        Column("fail_on", "VARCHAR", "severity threshold for exit code 1"),
        Column("exit_code", "INTEGER", "0 clean, 1 findings at or above fail_on"),
        Column("findings", "INTEGER", "findings in the window"),
        Column("new", "INTEGER", "findings not in the previous audit"),
        Column("cleared", "INTEGER", "findings of the previous audit not seen now"),
        Column("verdict", "VARCHAR", "the one-line verdict"),
    ),
)
AUDIT_FINDINGS = Table(
    "audit_findings",
    "The findings each audit reported (their stable ids), for the next audit to compare.",
    (
        Column("run_id", "VARCHAR NOT NULL", "audit_runs.run_id"),
        Column("finding_id", "VARCHAR NOT NULL", "stable id: rule and key fields"),
        Column("rule", "VARCHAR", ""),
        Column("severity", "VARCHAR", ""),
        Column("start", "TIMESTAMPTZ", ""),
        Column('"end"', "TIMESTAMPTZ", ""),
        Column("endpoint", "VARCHAR", ""),
        Column("generation", "BIGINT", ""),
        Column("host", "VARCHAR", ""),
        Column("summary", "VARCHAR", ""),
    ),
)


def parse_since(value: str, as_of: dt.datetime) -> dt.datetime | None:
    """The window's start: a duration before ``as_of`` (24h, 90m, 7d), an RFC 3339 time,
    today/yesterday (UTC midnight), or ``all`` (None: the whole case)."""
    if value.strip().lower() == "all":
        return None
    return parse_when(value, as_of)


@dataclass
class AuditResult:
    """What one audit found and how it compares with the previous one."""

    run_id: str
    started_at: dt.datetime
    as_of: dt.datetime
    since: str
    window_start: dt.datetime | None
    fail_on: str
    findings: list[Finding]
    new_ids: set[str]
    cleared: list[dict[str, Any]]
    ended_ids: set[str]
    previous: dict[str, Any] | None
    exit_code: int
    ingested: dict[str, int] = field(default_factory=dict)
    """What the ingest before the audit added: files, lines, loaded, quarantined."""
    fail_on_new: bool = False
    """Exit 1 only for failing findings the previous audit did not report (cron paging)."""

    @property
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(SEVERITIES, 0)
        for f in self.findings:
            out[f["severity"]] = out.get(f["severity"], 0) + 1
        return out

    @property
    def failing(self) -> list[Finding]:
        if self.fail_on == "none":
            return []
        rank = severity_rank(self.fail_on)
        return [f for f in self.findings if severity_rank(f["severity"]) >= rank]

    @property
    def failing_new(self) -> list[Finding]:
        return [f for f in self.failing if f["id"] in self.new_ids]

    @property
    def verdict(self) -> str:
        """One line: FAIL/OK, counts, the window, what changed since the previous audit."""
        window = (
            f"since {rfc3339(self.window_start)}" if self.window_start else "over the whole case"
        )
        counts = ", ".join(f"{n} {s}" for s, n in self.counts.items() if n) or "no findings"
        if self.exit_code:
            head = (
                f"FAIL: {len(self.failing_new)} new finding(s) at or above {self.fail_on}"
                if self.fail_on_new
                else f"FAIL: {len(self.failing)} finding(s) at or above {self.fail_on}"
            )
        elif self.fail_on == "none":
            head = "OK"
        elif self.fail_on_new and self.failing:
            head = (
                f"OK: nothing new at or above {self.fail_on} ({len(self.failing)} already reported)"
            )
        else:
            head = "OK: nothing at or above " + self.fail_on
        change = (
            f"{len(self.new_ids)} new, {len(self.cleared)} cleared, {len(self.ended_ids)} ended "
            f"since the audit of {self.previous['as_of']}"
            if self.previous
            else "first audit of this case"
        )
        return f"{head} {window} ({counts}); {change}."

    def lines(self, limit: int = 20) -> list[str]:
        """The verdict and one line per new, ended or cleared finding (for a terminal or mail)."""
        out = [self.verdict]
        rows = [("new", f) for f in self.findings if f["id"] in self.new_ids]
        rows += [("ended", f) for f in self.findings if f["id"] in self.ended_ids]
        rows += [("cleared", f) for f in self.cleared]
        for label, f in rows[:limit]:
            start = f["start"] if isinstance(f["start"], str) else rfc3339(f["start"])
            what = f.get("endpoint") or f.get("host") or ""
            out.append(
                f"  {label:<8}{f['severity']:<9}{f['rule']:<27}{start or '':<26}{what}  "
                f"{f.get('summary') or ''}".rstrip()
            )
        if len(rows) > limit:
            out.append(f"  ... and {len(rows) - limit} more (see the JSON)")
        return out

    def to_dict(self) -> dict[str, Any]:
        def record(f: Finding) -> dict[str, Any]:
            status = "new" if f["id"] in self.new_ids else "ongoing"
            if f["id"] in self.ended_ids:
                status = "ended"
            return {
                "id": f["id"],
                "status": status,
                **{
                    k: rfc3339(v) if isinstance(v, dt.datetime) else v
                    for k, v in f.items()
                    if k != "id"
                },
            }

        return {
            "audit_version": AUDIT_VERSION,
            "run_id": self.run_id,
            "started_at": rfc3339(self.started_at),
            "as_of": rfc3339(self.as_of),
            "since": self.since,
            "window_start": rfc3339(self.window_start),
            "fail_on": self.fail_on,
            "fail_on_new": self.fail_on_new,
            "exit_code": self.exit_code,
            "verdict": self.verdict,
            "counts": self.counts,
            "ingested": self.ingested,
            "previous": self.previous,
            "new": sorted(self.new_ids),
            "ended": sorted(self.ended_ids),
            "cleared": self.cleared,
            "findings": [record(f) for f in self.findings],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, default=str) + "\n"


def in_window(f: Finding, start: dt.datetime | None, end: dt.datetime) -> bool:
    """Does the finding touch [start, end]? Open intervals touch every later window."""
    if f["start"] is not None and f["start"] > end:
        return False
    if start is None:
        return True
    last = f["end"]
    if last is None:
        if f["rule"] in OPEN_WHEN_NULL_END:
            return True
        last = f["start"]
    return last is None or last >= start


def audit(
    case: Any,
    *,
    since: str = "24h",
    fail_on: str = "high",
    now: dt.datetime | None = None,
    findings: Iterable[Mapping[str, Any]] | pl.DataFrame | None = None,
    record: bool = True,
    ingested: Mapping[str, int] | None = None,
    fail_on_new: bool = False,
    **rule_options: Any,
) -> AuditResult:
    """Audit ``case``: its findings (``case.findings(**rule_options)`` unless given) within
    the window ``since`` before ``now``, compared with the previous audit; recorded in
    the case unless ``record`` is False. With ``fail_on_new``, only failing findings
    the previous audit did not report make the exit code 1."""
    if fail_on != "none" and fail_on not in SEVERITIES:
        raise InputError(f"--fail-on: one of {', '.join(SEVERITIES)} or none, not {fail_on!r}")
    started = dt.datetime.now(dt.UTC)
    as_of = (now or started).astimezone(dt.UTC)
    window_start = parse_since(since, as_of)
    if findings is None:
        findings = case.findings(**rule_options)
    found = [f for f in normalize(findings) if in_window(f, window_start, as_of)]
    con: duckdb.DuckDBPyConnection = case.con
    previous, prev_findings = _previous(con)
    current = {f["id"] for f in found}
    before = {p["finding_id"]: p for p in prev_findings}
    new_ids = current - set(before) if previous else set(current)
    cleared = [_prev_record(p) for p in prev_findings if p["finding_id"] not in current]
    ended_ids = {
        f["id"]
        for f in found
        if f["id"] in before
        and before[f["id"]]["end"] is None
        and f["end"] is not None
        and f["rule"] in OPEN_WHEN_NULL_END
    }
    result = AuditResult(
        run_id=f"{started.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:8]}",
        started_at=started,
        as_of=as_of,
        since=since,
        window_start=window_start,
        fail_on=fail_on,
        findings=found,
        new_ids=new_ids,
        cleared=cleared,
        ended_ids=ended_ids,
        previous=previous,
        exit_code=0,
        ingested=dict(ingested or {}),
        fail_on_new=fail_on_new,
    )
    result.exit_code = 1 if (result.failing_new if fail_on_new else result.failing) else 0
    if record:
        _record(con, result)
    return result


def _ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table in (AUDIT_RUNS, AUDIT_FINDINGS):
        con.execute(table.ddl()).fetchall()


def _exists(con: duckdb.DuckDBPyConnection) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'audit_runs'"
    ).fetchall()
    return bool(rows[0][0])


def _previous(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    if not _exists(con):
        return None, []
    runs = con.sql(
        """SELECT run_id, started_at, as_of, since, window_start, fail_on, exit_code, findings
           FROM audit_runs ORDER BY started_at DESC, run_id DESC LIMIT 1"""
    ).pl()
    if not runs.height:
        return None, []
    run = {
        k: rfc3339(v) if isinstance(v, dt.datetime) else v
        for k, v in runs.row(0, named=True).items()
    }
    rows = con.sql(
        """SELECT finding_id, rule, severity, start, "end", endpoint, generation, host, summary
           FROM audit_findings WHERE run_id = ? ORDER BY start, finding_id""",
        params=[run["run_id"]],
    ).pl()
    return run, rows.to_dicts()


def _prev_record(p: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: rfc3339(v) if isinstance(v, dt.datetime) else v for k, v in p.items()}
    out["id"] = out.pop("finding_id")
    return out


def _record(con: duckdb.DuckDBPyConnection, r: AuditResult) -> None:
    _ensure_tables(con)
    con.execute("BEGIN TRANSACTION").fetchall()
    try:
        con.execute(
            "INSERT INTO audit_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                r.run_id,
                r.started_at,
                r.as_of,
                r.since,
                r.window_start,
                r.fail_on,
                r.exit_code,
                len(r.findings),
                len(r.new_ids),
                len(r.cleared),
                r.verdict,
            ],
        ).fetchall()
        if r.findings:
            con.executemany(
                "INSERT INTO audit_findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    [
                        r.run_id,
                        f["id"],
                        f["rule"],
                        f["severity"],
                        f["start"],
                        f["end"],
                        f["endpoint"],
                        f["generation"],
                        f["host"],
                        f["summary"],
                    ]
                    for f in r.findings
                ],
            )
        con.execute("COMMIT").fetchall()
    except Exception:
        con.execute("ROLLBACK").fetchall()
        raise


def file_totals(case: Any) -> dict[str, int]:
    """Lines read, loaded and quarantined over all files: taken before and after an
    ingest, their difference is what the ingest added."""
    row = case.con.execute(
        """SELECT count(*), coalesce(sum(lines), 0), coalesce(sum(loaded), 0),
                  coalesce(sum(quarantined), 0) FROM files"""
    ).fetchall()[0]
    return dict(zip(("files", "lines", "loaded", "quarantined"), map(int, row), strict=True))


def history(case: Any) -> pl.DataFrame:
    """Every audit of the case, newest first (empty when there was none)."""
    if not _exists(case.con):
        return pl.DataFrame()
    return case.con.sql("SELECT * FROM audit_runs ORDER BY started_at DESC").pl()
