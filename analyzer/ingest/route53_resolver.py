"""Route 53 Resolver query logs (JSON Lines), to ``dns_queries``.

``failed`` follows log-formats.md 4a: any rcode but NOERROR failed; a NOERROR answer
failed when it holds no record of the queried type (NODATA, the outage's "empty DNS
record"), so a CNAME chain that ends without an address failed too. ``ANY`` queries
resolve with any record.
"""

from __future__ import annotations

import json

from .base import LoadContext, Source

_STRUCT = json.dumps(
    {
        "query_timestamp": "VARCHAR",
        "query_name": "VARCHAR",
        "query_type": "VARCHAR",
        "query_class": "VARCHAR",
        "rcode": "VARCHAR",
        "answers": [{"Rdata": "VARCHAR", "Type": "VARCHAR", "Class": "VARCHAR"}],
        "srcaddr": "VARCHAR",
        "srcport": "VARCHAR",
        "transport": "VARCHAR",
        "vpc_id": "VARCHAR",
    }
)
# Fields that have a canonical column; all others are kept in ``extra``.
_CANONICAL = [
    "query_timestamp",
    "query_name",
    "query_type",
    "query_class",
    "rcode",
    "answers",
    "srcaddr",
    "srcport",
    "transport",
    "vpc_id",
]

# The failure rule of the spec, shared by every DNS format that logs answers.
FAILED_SQL = """
    CASE WHEN {rcode} IS NULL THEN NULL
         WHEN upper({rcode}) <> 'NOERROR' THEN true
         WHEN {types} IS NULL THEN NULL
         WHEN upper({qtype}) = 'ANY' THEN len({types}) = 0
         ELSE NOT list_contains(list_transform({types}, lambda t: upper(t)), upper({qtype}))
    END
"""


def sniff(line: str) -> bool:
    return line.startswith("{") and '"query_timestamp"' in line and '"query_name"' in line


def load(ctx: LoadContext) -> tuple[int, int]:
    failed = FAILED_SQL.format(
        rcode="r.rcode", qtype="r.query_type", types="list_transform(r.answers, lambda a: a.Type)"
    )
    ctx.stage(
        f"""
        WITH j AS (
            SELECT line, text, try(json_type(text)) AS jt,
                   coalesce(try(json_type(text)) = 'OBJECT', false) AS ok FROM _good
        ), p AS (
            SELECT line, text, jt, ok, from_json(CASE WHEN ok THEN text END, '{_STRUCT}') AS r
            FROM j
        )
        SELECT line, text, r, pf_ts(r.query_timestamp, $tz) AS ts, {failed} AS failed,
            CASE
                WHEN jt IS NULL THEN 'invalid JSON'
                WHEN NOT ok THEN 'not a JSON object'
                WHEN r.query_timestamp IS NULL THEN 'missing field query_timestamp'
                WHEN pf_ts(r.query_timestamp, $tz) IS NULL
                    THEN 'unparseable timestamp query_timestamp=' || r.query_timestamp
                WHEN r.query_name IS NULL THEN 'missing field query_name'
            END AS reason
        FROM p
        """,
        {"tz": ctx.assume_tz},
    )
    ctx.count_zoneless("r.query_timestamp")
    ctx.con.execute(
        """
        INSERT INTO dns_queries BY NAME
        SELECT ts, pf_name(r.query_name) AS qname, upper(r.query_type) AS qtype,
               r.query_class AS qclass, upper(r.rcode) AS rcode,
               list_transform(r.answers, lambda a: a.Rdata) AS answers,
               list_transform(r.answers, lambda a: a.Type) AS answer_types,
               failed, r.srcaddr AS client, try_cast(r.srcport AS INTEGER) AS client_port,
               r.vpc_id AS server, r.transport AS transport,
               'route53_resolver' AS source_format,
               pf_json_rest(text, ?) AS extra, ? AS file, line
        FROM _staged WHERE reason IS NULL
        """,
        [_CANONICAL, ctx.file],
    )
    loaded = ctx.count("SELECT count(*) FROM _staged WHERE reason IS NULL")
    return loaded, ctx.quarantine_staged()


SOURCE = Source(
    "route53_resolver", ("dns_queries",), sniff, load, "Route 53 Resolver query logs (JSON)"
)
