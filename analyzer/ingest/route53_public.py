"""Route 53 public hosted-zone query logs (CloudWatch Logs text lines), to ``dns_queries``.

Ten space-separated fields: log format version, query time (RFC 3339, UTC), hosted
zone id, query name, type, response code, protocol, edge location, resolver IP,
EDNS client subnet (``-`` when none). A line exported from CloudWatch Logs to S3 may
start with the event's ingestion time; it is kept in ``extra``.

The client of an authoritative server is the resolver that asked, so ``client`` is
the resolver IP and ``server`` the edge location that answered. No answers are
logged: ``failed`` follows the rcode alone (log-formats.md 4a).
"""

from __future__ import annotations

import re

from . import dns_text as t
from .base import LoadContext, Source

_TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)"
_LINE = rf"^(?:({_TIME}) )?(\d+\.\d+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)$"
_FIELDS = [
    "exported",
    "version",
    "ts",
    "zone",
    "qname",
    "qtype",
    "rcode",
    "transport",
    "edge",
    "resolver",
    "ecs",
]
_SNIFF = re.compile(
    rf"^(?:{_TIME} )?\d+\.\d+ {_TIME} \S+ \S+ [A-Za-z0-9]+ [A-Za-z0-9]+ (?:UDP|TCP) \S+ \S+ \S+$"
)


_EXTRA = t.json_compact(
    {
        "hosted_zone_id": "r.zone",
        "version": "r.version",
        "edns_client_subnet": "nullif(r.ecs, '-')",
        "exported_at": "nullif(r.exported, '')",
    }
)


def sniff(line: str) -> bool:
    return bool(_SNIFF.match(line))


def load(ctx: LoadContext) -> tuple[int, int]:
    ctx.stage(
        f"""
        WITH a AS (
            SELECT line, text, {t.extract("trim(text)", _LINE, _FIELDS)} AS r
            FROM _good
        )
        SELECT line, text, r, pf_ts(r.ts, $tz) AS ts,
            CASE
                WHEN r.version = '' THEN 'not a Route 53 query log line (expected 10 fields: '
                    || 'version, time, zone, name, type, rcode, protocol, edge, resolver, subnet)'
                WHEN pf_ts(r.ts, $tz) IS NULL THEN 'unparseable timestamp ' || r.ts
            END AS reason
        FROM a
        """,
        {"tz": ctx.assume_tz},
    )
    ctx.count_zoneless("r.ts")
    failed = t.RCODE_FAILED_SQL.format(rcode="r.rcode")
    ctx.con.execute(
        f"""
        INSERT INTO dns_queries BY NAME
        SELECT ts, pf_name(r.qname) AS qname, upper(r.qtype) AS qtype,
               upper(r.rcode) AS rcode, NULL AS answers, NULL AS answer_types,
               {failed} AS failed, r.resolver AS client, r.edge AS server,
               upper(r.transport) AS transport, 'route53_public' AS source_format,
               {_EXTRA} AS extra,
               ? AS file, line
        FROM _staged WHERE reason IS NULL
        """,
        [ctx.file],
    )
    return t.finish(ctx)


SOURCE = Source(
    "route53_public",
    ("dns_queries",),
    sniff,
    load,
    "Route 53 public hosted-zone query logs",
    batchable=True,
)
