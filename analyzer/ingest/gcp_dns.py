"""Google Cloud DNS query logging (Cloud Logging ``LogEntry`` JSON, one per line).

The entry's ``jsonPayload`` holds the query and its response: ``queryName``,
``queryType``, ``responseCode``, ``rdata`` (the answer records as zone-file lines,
``name<TAB>ttl<TAB>class<TAB>type<TAB>data``, one per line, possibly cut with ``...``),
``sourceIP`` (the client), ``protocol``, ``serverLatency`` and the client VM's
names; ``timestamp`` is the query time and ``receiveTimestamp``, when Cloud Logging
received it, is kept as ``collected_at``. ``failed`` follows log-formats.md 4a; an
entry without ``rdata`` had no answer record. Lines that are not DNS query entries
are quarantined with the reason.
"""

from __future__ import annotations

import json

from .base import LoadContext, Source, insert_parsed

_STRUCT = json.dumps(
    {
        "timestamp": "VARCHAR",
        "receiveTimestamp": "VARCHAR",
        "logName": "VARCHAR",
        "jsonPayload": {
            "queryName": "VARCHAR", "queryType": "VARCHAR", "responseCode": "VARCHAR",
            "rdata": "VARCHAR", "sourceIP": "VARCHAR", "protocol": "VARCHAR",
            "serverLatency": "DOUBLE", "authAnswer": "BOOLEAN", "sourceNetwork": "VARCHAR",
            "vmInstanceName": "VARCHAR", "vmProjectId": "VARCHAR", "vmZoneName": "VARCHAR",
            "targetType": "VARCHAR", "alias_query_response_code": "VARCHAR",
        },
        "resource": {"labels": {"target_name": "VARCHAR", "target_type": "VARCHAR",
                                "source_type": "VARCHAR", "project_id": "VARCHAR"}},
    }
)  # fmt: skip


def sniff(line: str) -> bool:
    return line.startswith("{") and '"queryName"' in line and '"responseCode"' in line


_PARSE_SQL = f"""
WITH p AS (
    SELECT line, text, e, e.jsonPayload AS j, pf_ts(e.timestamp, $tz) AS ts,
           -- a record cut short (the entry ends with "...") is left out
           list_filter(list_transform(string_split(coalesce(e.jsonPayload.rdata, ''), chr(10)),
                                      lambda x: string_split(x, chr(9))),
                       lambda x: len(x) >= 5) AS rr
    FROM (SELECT line, text, try(from_json(text, '{_STRUCT}')) AS e FROM _LINES_)
), c AS (
    SELECT *,
        CASE
            WHEN e IS NULL THEN 'invalid JSON, or not a JSON object'
            WHEN j.queryName IS NULL
                THEN 'not a Cloud DNS query log entry (no jsonPayload.queryName)'
            WHEN e.timestamp IS NULL THEN 'missing field timestamp'
            WHEN ts IS NULL THEN 'unparseable timestamp timestamp=' || e.timestamp
        END AS reason
    FROM p
)
SELECT line, reason, CASE WHEN reason IS NOT NULL THEN text END AS raw,
    NOT coalesce(pf_has_zone(e.timestamp), true) AS zoneless, ts,
    pf_ts(e.receiveTimestamp, $tz) AS collected_at,
    pf_name(j.queryName) AS qname, upper(j.queryType) AS qtype, 'IN' AS qclass,
    upper(j.responseCode) AS rcode,
    list_transform(rr, lambda x: pf_answer(x[5])) AS answers,
    list_transform(rr, lambda x: upper(x[4])) AS answer_types,
    CASE WHEN j.responseCode IS NULL THEN NULL
         WHEN upper(j.responseCode) <> 'NOERROR' THEN true
         WHEN upper(j.queryType) = 'ANY' THEN len(rr) = 0
         ELSE NOT list_contains(list_transform(rr, lambda x: upper(x[4])), upper(j.queryType))
    END AS failed,
    j.sourceIP AS client, upper(j.protocol) AS transport,
    nullif(e.resource.labels.target_name, '') AS server,
    CASE WHEN reason IS NULL THEN json_merge_patch('{{}}'::JSON, json_object(
        'server_latency_ms', j.serverLatency, 'auth_answer', j.authAnswer,
        'source_network', j.sourceNetwork, 'vm_instance', j.vmInstanceName,
        'vm_project', j.vmProjectId, 'vm_zone', j.vmZoneName,
        'target_type', coalesce(j.targetType, e.resource.labels.target_type),
        'source_type', e.resource.labels.source_type, 'log_name', e.logName)) END AS extra
FROM c
"""
_ROW = "* EXCLUDE (reason, raw, zoneless), 'gcp_dns' AS source_format, $file AS file"


def load(ctx: LoadContext) -> tuple[int, int]:
    return insert_parsed(
        ctx, _PARSE_SQL, "dns_queries", _ROW, {"tz": ctx.assume_tz, "file": ctx.file}
    )


SOURCE = Source(
    "gcp_dns", ("dns_queries",), sniff, load, "Google Cloud DNS query logs", single_scan=True
)
