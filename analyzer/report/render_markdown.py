"""The report as Markdown (GitHub-flavoured), for tickets, wikis and terminals.

Log-derived text is escaped: control characters become ``\\xNN``; in prose and tables
``<``, ``>``, ``&``, ``|``, backticks, ``*`` and brackets cannot start markup; quoted log
lines sit in fenced code blocks whose fence is longer than any backtick run in the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..textsafe import visible
from . import timefmt
from .findings import SEVERITIES
from .model import Report
from .navigation import (
    SECTIONS,
    evidence_link,
    evidence_targets,
    explained_line,
    figure_slots,
    finding_anchor,
    localize,
    ordered_gaps,
)

_MD_SPECIAL = re.compile(r"([\\`*\[\]|])")
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")


def md(text: Any) -> str:
    """Inline text, escaped for Markdown (one line).

    Markdown renderers pass raw HTML through, so a ``<`` that could open a tag (and an
    ``&`` that could form an entity) is escaped; ``a < b`` stays readable.
    """
    if text is None:
        return ""
    s = _ENTITY.sub("&amp;", visible(text, keep_newlines=True))
    s = _TAG_OPEN.sub("&lt;", s)
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return " ".join(s.splitlines())


def code(text: Any) -> str:
    """Inline code (file:line, ids): backticks chosen so the content cannot close them."""
    s = " ".join(visible(text, keep_newlines=True).splitlines())
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def fenced(lines: Iterable[str], lang: str = "text") -> str:
    body = "\n".join(visible(line, keep_newlines=True) for line in lines)
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{body}\n{fence}"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join("" if c is None else str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def _ev(refs: Iterable[Mapping[str, Any]]) -> str:
    return ", ".join(code(f"{e['file']}:{e['line']}") for e in refs)


def _quote_block(refs: Sequence[Mapping[str, Any]]) -> str:
    lines = []
    for e in refs:
        where = f"{e['file']}:{e['line']}"
        if e.get("text") is not None:
            lines.append(f"{where}  {e['text']}")
            if e.get("problem"):
                lines.append(f"{' ' * len(where)}  ({e['problem']})")
        else:
            lines.append(f"{where}  ({e.get('problem') or 'not read'})")
    return fenced(lines)


CAPTIONS = {
    "swimlane": "Plans, applies, stalls and clean-ups per host",
    "generations": "Effective generation per affected endpoint (shaded: empty)",
    "dns_ratio": "DNS failure ratio per minute per endpoint",
    "record_sets": "Record sets per name over time (CloudTrail), by who changed them",
}


def render_markdown(report: Report, *, figures: Mapping[str, str] | None = None) -> str:
    """The whole report; ``figures`` maps a figure name to its (relative) image path."""
    tz = report.tz
    figures = dict(figures or {})
    out: list[str] = [f"# {md(report.title)}", ""]
    trigger = timefmt.local(report.trigger, tz) if report.trigger else "not established"
    out += [
        f"Generated {report.generated_at.strftime('%Y-%m-%d %H:%M:%S')} UTC by plan-forensics "
        f"{md(report.versions.get('analyzer', ''))} from the case {code(report.case)}. "
        f"Times are shown in {md(tz)}; the trigger is at {md(trigger)}.",
        "",
        "**Contents:** " + " · ".join(f"[{title}](#{anchor})" for anchor, title in SECTIONS),
        "",
        "## Summary",
        "",
        " ".join(md(localize(s, tz)) for s in report.summary),
        "",
        "**Findings:** "
        + ", ".join(f"{n} {sev}" for sev, n in report.severity_counts.items())
        + f"; {len(report.gaps)} root-cause gap(s).",
        "",
    ]
    out += _findings_table(report)
    out += _impact(report)
    out += _figures(figures, figure_slots(figures)["impact"])
    if report.chain:
        out += ["### Root-cause chain", ""]
        out += [f"{i}. {md(localize(s, tz))}" for i, s in enumerate(report.chain, 1)]
        out.append("")
    out += _timeline(report)
    out += _figures(figures, figure_slots(figures)["timeline"])
    out += _gaps(report)
    out += _findings(report)
    out += _inventory(report)
    out += _parameters(report)
    return "\n".join(out).rstrip() + "\n"


def _figures(figures: Mapping[str, str], names: Iterable[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        if name in figures:
            out += [f"![{md(CAPTIONS.get(name, name))}]({figures[name]})", ""]
    return out


def _findings_table(report: Report) -> list[str]:
    """One row per finding, most severe first, each linking to its section."""
    if not report.findings:
        return []
    rows = [
        [
            f"[{i}](#{finding_anchor(f['id'])})",
            f["severity"],
            code(f["rule"]),
            md(f["start_local"]),
            md(f["endpoint"] or f["host"]),
            md(localize(f["summary"], report.tz)),
        ]
        for i, f in enumerate(report.findings, 1)
    ]
    headers = ["#", "Severity", "Rule", f"Start ({md(report.tz)})", "Endpoint or host", "Summary"]
    return ["### Findings at a glance", "", table(headers, rows), ""]


def _impact(report: Report) -> list[str]:
    if not report.impact:
        return []
    rows = []
    for r in report.impact:
        empty = ""
        if r["empty_start"]:
            empty = (
                f"{md(r['empty_start_local'])} → "
                + (md(r["empty_end_local"]) if r["empty_end"] else "still empty")
                + (f" ({timefmt.duration(r['empty_s'])})" if r["empty_s"] is not None else "")
            )
        cause = (
            f"{timefmt.duration(r['cause_to_first_failure_s'])} after {code(r['cause_rule'])}"
            if r["cause_rule"]
            else ("no control-plane cause" if r["first_failed"] else "")
        )
        rows.append(
            [
                md(r["endpoint"]),
                empty,
                md(r["first_failed_local"]),
                md(r["last_failed_local"]),
                timefmt.duration(r["impact_s"]),
                f"{r['failed']} / {r['total']}" if r["total"] else "",
                cause,
            ]
        )
    return [
        "### Impact",
        "",
        table(
            [
                "Endpoint",
                "Empty (control plane)",
                "First failed query",
                "Last failed query",
                "Client impact",
                "Failed / total queries",
                "Cause → first failure",
            ],
            rows,
        ),
        "",
    ]


def _timeline(report: Report) -> list[str]:
    out = ["## Timeline", ""]
    if not report.timeline:
        return [*out, "No key events: the findings name no incident.", ""]
    if report.phases:
        out.append(
            "Phases: "
            + "; ".join(
                f"**{md(p['phase'])}** {md(timefmt.local(_t(p['start']), report.tz))} → "
                f"{md(timefmt.local(_t(p['end']), report.tz))} ({p['events']} event(s))"
                for p in report.phases
            )
            + "."
        )
        out.append("")
    targets = evidence_targets(report.findings)
    shown = {f["id"] for f in report.findings}
    rows = []
    for r in report.timeline:
        own = r["finding_id"] if r.get("finding_id") in shown else None
        links = []
        for e in r["evidence"]:
            where = code(f"{e['file']}:{e['line']}")
            target = evidence_link(e, targets, own, block=False)
            links.append(f"[{where}](#{target})" if target else where)
        rows.append(
            [
                md(r["time"]),
                md(r["since_trigger"]),
                md(r["phase"]),
                md(r["host"]),
                md(localize(r["sentence"], report.tz)),
                ", ".join(links),
            ]
        )
    out += [
        table(
            [
                f"Time ({md(report.tz)})",
                "Since trigger",
                "Phase",
                "Host",
                "What happened",
                "Evidence",
            ],
            rows,
        ),
        "",
    ]
    return out


def _t(value: Any) -> Any:
    import datetime as dt

    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _gaps(report: Report) -> list[str]:
    out = ["## Root-cause gaps", ""]
    if not report.gaps:
        return [*out, "None found: every key event is explained by the logs at hand.", ""]
    unexplained, explained = ordered_gaps(report.gaps)
    if unexplained:
        out += [
            "What the logs cannot explain, most unexplained first, and the evidence that would.",
            "",
        ]
    for i, g in enumerate(unexplained, 1):
        kind = md(g["kind"].replace("_", " "))
        statement = md(localize(g["statement"], report.tz))
        out.append(f"{i}. **{kind}** ({md(g['importance'])}): {statement}")
        if g["missing"]:
            out.append(f"   - Missing: {md(localize(g['missing'], report.tz))}.")
        if g["evidence"]:
            out.append(f"   - Evidence: {_ev(g['evidence'])}")
    if explained:
        out += ["", "Fully explained:", ""]
        out += [f"- {md(explained_line(g))}" for g in explained]
    out.append("")
    return out


def _findings(report: Report) -> list[str]:
    out = ["## Findings", ""]
    if not report.findings:
        return [*out, "None.", ""]
    n = 0
    for sev in SEVERITIES:
        group = [f for f in report.findings if f["severity"] == sev]
        if not group:
            continue
        out += [f"### {sev.capitalize()} ({len(group)})", ""]
        for f in group:
            n += 1
            summary = md(localize(f["summary"] or "", report.tz))
            out += [f'<a id="{finding_anchor(f["id"])}"></a>', ""]
            out += [f"#### {n}. {code(f['rule'])}: {summary}", ""]
            when = md(f["start_local"]) + (f" → {md(f['end_local'])}" if f["end"] else "")
            facts = [
                ("When", when),
                ("Endpoint", md(f["endpoint"])),
                ("Generation", "" if f["generation"] is None else str(f["generation"])),
                ("Host", md(f["host"])),
                ("Id", code(f["id"])),
            ]
            out += [table(["", ""], [(k, v) for k, v in facts if v]), ""]
            proof = f.get("proof")
            if proof:
                out.append("**Proof.**")
                out.append("")
                for s in proof["steps"]:
                    where = f" ({_ev([s['evidence']])})" if s["evidence"] else ""
                    out.append(f"- Let {md(s['label'])} = {md(s['text'])}{where}.")
                out.append(f"- Then {md(proof['then'])}")
                out.append(f"- Therefore {md(proof['therefore'])}")
                for m in proof["missing"]:
                    out.append(f"- Missing: {md(m)}.")
                out.append("")
            if f["evidence"]:
                more = f["evidence_total"] - len(f["evidence"])
                out.append(
                    f"**Evidence** ({f['evidence_total']} line(s)"
                    + (f", the first {len(f['evidence'])} quoted" if more > 0 else "")
                    + "):"
                )
                out += ["", _quote_block(f["evidence"]), ""]
    return out


def _inventory(report: Report) -> list[str]:
    rows = [
        [
            code(r["file"]),
            md(r["source"]),
            md(r["status"]),
            r["lines"],
            r["loaded"],
            r["quarantined"],
            code(r["sha256"]) if r["sha256"] else "",
        ]
        for r in report.inventory
    ]
    out = ["## Inputs (chain of custody)", ""]
    roots = ", ".join(code(r) for r in report.parameters.get("roots", [])) or "no directory"
    out.append(
        f"{len(report.inventory)} file(s) from {roots}; {report.quarantined} line(s) "
        "quarantined. Per file: lines = loaded + quarantined."
    )
    out += [
        "",
        table(["File", "Source", "Status", "Lines", "Loaded", "Quarantined", "sha256"], rows),
        "",
    ]
    assumed = sorted({r["assumed_tz"] for r in report.inventory if r.get("assumed_tz")})
    if assumed:
        out += [f"Timestamps without a zone were read in {', '.join(md(z) for z in assumed)}.", ""]
    return out


def _parameters(report: Report) -> list[str]:
    params = report.parameters
    rows = [("time zone", md(params["tz"]))]
    rows += [(f"gaps.{k}", md(v)) for k, v in params.get("gaps", {}).items()]
    rows.append(("quotes per finding", md(params.get("quotes_per_finding"))))
    for rule, values in params.get("rules", {}).items():
        rows += [(f"{md(rule)}.{md(k)}", md(v)) for k, v in values.items()]
    rows += [(f"{k} version", md(v)) for k, v in report.versions.items()]
    return ["## Parameters and versions", "", table(["Parameter", "Value"], rows), ""]
