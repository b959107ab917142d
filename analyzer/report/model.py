"""The incident report as data: everything the Markdown, HTML and JSON pages show.

:func:`build_report` assembles it from a case and its findings (a list of records in
the contract shape): the three-sentence summary (``summary``), impact windows and
root-cause chain, the timeline, the root-cause gaps, the findings by severity with
their quoted evidence and proofs, the inventory of inputs (chain of custody) and the
parameters and versions used. The renderers only format it.
"""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl

from . import timefmt
from .evidence import read_lines
from .findings import SEVERITIES, Finding, normalize, rfc3339, severity_rank
from .gaps import GapOptions, find_gaps, gap_records
from .proofs import prove
from .summary import summary_sentences
from .timeline import Timeline, build_timeline

REPORT_VERSION = 1
QUOTES_PER_FINDING = 5


@dataclass
class Report:
    """An incident report, ready to render (``to_dict`` is the JSON version)."""

    title: str
    generated_at: dt.datetime
    tz: str
    case: str
    summary: list[str]
    impact: list[dict[str, Any]]
    chain: list[str]
    phases: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    gaps: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    inventory: list[dict[str, Any]]
    quarantined: int
    parameters: dict[str, Any]
    versions: dict[str, str]
    trigger: dt.datetime | None
    timeline_obj: Timeline | None = field(default=None, repr=False)

    @property
    def severity_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(SEVERITIES, 0)
        for f in self.findings:
            counts[f["severity"]] = counts.get(f["severity"], 0) + 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "report_version": REPORT_VERSION,
            "title": self.title,
            "generated_at": rfc3339(self.generated_at),
            "tz": self.tz,
            "case": self.case,
            "trigger": rfc3339(self.trigger),
            "summary": self.summary,
            "severity_counts": self.severity_counts,
            "impact": self.impact,
            "root_cause_chain": self.chain,
            "phases": self.phases,
            "timeline": self.timeline,
            "gaps": self.gaps,
            "findings": self.findings,
            "inventory": self.inventory,
            "quarantined_lines": self.quarantined,
            "parameters": self.parameters,
            "versions": self.versions,
        }


def versions() -> dict[str, str]:
    """The versions that produced a report (for its reader and for reproducing it)."""
    from .. import __version__

    out = {
        "analyzer": __version__,
        "duckdb": duckdb.__version__,
        "polars": pl.__version__,
        "python": platform.python_version(),
    }
    try:
        from importlib.metadata import version

        out["matplotlib"] = version("matplotlib")
    except Exception:  # pragma: no cover - matplotlib is a dependency
        pass
    return out


def build_report(
    case: Any,
    findings: Iterable[Mapping[str, Any]] | pl.DataFrame,
    *,
    tz: str = "UTC",
    gap_options: GapOptions | None = None,
    now: dt.datetime | None = None,
    title: str | None = None,
    quotes_per_finding: int = QUOTES_PER_FINDING,
    rule_params: Mapping[str, Mapping[str, Any]] | None = None,
) -> Report:
    """Assemble the report of ``case`` from ``findings`` (records in the contract shape).

    ``rule_params`` (rule id -> parameter values), when given, is listed with the
    report's parameters: what the findings were detected with.
    """
    timefmt.zone(tz)
    opts = gap_options or GapOptions()
    found = normalize(findings)
    timeline = build_timeline(case, found, tz=tz, dns_tolerance_s=opts.dns_tolerance_s)
    gaps = gap_records(find_gaps(case, findings, options=opts, tz=tz))
    proofs = {p.finding_id: p.to_dict() for p in prove(case, found, tz=tz)}
    ordered = sorted(
        found,
        key=lambda f: (-severity_rank(f["severity"]), f["start"] or _FAR, f["rule"], f["id"]),
    )
    refs = [e for f in ordered for e in f["evidence"][:quotes_per_finding]]
    refs += [e for row in timeline.records() for e in row["evidence"]]
    refs += [e for g in gaps for e in g["evidence"]]
    quotes = read_lines(case, refs)
    inventory, quarantined, roots = _inventory(case)
    case_name = str(case.path) if getattr(case, "path", None) else ":memory:"
    return Report(
        title=title or _title(roots, case_name),
        generated_at=(now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC),
        tz=tz,
        case=case_name,
        summary=summary_sentences(found, timeline, tz),
        impact=_impact(timeline, tz),
        chain=timeline.chain,
        phases=timeline.phase_records(),
        timeline=[_with_quotes(r, quotes) for r in timeline.records()],
        gaps=[_with_quotes(g, quotes) for g in gaps],
        findings=[_finding_record(f, quotes, proofs, tz, quotes_per_finding) for f in ordered],
        inventory=inventory,
        quarantined=quarantined,
        parameters={
            "tz": tz,
            "roots": roots,
            "gaps": opts.to_dict(),
            "quotes_per_finding": quotes_per_finding,
            "rules": {k: dict(v) for k, v in sorted((rule_params or {}).items())},
        },
        versions=versions(),
        trigger=timeline.trigger,
        timeline_obj=timeline,
    )


