"""Findings and timelines in the shapes other tools import.

- The timeline as Timesketch rows (``message``, ``datetime``, ``timestamp_desc`` plus
  the event's fields) for ``analyzer timeline --format jsonl|csv``.
- Findings as SARIF 2.1.0 (``detect --format sarif``) for code-scanning dashboards
  and ticketing: one result per finding, one location per evidence line.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

TIMESTAMP_DESC = "Log line time"
"""What each timeline ``datetime`` is: when the log line it rests on was written."""

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
TIMELINE_FIELDS = (
    "message",
    "datetime",
    "timestamp",
    "timestamp_desc",
    "time",
    "since_trigger",
    "phase",
    "kind",
    "host",
    "endpoint",
    "generation",
    "rule",
    "finding_id",
    "evidence",
)


def timeline_rows(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Timeline events (``Timeline.events.to_dicts()``) as Timesketch rows: ``datetime``
    in UTC (ISO 8601), ``timestamp`` in microseconds since the epoch, ``time`` in the
    timeline's zone, ``evidence`` as ``file:line`` joined by spaces."""
    rows = []
    for e in events:
        ts: dt.datetime = e["ts"].astimezone(dt.UTC)
        rows.append(
            {
                "message": e["sentence"],
                "datetime": ts.isoformat(timespec="milliseconds"),
                "timestamp": int(ts.timestamp() * 1_000_000),
                "timestamp_desc": TIMESTAMP_DESC,
                "time": e["time"],
                "since_trigger": e["since_trigger"],
                "phase": e["phase"],
                "kind": e["kind"],
                "host": e["host"],
                "endpoint": e["endpoint"],
                "generation": e["generation"],
                "rule": e["rule"],
                "finding_id": e["finding_id"],
                "evidence": " ".join(f"{v['file']}:{v['line']}" for v in e["evidence"] or []),
            }
        )
    return rows


def findings_sarif(
    records: Iterable[Mapping[str, Any]], rules: Mapping[str, Any], version: str
) -> dict[str, Any]:
    """SARIF 2.1.0 of ``records`` (``Findings.records()``); ``rules`` maps rule ids to
    ``analyzer.rules.Rule`` for the rule descriptions. Evidence files are relative to
    the ingested directory (``uriBaseId`` ``LOGROOT``)."""
    records = list(records)
    used = sorted({r["rule"] for r in records} | set(rules))
    index = {rid: i for i, rid in enumerate(used)}
    descriptors = []
    for rid in used:
        rule = rules.get(rid)
        severity = getattr(rule, "severity", "info")
        descriptors.append(
            {
                "id": rid,
                "name": rid,
                "shortDescription": {"text": getattr(rule, "title", rid)},
                "fullDescription": {"text": getattr(rule, "description", "") or rid},
                "defaultConfiguration": {"level": SARIF_LEVEL.get(severity, "note")},
                "properties": {"severity": severity},
            }
        )
    results = []
    for r in records:
        results.append(
            {
                "ruleId": r["rule"],
                "ruleIndex": index[r["rule"]],
                "level": SARIF_LEVEL.get(r["severity"], "note"),
                "message": {"text": r["summary"] or r["rule"]},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": e["file"], "uriBaseId": "LOGROOT"},
                            "region": {"startLine": e["line"]},
                        }
                    }
                    for e in r["evidence"]
                ],
                "partialFingerprints": {"findingId/v1": r["id"]},
                "properties": {
                    k: r[k]
                    for k in ("id", "severity", "start", "end", "endpoint", "generation", "host")
                }
                | {"details": r["details"]},
            }
        )
    run = {
        "tool": {
            "driver": {
                "name": "plan-forensics",
                "version": version,
                "rules": descriptors,
            }
        },
        "results": results,
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def to_jsonl(rows: Iterable[Mapping[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows)
