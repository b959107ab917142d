"""AWS CloudTrail: Route 53 ``ChangeResourceRecordSets`` calls, to ``record_changes``.

Two shapes (change-history.md, "Input"): the ``{"Records": [...]}`` document CloudTrail
delivers to S3 (usually gzip, under ``AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/``),
split into its records by ``document.py``; and JSON Lines, one event per line
(CloudTrail Lake, Athena or EventBridge exports; an EventBridge event carries the
CloudTrail event in ``detail``). Both reach the same SQL: each event is parsed once
with ``from_json`` and its changes unnested into one row each.

Events other than Route 53 ``ChangeResourceRecordSets`` (other services, reads) are
not errors: they count as loaded and the file's message says how many, by name. An
element that is not a JSON object, a change event without a time, a change without a
name or with an unknown action is quarantined with its index; a batch is kept or
quarantined whole (Route 53 applies it atomically).
"""

from __future__ import annotations

import json
import re

from .base import LoadContext, Source
from .document import is_document

_RESOURCE_SET = {
    "name": "VARCHAR",
    "type": "VARCHAR",
    "tTL": "VARCHAR",
    "setIdentifier": "VARCHAR",
    "weight": "VARCHAR",
    "resourceRecords": [{"value": "VARCHAR"}],
    "aliasTarget": {"dNSName": "VARCHAR"},
}
_STRUCT = json.dumps(
    {
        "eventTime": "VARCHAR",
        "eventSource": "VARCHAR",
        "eventName": "VARCHAR",
        "userIdentity": {
            "type": "VARCHAR",
            "arn": "VARCHAR",
            "principalId": "VARCHAR",
            "invokedBy": "VARCHAR",
            "sessionContext": {"sessionIssuer": {"arn": "VARCHAR"}},
        },
        "sourceIPAddress": "VARCHAR",
        "requestParameters": {
            "hostedZoneId": "VARCHAR",
            "changeBatch": {"changes": [{"action": "VARCHAR", "resourceRecordSet": _RESOURCE_SET}]},
        },
        "responseElements": {"changeInfo": {"id": "VARCHAR"}},
        "errorCode": "VARCHAR",
    }
)

_EVENT_LINE = re.compile(
    r'^\{.*"eventSource"\s*:\s*"[^"]+".*"eventTime"|^\{.*"eventTime".*"eventSource"'
)
_DOCUMENT_START = re.compile(r'^\{?\s*"Records"\s*:\s*\[')


_WS = " \t\r\n"  # JSON white space


def sniff(line: str) -> bool:
    """A JSON Lines event, or the first line of a ``{"Records": [`` document."""
    if _DOCUMENT_START.match(line):
        return True
    return line.startswith("{") and '"eventVersion"' in line and bool(_EVENT_LINE.match(line))


# One row per element (line or record): the parse, and why it cannot load. ``{record}``
# is the record index column of a document, else NULL.
_PARSE_SQL = f"""
WITH p AS (
    SELECT line, {{record}} AS record, text,
           try(from_json(CASE WHEN contains(text, '"detail-type"')
                              THEN coalesce(json_extract(text, '$.detail')::VARCHAR, text)
                              ELSE text END, '{_STRUCT}')) AS r
    FROM _good
), k AS (
    SELECT *,
        r.eventSource = 'route53.amazonaws.com' AND r.eventName = 'ChangeResourceRecordSets'
            AS is_change,
        r.requestParameters.changeBatch.changes AS changes,
        pf_ts(r.eventTime, $tz) AS ts,
        -- the 1-based position of the first change without a name, or a known action
        list_position(list_transform(r.requestParameters.changeBatch.changes,
                      lambda x: coalesce(trim(x.resourceRecordSet.name), '') = ''), true)
            AS no_name,
        list_position(list_transform(r.requestParameters.changeBatch.changes,
                      lambda x: coalesce(upper(x.action), '') NOT IN ('CREATE', 'UPSERT',
                                                                      'DELETE')),
                      true) AS bad_action,
        -- the first change whose weight or tTL is not an integer (a cast would round it)
        list_filter(list_transform(r.requestParameters.changeBatch.changes, lambda x, i:
            CASE WHEN pf_int(x.resourceRecordSet.weight) IS NULL
                      AND x.resourceRecordSet.weight IS NOT NULL
                 THEN 'change ' || (i - 1) || ': weight is not an integer: '
                      || x.resourceRecordSet.weight
                 WHEN pf_int(x.resourceRecordSet.tTL) IS NULL
                      AND x.resourceRecordSet.tTL IS NOT NULL
                 THEN 'change ' || (i - 1) || ': tTL is not an integer: '
                      || x.resourceRecordSet.tTL END),
            lambda m: m IS NOT NULL)[1] AS bad_int
    FROM p
), c AS (
    SELECT *,
        CASE
            WHEN r IS NULL OR NOT starts_with(ltrim(text, $ws), '{{')
                THEN CASE WHEN trim(text, $ws) = '' THEN 'empty record'
                          WHEN json_valid(text) THEN 'not a JSON object'
                          ELSE 'invalid JSON' END
            WHEN NOT coalesce(is_change, false) THEN NULL
            WHEN r.eventTime IS NULL THEN 'missing field eventTime'
            WHEN ts IS NULL THEN 'unparseable timestamp eventTime=' || r.eventTime
            WHEN changes IS NULL AND r.errorCode IS NULL
                THEN 'missing field requestParameters.changeBatch.changes'
            WHEN no_name IS NOT NULL
                THEN 'change ' || (no_name - 1) || ' has no resourceRecordSet.name'
            WHEN bad_action IS NOT NULL
                THEN 'change ' || (bad_action - 1) || ' has no known action'
            WHEN bad_int IS NOT NULL THEN bad_int
        END AS why
    FROM k
)
SELECT line, record, ts, changes, coalesce(is_change, false) AS is_change,
       r.userIdentity AS u, r.sourceIPAddress AS source_ip,
       r.requestParameters.hostedZoneId AS zone, r.responseElements.changeInfo.id AS cid,
       r.errorCode AS error_code, NOT pf_has_zone(r.eventTime) AS zoneless,
       CASE WHEN why IS NOT NULL AND record IS NOT NULL THEN 'Records[' || record || ']: ' || why
            ELSE why END AS reason,
       CASE WHEN why IS NOT NULL THEN text END AS text,  -- kept for the quarantine only
       coalesce(r.eventSource, '?') || ' ' || coalesce(r.eventName, '?') AS what
FROM c
"""