_FAR = dt.datetime.max.replace(tzinfo=dt.UTC)


def _title(roots: list[str], case_name: str) -> str:
    from pathlib import Path

    if roots:
        return "Incident report: " + ", ".join(Path(r).name for r in roots)
    return f"Incident report: {Path(case_name).name}"


def _inventory(case: Any) -> tuple[list[dict[str, Any]], int, list[str]]:
    con: duckdb.DuckDBPyConnection = case.con
    rows = con.execute(
        """SELECT file, source, status, sha256, size, compressed, lines, loaded, quarantined,
                  assumed_tz, message, root
           FROM files ORDER BY file"""
    ).fetchall()
    cols = [
        "file",
        "source",
        "status",
        "sha256",
        "size",
        "compressed",
        "lines",
        "loaded",
        "quarantined",
        "assumed_tz",
        "message",
    ]
    inventory = [dict(zip(cols, r[:-1], strict=True)) for r in rows]
    roots = sorted({r[-1] for r in rows if r[-1]})
    quarantined = con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0]
    return inventory, int(quarantined), roots


def _quote_list(
    refs: Iterable[Mapping[str, Any]], quotes: Mapping[Any, Any]
) -> list[dict[str, Any]]:
    out = []
    for e in refs:
        record = e.get("record")
        key = (e["file"], e["line"]) if record is None else (e["file"], e["line"], record)
        q = quotes.get(key)
        out.append(
            {
                "file": e["file"],
                "line": e["line"],
                "text": q.text if q else None,
                "problem": q.problem if q else "not read",
            }
            | ({"record": record} if record is not None else {})
        )
    return out


def _with_quotes(row: Mapping[str, Any], quotes: Mapping[Any, Any]) -> dict[str, Any]:
    out = dict(row)
    out["evidence"] = _quote_list(row.get("evidence") or [], quotes)
    return out


def _finding_record(
    f: Finding,
    quotes: Mapping[Any, Any],
    proofs: Mapping[str, Any],
    tz: str,
    limit: int,
) -> dict[str, Any]:
    return {
        "id": f["id"],
        "rule": f["rule"],
        "severity": f["severity"],
        "start": rfc3339(f["start"]),
        "end": rfc3339(f["end"]),
        "start_local": timefmt.local(f["start"], tz),
        "end_local": timefmt.local(f["end"], tz),
        "endpoint": f["endpoint"],
        "generation": f["generation"],
        "host": f["host"],
        "summary": f["summary"],
        "details": f["details"],
        "evidence": _quote_list(f["evidence"][:limit], quotes),
        "evidence_total": len(f["evidence"]),
        "proof": proofs.get(f["id"]),
    }


def _impact(timeline: Timeline, tz: str) -> list[dict[str, Any]]:
    out = []
    for r in timeline.impact.to_dicts():
        row = {k: rfc3339(v) if isinstance(v, dt.datetime) else v for k, v in r.items()}
        for key in ("empty_start", "empty_end", "first_failed", "last_failed", "cause_time"):
            row[f"{key}_local"] = timefmt.local(r[key], tz)
        out.append(row)
    return out
