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
        "version": "VARCHAR",
        "account_id": "VARCHAR",
        "region": "VARCHAR",
        "srcids": "JSON",
    }
)
# The fields AWS documents: those without a canonical column are not copied (they stay
# in the evidence file); any other field is kept in ``extra``.
_DOCUMENTED = [
    "version", "account_id", "region", "vpc_id", "query_timestamp", "query_name",
    "query_type", "query_class", "rcode", "answers", "srcaddr", "srcport", "transport",
    "srcids",
]  # fmt: skip

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
    # One JSON parse per line into typed fields; the few lines with fields beyond the
    # documented ones pay a second parse to keep those fields in ``extra``.
    ctx.stage(
        f"""
        WITH p AS MATERIALIZED (
            SELECT line, text, try(json_type(text)) AS jt,
                   CASE WHEN jt = 'OBJECT' THEN text END AS obj,
                   from_json(obj, '{_STRUCT}') AS r
            FROM _good
        )
        SELECT line,
            CASE
                WHEN jt IS NULL THEN 'invalid JSON'
                WHEN jt <> 'OBJECT' THEN 'not a JSON object'
                WHEN r.query_timestamp IS NULL THEN 'missing field query_timestamp'
                WHEN pf_ts(r.query_timestamp, $tz) IS NULL
                    THEN 'unparseable timestamp query_timestamp=' || r.query_timestamp
                WHEN r.query_name IS NULL THEN 'missing field query_name'
            END AS reason,
            CASE WHEN reason IS NOT NULL THEN text END AS text,
            pf_ts(r.query_timestamp, $tz) AS ts,
            NOT pf_has_zone(r.query_timestamp) AS zoneless,
            pf_name(r.query_name) AS qname,
            upper(r.query_type) AS qtype,
            r.query_class AS qclass,
            upper(r.rcode) AS rcode,
            list_transform(r.answers, lambda a: a.Rdata) AS answers,
            list_transform(r.answers, lambda a: a.Type) AS answer_types,
            {failed} AS failed,
            r.srcaddr AS client,
            try_cast(r.srcport AS INTEGER) AS client_port,
            r.vpc_id AS server,
            r.transport AS transport,
            CASE WHEN reason IS NOT NULL THEN NULL
                 WHEN len(json_keys(obj)) > len(list_filter(
                     [r.version, r.account_id, r.region, r.vpc_id, r.query_timestamp,
                      r.query_name, r.query_type, r.query_class, r.rcode, r.answers::VARCHAR,
                      r.srcaddr, r.srcport, r.transport, r.srcids::VARCHAR],
                     lambda x: x IS NOT NULL))
                 THEN pf_json_rest(obj, $documented) END AS extra
        FROM p
        """,
        {"tz": ctx.assume_tz, "documented": _DOCUMENTED},
    )
    ctx.zoneless += ctx.count("SELECT count(*) FROM _staged WHERE reason IS NULL AND zoneless")
    ctx.con.execute(
        """
        INSERT INTO dns_queries BY NAME
        SELECT * EXCLUDE (reason, text, zoneless),
               'route53_resolver' AS source_format, ? AS file
        FROM _staged WHERE reason IS NULL
        """,
        [ctx.file],
    )
    loaded = ctx.count("SELECT count(*) FROM _staged WHERE reason IS NULL")
    return loaded, ctx.quarantine_staged()


SOURCE = Source(
    "route53_resolver", ("dns_queries",), sniff, load, "Route 53 Resolver query logs (JSON)"
)