_ACTOR = """
    CASE WHEN u.sessionContext.sessionIssuer.arn IS NOT NULL
         THEN u.sessionContext.sessionIssuer.arn
              || coalesce('/' || nullif(regexp_extract(u.arn, '/([^/]+)$', 1), ''),
                          '/' || nullif(regexp_extract(u.principalId, ':(.+)$', 1), ''),
                          '')
         ELSE coalesce(u.arn, u.principalId, u.invokedBy)
    END"""

_INSERT_SQL = f"""
INSERT INTO record_changes BY NAME
SELECT ts, {_ACTOR} AS actor,
       source_ip,
       regexp_replace(zone, '^/?hostedzone/', '') AS zone_id,
       regexp_replace(cid, '^/?change/', '') AS change_id,
       upper(ch.action) AS action,
       pf_name(ch.resourceRecordSet.name) AS name,
       upper(ch.resourceRecordSet.type) AS type,
       ch.resourceRecordSet.setIdentifier AS set_identifier,
       pf_int(ch.resourceRecordSet.weight) AS weight,
       pf_int(ch.resourceRecordSet.tTL) AS ttl,
       list_transform(ch.resourceRecordSet.resourceRecords, lambda v: v.value) AS "values",
       pf_name(ch.resourceRecordSet.aliasTarget.dNSName) AS alias_target,
       error_code,
       $file AS file, line, record
FROM (SELECT *, unnest(changes) AS ch FROM _ct WHERE reason IS NULL AND is_change)
"""


def load(ctx: LoadContext) -> tuple[int, int]:
    con = ctx.con
    record = "record" if ctx.state.get("document") else "NULL::BIGINT"
    ctx.stage(_PARSE_SQL.replace("{record}", record), {"tz": ctx.assume_tz, "ws": _WS}, "_ct")
    con.execute(_INSERT_SQL, {"file": ctx.file})
    con.execute(
        "INSERT INTO quarantine SELECT $file, line, reason, left(trim(text, $ws), 2000) "
        "FROM _ct WHERE reason IS NOT NULL",
        {"file": ctx.file, "ws": _WS},
    )
    loaded = quarantined = 0
    others = ctx.state.setdefault("others", {})
    for other, ok, bad, zoneless in con.execute(
        """SELECT CASE WHEN reason IS NULL AND NOT is_change THEN what END,
                  count(*) FILTER (reason IS NULL), count(*) FILTER (reason IS NOT NULL),
                  count(*) FILTER (reason IS NULL AND is_change AND zoneless)
           FROM _ct GROUP BY 1"""
    ).fetchall():
        loaded, quarantined, ctx.zoneless = loaded + ok, quarantined + bad, ctx.zoneless + zoneless
        if other is not None:
            others[other] = others.get(other, 0) + ok
    _note_others(ctx, others)
    return loaded, quarantined


def _note_others(ctx: LoadContext, others: dict[str, int]) -> None:
    """The file's note on the events left out (one note, updated after every chunk)."""
    if not others:
        return
    total = sum(others.values())
    top = sorted(others.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"{what} {n}" for what, n in top[:5]) + (", ..." if len(top) > 5 else "")
    note = (
        f"{total} events other than Route 53 ChangeResourceRecordSets counted as loaded and "
        f"left out of record_changes ({shown})"
    )
    at = ctx.state.get("note_at")
    if at is None:
        ctx.state["note_at"] = len(ctx.notes)
        ctx.notes.append(note)
    else:
        ctx.notes[at] = note


SOURCE = Source(
    "cloudtrail",
    ("record_changes",),
    sniff,
    load,
    "AWS CloudTrail (Route 53 ChangeResourceRecordSets), S3 documents or JSON Lines",
    document=is_document,
)
