"""The report as one self-contained HTML page: no script, no network, figures inline.

Every piece of text goes through :func:`esc` (``html.escape``) before it reaches the
page, so a log line holding ``<script>`` stays text. The page skeleton is a
``string.Template`` (``html_page``); the sections are built here.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..textsafe import visible
from . import timefmt
from .findings import SEVERITIES
from .html_page import PAGE
from .model import Report
from .navigation import (
    SECTIONS,
    evidence_anchor,
    evidence_link,
    evidence_targets,
    explained_line,
    figure_slots,
    finding_anchor,
    localize,
    ordered_gaps,
)


def esc(value: Any) -> str:
    """Text for the page: escaped, ``None`` as empty."""
    return "" if value is None else html.escape(visible(value, keep_newlines=True), quote=True)


def _table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], classes: Iterable[str] = ()
) -> str:
    head = "".join(f"<th>{h}</th>" for h in headers)
    labels = [esc(html.unescape(re.sub(r"<[^>]*>", "", h))) for h in headers]
    cls = list(classes)
    body = []
    for i, row in enumerate(rows):
        attr = f' class="{esc(cls[i])}"' if i < len(cls) and cls[i] else ""
        cells = "".join(
            f'<td data-label="{label}">{c}</td>' for label, c in zip(labels, row, strict=True)
        )
        body.append(f"<tr{attr}>{cells}</tr>")
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    return f'<div class="scroll">{table}</div>'


def _ev(refs: Iterable[Mapping[str, Any]]) -> str:
    """file:line references; where the line was read, its text is the tooltip."""
    out = []
    for e in refs:
        text = e.get("text")
        title = f' title="{esc(text)}"' if text else ""
        out.append(f"<code{title}>{esc(e['file'])}:{esc(e['line'])}</code>")
    return ", ".join(out)


def _quotes(refs: Sequence[Mapping[str, Any]], anchor: str = "") -> str:
    lines = []
    for e in refs:
        where = f"{e['file']}:{e['line']}"
        if e.get("text") is not None:
            line = f"{esc(where)}  {esc(e['text'])}"
            if e.get("problem"):
                line += (
                    f'\n<span class="missing">{esc(" " * len(where))}  ({esc(e["problem"])})</span>'
                )
        else:
            problem = esc(e.get("problem") or "not read")
            line = f'{esc(where)}  <span class="missing">({problem})</span>'
        lines.append(line)
    attr = f' id="{esc(anchor)}"' if anchor else ""
    return f"<pre{attr}>" + "\n".join(lines) + "</pre>"


def render_html(report: Report, *, figures: Mapping[str, bytes] | None = None) -> str:
    """The page; ``figures`` maps a figure name to its PNG bytes (embedded as base64)."""
    tz = report.tz
    trigger = timefmt.local(report.trigger, tz) if report.trigger else "not established"
    meta = (
        f"Generated {esc(report.generated_at.strftime('%Y-%m-%d %H:%M:%S'))} UTC by "
        f"plan-forensics {esc(report.versions.get('analyzer', ''))} from the case "
        f"<code>{esc(report.case)}</code>. Times are shown in <b>{esc(tz)}</b>; the trigger "
        f"is at <b>{esc(trigger)}</b>."
    )
    counts = ", ".join(
        f'<span class="sev {sev}">{n} {sev}</span>' for sev, n in report.severity_counts.items()
    )
    toc = "".join(f'<li><a href="#{a}">{esc(t)}</a></li>' for a, t in SECTIONS)
    figs = dict(figures or {})
    body = [
        f'<nav class="toc"><b>Contents:</b> <ul style="display:inline;padding:0">{toc}</ul></nav>',
        '<h2 id="summary">Summary</h2>',
        f'<p class="summary">{" ".join(esc(localize(s, tz)) for s in report.summary)}</p>',
        f"<p>Findings: {counts}; {len(report.gaps)} root-cause gap(s).</p>",
        _findings_table(report),
        _impact(report),
        _figures(figs, figure_slots(figs)["impact"]),
        _chain(report),
        _timeline(report),
        _figures(figs, figure_slots(figs)["timeline"]),
        _gaps(report),
        _findings(report),
        _inventory(report),
        _parameters(report),
    ]
    return PAGE.substitute(
        title=esc(report.title),
        version=esc(report.versions.get("analyzer", "")),
        meta=meta,
        body="\n".join(b for b in body if b),
    )


def _impact(report: Report) -> str:
    if not report.impact:
        return ""
    rows = []
    for r in report.impact:
        empty = ""
        if r["empty_start"]:
            empty = (
                esc(r["empty_start_local"])
                + " → "
                + (esc(r["empty_end_local"]) if r["empty_end"] else "still empty")
            )
            if r["empty_s"] is not None:
                empty += f" ({esc(timefmt.duration(r['empty_s']))})"
        cause = (
            f"{esc(timefmt.duration(r['cause_to_first_failure_s']))} after "
            f"<code>{esc(r['cause_rule'])}</code>"
            if r["cause_rule"]
            else ("no control-plane cause" if r["first_failed"] else "")
        )
        rows.append(
            [
                esc(r["endpoint"]),
                empty,
                esc(r["first_failed_local"]),
                esc(r["last_failed_local"]),
                esc(timefmt.duration(r["impact_s"])),
                f"{esc(r['failed'])} / {esc(r['total'])}" if r["total"] else "",
                cause,
            ]
        )
    headers = [
        "Endpoint",
        "Empty (control plane)",
        "First failed query",
        "Last failed query",
        "Client impact",
        "Failed / total queries",
        "Cause → first failure",
    ]
    return '<h3 id="impact">Impact</h3>' + _table(headers, rows)


def _findings_table(report: Report) -> str:
    """One row per finding, most severe first, each linking to its section."""
    if not report.findings:
        return ""
    rows = [
        [
            f'<a href="#{finding_anchor(f["id"])}">{i}</a>',
            f'<span class="sev {esc(f["severity"])}">{esc(f["severity"])}</span>',
            f"<code>{esc(f['rule'])}</code>",
            esc(f["start_local"]),
            esc(f["endpoint"] or f["host"]),
            esc(localize(f["summary"], report.tz)),
        ]
        for i, f in enumerate(report.findings, 1)
    ]
    headers = ["#", "Severity", "Rule", f"Start ({esc(report.tz)})", "Endpoint or host", "Summary"]
    return '<h3 id="findings-at-a-glance">Findings at a glance</h3>' + _table(headers, rows)


def _chain(report: Report) -> str:
    if not report.chain:
        return ""
    items = "".join(f"<li>{esc(localize(s, report.tz))}</li>" for s in report.chain)
    return f'<h3 id="root-cause-chain">Root-cause chain</h3><ol>{items}</ol>'


def _timeline(report: Report) -> str:
    out = ['<h2 id="timeline">Timeline</h2>']
    if not report.timeline:
        return out[0] + "<p>No key events: the findings name no incident.</p>"
    phases = "; ".join(
        f"<b>{esc(p['phase'])}</b> {esc(timefmt.local(_t(p['start']), report.tz))} → "
        f"{esc(timefmt.local(_t(p['end']), report.tz))}"
        for p in report.phases
    )
    out.append(f"<p>Phases: {phases}.</p>")
    targets = evidence_targets(report.findings)
    shown = {f["id"] for f in report.findings}
    rows = []
    for r in report.timeline:
        own = r["finding_id"] if r.get("finding_id") in shown else None
        links = [(e, evidence_link(e, targets, own, block=True)) for e in r["evidence"]]
        rows.append(
            [
                esc(r["time"]),
                esc(r["since_trigger"]),
                esc(r["phase"]),
                esc(r["host"]),
                esc(localize(r["sentence"], report.tz)),
                ", ".join(
                    f'<a href="#{esc(target)}">{_ev([e])}</a>' if target else _ev([e])
                    for e, target in links
                ),
            ]
        )
    classes = [r["phase"].replace(" ", "-") for r in report.timeline]
    out.append(
        _table(
            [
                f"Time ({esc(report.tz)})",
                "Since trigger",
                "Phase",
                "Host",
                "What happened",
                "Evidence",
            ],
            rows,
            classes,
        )
    )
    return "".join(out)


def _t(value: Any) -> Any:
    import datetime as dt

    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _gaps(report: Report) -> str:
    head = '<h2 id="root-cause-gaps">Root-cause gaps</h2>'
    if not report.gaps:
        return head + "<p>None found.</p>"
    unexplained, explained = ordered_gaps(report.gaps)
    items = []
    for g in unexplained:
        item = (
            f"<li><b>{esc(g['kind'].replace('_', ' '))}</b> ({esc(g['importance'])}): "
            f"{esc(localize(g['statement'], report.tz))}"
        )
        if g["missing"]:
            missing = esc(localize(g["missing"], report.tz))
            item += f'<br><span class="missing">Missing: {missing}.</span>'
        if g["evidence"]:
            item += f'<br><span class="note">Evidence: {_ev(g["evidence"])}</span>'
        items.append(item + "</li>")
    out = [head]
    if items:
        out.append(
            "<p>What the logs cannot explain, most unexplained first, and the evidence "
            f"that would.</p><ol>{''.join(items)}</ol>"
        )
    if explained:
        lines = "".join(f"<li>{esc(explained_line(g))}</li>" for g in explained)
        out.append(f'<p>Fully explained:</p><ul class="note">{lines}</ul>')
    return "".join(out)


def _findings(report: Report) -> str:
    out = ['<h2 id="findings">Findings</h2>']
    if not report.findings:
        return out[0] + "<p>None.</p>"
    n = 0
    for sev in SEVERITIES:
        group = [f for f in report.findings if f["severity"] == sev]
        if not group:
            continue
        out.append(f"<h3>{esc(sev.capitalize())} ({len(group)})</h3>")
        for f in group:
            n += 1
            when = esc(f["start_local"]) + (f" → {esc(f['end_local'])}" if f["end"] else "")
            facts = [
                ("When", when),
                ("Endpoint", esc(f["endpoint"])),
                ("Generation", esc(f["generation"])),
                ("Host", esc(f["host"])),
                ("Id", f"<code>{esc(f['id'])}</code>"),
            ]
            rows = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in facts if v)
            part = [
                f'<div class="finding" id="f-{esc(f["id"])}">',
                f'<h4>{n}. <span class="sev {esc(sev)}">{esc(sev)}</span> '
                f"<code>{esc(f['rule'])}</code>: {esc(localize(f['summary'], report.tz))}</h4>",
                f"<table>{rows}</table>",
            ]
            proof = f.get("proof")
            if proof:
                steps = "".join(
                    f"<li>Let {esc(s['label'])} = {esc(s['text'])}"
                    + (f" ({_ev([s['evidence']])})" if s["evidence"] else "")
                    + ".</li>"
                    for s in proof["steps"]
                )
                steps += f"<li>Then {esc(proof['then'])}</li>"
                steps += f"<li>Therefore {esc(proof['therefore'])}</li>"
                steps += "".join(
                    f'<li class="missing">Missing: {esc(m)}.</li>' for m in proof["missing"]
                )
                part.append(f'<p><b>Proof.</b></p><ol class="proof">{steps}</ol>')
            if f["evidence"]:
                more = f["evidence_total"] - len(f["evidence"])
                label = f"Evidence ({f['evidence_total']} line(s)" + (
                    f", the first {len(f['evidence'])} quoted" if more > 0 else ""
                )
                quotes = _quotes(f["evidence"], evidence_anchor(f["id"]))
                part.append(f"<p><b>{esc(label)}):</b></p>{quotes}")
            part.append("</div>")
            out.append("".join(part))
    return "".join(out)


CAPTIONS = {
    "swimlane": "Plans, applies, stalls and clean-ups per host; dashed lines mark findings.",
    "generations": "Effective generation per affected endpoint; shaded: the endpoint is empty.",
    "dns_ratio": "Share of failed DNS queries per minute; shaded: failure windows.",
    "record_sets": "Record sets per name over time (CloudTrail), coloured by who changed them.",
}


def _figures(figures: Mapping[str, bytes], names: Iterable[str]) -> str:
    out = []
    for name in names:
        png = figures.get(name)
        if png is None:
            continue
        data = base64.b64encode(png).decode("ascii")
        out.append(
            f'<figure><img alt="{esc(name)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{esc(CAPTIONS.get(name, name))}</figcaption></figure>"
        )
    return "".join(out)


def _inventory(report: Report) -> str:
    rows = [
        [
            f"<code>{esc(r['file'])}</code>",
            esc(r["source"]),
            esc(r["status"]),
            esc(r["lines"]),
            esc(r["loaded"]),
            esc(r["quarantined"]),
            f"<code>{esc(r['sha256'])}</code>" if r["sha256"] else "",
        ]
        for r in report.inventory
    ]
    roots = ", ".join(f"<code>{esc(r)}</code>" for r in report.parameters.get("roots", []))
    return (
        '<h2 id="inputs-chain-of-custody">Inputs (chain of custody)</h2>'
        f"<p>{len(report.inventory)} file(s) from {roots or 'no directory'}; "
        f"{esc(report.quarantined)} line(s) quarantined. Per file: lines = loaded + "
        "quarantined.</p>"
        + _table(["File", "Source", "Status", "Lines", "Loaded", "Quarantined", "sha256"], rows)
    )


def _parameters(report: Report) -> str:
    params = report.parameters
    rows = [["time zone", esc(params["tz"])]]
    rows += [[f"gaps.{esc(k)}", esc(v)] for k, v in params.get("gaps", {}).items()]
    rows.append(["quotes per finding", esc(params.get("quotes_per_finding"))])
    for rule, values in params.get("rules", {}).items():
        rows += [[f"{esc(rule)}.{esc(k)}", esc(v)] for k, v in values.items()]
    rows += [[f"{esc(k)} version", esc(v)] for k, v in report.versions.items()]
    return '<h2 id="parameters-and-versions">Parameters and versions</h2>' + _table(
        ["Parameter", "Value"], rows
    )
