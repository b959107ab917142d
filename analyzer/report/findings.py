"""Findings as the report and the audit consume them: the contract shape, normalised.

The detection rules hand over a list of records in the shape of findings.md ("Output
contract"). Everything here takes such a list (so reports and audits are testable with
hand-made findings) and turns it into typed records with a stable ``id`` and into a
frame that SQL over the canonical tables can join.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import duckdb
import polars as pl

from ..errors import InputError

SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK = {s: len(SEVERITIES) - i for i, s in enumerate(SEVERITIES)}
"""critical=5 ... info=1: larger is worse, so ``>=`` reads as "at or above"."""

KEY_FIELDS = ("rule", "endpoint", "generation", "host", "start")

Finding = dict[str, Any]

_counter = itertools.count()


def parse_time(value: Any) -> dt.datetime | None:
    """An RFC 3339 string or datetime as an aware UTC datetime (None stays None)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(f"not an RFC 3339 time in a finding: {value!r}") from exc
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


def rfc3339(value: dt.datetime | None) -> str | None:
    """UTC with millisecond precision and a ``Z``, as the output contract writes times."""
    if value is None:
        return None
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def finding_id(finding: Mapping[str, Any]) -> str:
    """A stable id from the rule and the key fields (rule, endpoint, generation, host, start).

    The same finding detected again (by tomorrow's audit, over more logs) gets the same
    id, so audits can say what is new and what has cleared. ``end`` and the summary are
    left out on purpose: an open interval that closes keeps its id.
    """
    start = parse_time(finding.get("start"))
    parts = [
        str(finding.get("rule") or ""),
        str(finding.get("endpoint") or ""),
        "" if finding.get("generation") is None else str(int(finding["generation"])),
        str(finding.get("host") or ""),
        rfc3339(start) or "",
    ]
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]


def severity_rank(severity: str | None) -> int:
    return SEVERITY_RANK.get((severity or "").lower(), 0)


def normalize(findings: Iterable[Mapping[str, Any]] | pl.DataFrame) -> list[Finding]:
    """Copies of the findings with aware UTC times, dict details, typed evidence and an id.

    Accepts what ``Case.findings()`` returns (or its ``.records()``), the JSON of
    ``detect --format json`` or a polars frame of them. Sorted by start time, severity and
    id, so every output built from them has a deterministic order.
    """
    if isinstance(findings, pl.DataFrame):
        findings = findings.to_dicts()
    elif callable(getattr(findings, "records", None)):  # analyzer.rules.Findings
        findings = findings.records()  # type: ignore[attr-defined]
    out: list[Finding] = []
    for raw in findings:
        if "rule" not in raw:
            raise InputError(f"a finding without a rule: {dict(raw)!r:.200}")
        f = dict(raw)
        f["start"] = parse_time(f.get("start"))
        f["end"] = parse_time(f.get("end"))
        details = f.get("details")
        if isinstance(details, str):
            try:
                details = json.loads(details)
            except json.JSONDecodeError:
                details = {"text": details}
        f["details"] = dict(details or {})
        f["evidence"] = [
            {"file": str(e["file"]), "line": int(e["line"])}
            | ({"record": int(e["record"])} if e.get("record") is not None else {})
            for e in (f.get("evidence") or [])
            if e and e.get("file") is not None and e.get("line") is not None
        ]
        f["severity"] = (f.get("severity") or "info").lower()
        for key in ("endpoint", "host", "summary"):
            f.setdefault(key, None)
        f["generation"] = None if f.get("generation") is None else int(f["generation"])
        f["id"] = f.get("id") or finding_id(f)
        out.append(f)
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    out.sort(key=lambda f: (f["start"] or far, -severity_rank(f["severity"]), f["rule"], f["id"]))
    return out


FRAME_SCHEMA: dict[str, Any] = {
    "id": pl.String,
    "rule": pl.String,
    "severity": pl.String,
    "sev_rank": pl.Int64,
    "start": pl.Datetime("us", "UTC"),
    "end": pl.Datetime("us", "UTC"),
    "endpoint": pl.String,
    "generation": pl.Int64,
    "host": pl.String,
    "summary": pl.String,
    "details": pl.String,
    "evidence": pl.List(pl.Struct({"file": pl.String, "line": pl.Int64, "record": pl.Int64})),
}


def to_frame(findings: Iterable[Finding]) -> pl.DataFrame:
    """Normalised findings as a typed frame (details as a JSON string, for SQL)."""
    rows = [
        {
            "id": f["id"],
            "rule": f["rule"],
            "severity": f["severity"],
            "sev_rank": severity_rank(f["severity"]),
            "start": f["start"],
            "end": f["end"],
            "endpoint": f["endpoint"],
            "generation": f["generation"],
            "host": f["host"],
            "summary": f["summary"],
            "details": json.dumps(f["details"], default=str, sort_keys=True),
            "evidence": f["evidence"],
        }
        for f in findings
    ]
    return pl.DataFrame(rows, schema=FRAME_SCHEMA)


@contextlib.contextmanager
def registered(con: duckdb.DuckDBPyConnection, findings: list[Finding]) -> Iterator[str]:
    """Make the findings a table for SQL on the case's connection; yields its name.

    Two views appear: ``<name>`` (one row per finding) and ``<name>_ev`` (one row per
    evidence line, with the time of that line looked up in the canonical tables).
    """
    name = f"_findings_{next(_counter)}"
    frame = to_frame(findings).to_arrow()
    con.register(name, frame)
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP VIEW {name}_ev AS
            WITH ev AS (
                SELECT id, ord, e.file, e.line
                FROM (SELECT id, unnest(evidence) AS e, generate_subscripts(evidence, 1) AS ord
                      FROM {name})
            ),
            lines AS (
                SELECT file, line, ts FROM enactor_events
                UNION ALL SELECT file, line, ts FROM planner_events
                UNION ALL SELECT file, line, ts FROM operator_actions
                UNION ALL SELECT file, line, ts FROM dns_queries
            )
            SELECT ev.id, ev.ord, ev.file, ev.line, l.ts
            FROM ev LEFT JOIN lines l USING (file, line)
            """
        ).fetchall()
        yield name
    finally:
        con.execute(f"DROP VIEW IF EXISTS {name}_ev").fetchall()
        con.unregister(name)
