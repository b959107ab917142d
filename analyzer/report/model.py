"""The incident report as data: everything the Markdown, HTML and JSON pages show.

:func:`build_report` assembles it from a case and its findings (a list of records in
the contract shape): the three-sentence summary, impact windows and root-cause chain,
the timeline, the root-cause gaps, the findings by severity with their quoted evidence
and proofs, the inventory of inputs (chain of custody) and the parameters and versions
used. The renderers only format it.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl

from . import change_history, timefmt
from .evidence import read_lines
from .findings import SEVERITIES, Finding, normalize, parse_time, rfc3339, severity_rank
from .gaps import GapOptions, find_gaps, gap_records
from .proofs import prove
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
        summary=_summary(found, timeline, tz),
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


# -- the three sentences ----------------------------------------------------------------------
def _first(found: list[Finding], rule: str, **match: Any) -> Finding | None:
    for f in found:
        if f["rule"] == rule and all(f.get(k) == v for k, v in match.items() if v is not None):
            return f
    return None


def _summary(found: list[Finding], timeline: Timeline, tz: str) -> list[str]:
    serious = [f for f in found if severity_rank(f["severity"]) >= severity_rank("high")]
    if not serious:
        n = len(found)
        return [
            "No critical or high finding: the logs show no endpoint emptied, overwritten "
            "backwards or failing to resolve."
            + (f" {n} lower-severity finding(s) are listed below." if n else ""),
        ]
    worked = _check_worked(found, tz)
    if worked:
        return worked
    return [
        _what_happened(found, timeline, tz),
        _what_it_did(found, timeline, tz),
        _how_it_ended(found, timeline, tz),
    ]


def _check_worked(found: list[Finding], tz: str) -> list[str] | None:
    """No outage because the freshness check refused the stale update: say so."""
    if any(f["severity"] == "critical" or f["rule"] == "non_monotonic_apply" for f in found):
        return None
    refused = [
        f
        for f in found
        if f["rule"] == "stale_plan_check" and f["details"].get("update_status") == "error"
    ]
    if not refused:
        return None
    f, d = refused[0], refused[0]["details"]
    check = d.get("check_time")
    checked = f" at {timefmt.local(parse_time(check), tz, ms=False)}" if check else ""
    age = timefmt.duration(d.get("check_age_s"))
    newer = d.get("newer_generation")
    by = f" ({d['newer_host']})" if d.get("newer_host") else ""
    stall = _first(found, "enactor_stall", host=f["host"], generation=f["generation"])
    slow = (
        f", after a {timefmt.duration((stall['end'] - stall['start']).total_seconds())} stall"
        if stall and stall["end"]
        else ""
    )
    more = f" ({len(refused) - 1} more such refusals below)" if len(refused) > 1 else ""
    return [
        f"{f['host']} checked generation {f['generation']}{checked} and tried to apply it "
        f"{age} later{slow}, when {f['endpoint']} was already at the newer generation "
        f"{newer}{by}.",
        f"The update was refused at {timefmt.local(f['start'], tz, ms=False)}: the freshness "
        f"check at update time worked, and the stale plan never reached the endpoint{more}.",
        "No endpoint went empty and no DNS failure window was found.",
    ]


def _what_happened(found: list[Finding], timeline: Timeline, tz: str) -> str:
    at = timefmt.local(timeline.trigger, tz, ms=False)
    dele = _first(found, "cleanup_deleted_live_plan")
    if dele:
        ep, g = dele["endpoint"], dele["generation"]
        text = (
            f"At {at}, {dele['host']}'s clean-up deleted plan {g} while {ep} still pointed to "
            "it, leaving the endpoint with no DNS records"
        )
        over = _first(found, "non_monotonic_apply", endpoint=ep, generation=g)
        if over:
            prev = _stale_overwrite_prev(timeline, over["id"])
            stall = _first(found, "enactor_stall", host=over["host"], generation=g)
            gap = timefmt.duration((dele["start"] - over["start"]).total_seconds())
            delay = (
                f", delayed {timefmt.duration((stall['end'] - stall['start']).total_seconds())}"
                if stall and stall["end"]
                else ""
            )
            newer = f" over the newer generation {prev}" if prev is not None else ""
            text += f"; {gap} earlier {over['host']}{delay}, had applied that stale plan{newer}"
        return text + "."
    over = _first(found, "non_monotonic_apply")
    if over:
        return (
            f"At {timefmt.local(over['start'], tz, ms=False)}, {over['host']} applied the stale "
            f"generation {over['generation']} to {over['endpoint']} over a newer one."
        )
    emptied = change_history.what_happened(found, tz)  # the DNS change history (CloudTrail)
    if emptied:
        return emptied
    dns = _first(found, "dns_resolution_failure")
    if dns:
        return (
            f"From {timefmt.local(dns['start'], tz, ms=False)}, queries for {dns['endpoint']} "
            "failed; the logs show no control-plane change that caused it."
        )
    f = min(found, key=lambda x: x["start"] or _FAR)
    return f"At {timefmt.local(f['start'], tz, ms=False)}: {f['summary'] or f['rule']}."


def _stale_overwrite_prev(timeline: Timeline, finding_id: str) -> int | None:
    rows = timeline.events.filter(
        (pl.col("kind") == "stale_overwrite") & (pl.col("finding_id") == finding_id)
    )
    if not rows.height:
        return None
    facts = json.loads(rows["facts"][0] or "{}")
    return facts.get("prev_generation")


def _what_it_did(found: list[Finding], timeline: Timeline, tz: str) -> str:
    rows = timeline.impact.to_dicts()
    if not rows:
        blocked = _first(found, "blocked_updates")
        return (
            f"Updates of {blocked['endpoint']} kept failing until "
            f"{timefmt.local(blocked['end'], tz, ms=False)}."
            if blocked
            else "No endpoint went empty and no DNS failure window was found."
        )
    worst = max(
        rows,
        key=lambda r: (r["failed"] or 0, r["empty_s"] or 0, r["endpoint"]),
    )
    ep = worst["endpoint"]
    if worst["first_failed"] is not None:
        text = (
            f"Clients failed to resolve {ep} from "
            f"{timefmt.local(worst['first_failed'], tz, ms=False)}"
            f" to {timefmt.local(worst['last_failed'], tz, ms=False)} "
            f"({timefmt.duration(worst['impact_s'])}; {worst['failed']} of {worst['total']} "
            "queries failed)"
        )
    else:
        text = (
            f"{ep} was empty for {timefmt.duration(worst['empty_s'])}"
            if worst["empty_s"] is not None
            else f"{ep} was still empty where the logs end"
        ) + " (no DNS query logs show what clients saw)"
    blocked = _first(found, "blocked_updates", endpoint=ep)
    if blocked:
        n = blocked["details"].get("failed_attempts")
        text += ", and the Enactors could not repair it" + (
            f" ({n} failed updates)" if n is not None else ""
        )
    others = len(rows) - 1
    if others:
        text += f"; {others} other endpoint(s) were affected"
    return text + "."


def _how_it_ended(found: list[Finding], timeline: Timeline, tz: str) -> str:
    events = timeline.events
    restores = events.filter(
        (pl.col("kind") == "operator_action")
        & (pl.col("phase") == "recovery")
        & pl.col("endpoint").is_not_null()
    )
    last_failed = events.filter(pl.col("kind") == "last_failed_query")
    still_empty = sorted(
        {
            f["endpoint"]
            for f in found
            if f["rule"] == "endpoint_empty" and f["end"] is None and f["endpoint"]
        }
    )
    parts = []
    restore = restores.row(0, named=True) if restores.height else None
    if restore:
        ep = restore["endpoint"]
        gen = f" to generation {restore['generation']}" if restore["generation"] is not None else ""
        parts.append(
            f"Operator {restore['host']} restored {ep}{gen} at "
            f"{timefmt.local(restore['ts'], tz, ms=False)}"
        )
        mine = last_failed.filter(pl.col("endpoint") == ep)
        if mine.height:
            lf = mine.sort("ts").row(-1, named=True)
            after = timefmt.duration((lf["ts"] - restore["ts"]).total_seconds())
            parts.append(
                f"its last failed query was at {timefmt.local(lf['ts'], tz, ms=False)}, "
                f"{after} after the restore"
            )
    elif (restored := change_history.how_it_ended(timeline, tz)) is not None:
        parts.append(restored)
    elif last_failed.height:
        lf = last_failed.sort("ts").row(-1, named=True)
        parts.append(
            f"The last failed query ({lf['endpoint']}) was at "
            f"{timefmt.local(lf['ts'], tz, ms=False)}, with no restore in the logs"
        )
    if still_empty:
        parts.append(f"{', '.join(still_empty)} was still empty where the logs end")
    if not parts:
        return "The logs show no restore and no recovery."
    return "; ".join(parts) + "."
