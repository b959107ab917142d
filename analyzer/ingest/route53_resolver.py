"""Route 53 Resolver query logs (JSON Lines), to ``dns_queries``.

``failed`` follows log-formats.md 4a: any rcode but NOERROR failed; a NOERROR answer
failed when it holds no record of the queried type (NODATA, the outage's "empty DNS
record"), so a CNAME chain that ends without an address failed too. ``ANY`` queries
resolve with any record. A query the DNS Firewall blocked (``firewall_rule_action``
``BLOCK``, whatever answer it sent: NODATA, NXDOMAIN or an override record) failed
for the client. Answers lose their trailing dot, like ``qname``.
"""

from __future__ import annotations

import json

from .base import LoadContext, Source, WholeFile, insert_parsed

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
        "firewall_rule_action": "VARCHAR",
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


# Every documented field present: compared with the number of keys, it tells (without
# building the key list twice) whether a line has fields to keep in ``extra``.
_PRESENT = " + ".join(f"(r.{k} IS NOT NULL)::INTEGER" for k in _DOCUMENTED)

# The canonical columns of a parsed line ``r`` (its time already read as ``ts``).
_COLUMNS = """
    NOT pf_has_zone(r.query_timestamp) AS zoneless,
    ts,
    pf_name(r.query_name) AS qname,
    upper(r.query_type) AS qtype,
    r.query_class AS qclass,
    upper(r.rcode) AS rcode,
    list_transform(r.answers, lambda a: pf_answer(a.Rdata)) AS answers,
    list_transform(r.answers, lambda a: a.Type) AS answer_types,
    CASE WHEN r.firewall_rule_action = 'BLOCK' THEN true
         WHEN r.rcode IS NULL THEN NULL
         WHEN upper(r.rcode) <> 'NOERROR' THEN true
         WHEN r.answers IS NULL THEN NULL
         WHEN upper(r.query_type) = 'ANY' THEN len(r.answers) = 0
         ELSE NOT list_contains(list_transform(r.answers, lambda a: upper(a.Type)),
                                upper(r.query_type))
    END AS failed,
    r.srcaddr AS client,
    try_cast(r.srcport AS INTEGER) AS client_port,
    r.vpc_id AS server,
    r.transport AS transport,
"""

# The JSON is parsed once (``try(from_json)``: NULL only for invalid JSON); the reasons
# that need more (``json_valid``, ``json_type``) are worked out for the rare lines that
# fail. ``_LINES_`` stands for the relation parsed: ``_good``, or its left-over lines
# (see ``base.insert_parsed``).
_PARSE_SQL = f"""
WITH p AS (
    SELECT line, text, r, pf_ts(r.query_timestamp, $tz) AS ts
    FROM (SELECT line, text, try(from_json(text, '{_STRUCT}')) AS r FROM _LINES_)
), c AS (
    SELECT *,
        CASE
            WHEN r IS NULL
                THEN CASE WHEN json_valid(text) THEN 'not a JSON object' ELSE 'invalid JSON' END
            WHEN NOT starts_with(text, '{{')
                 AND coalesce(try(json_type(text)), '') <> 'OBJECT' THEN 'not a JSON object'
            WHEN r.query_timestamp IS NULL THEN 'missing field query_timestamp'
            WHEN ts IS NULL THEN 'unparseable timestamp query_timestamp=' || r.query_timestamp
            WHEN r.query_name IS NULL THEN 'missing field query_name'
        END AS reason
    FROM p
)
SELECT line, reason,
    CASE WHEN reason IS NOT NULL THEN text END AS raw,
    {_COLUMNS}
    CASE WHEN reason IS NULL AND len(json_keys(text)) > {_PRESENT}
         THEN pf_json_rest(text, $documented) END AS extra
FROM c
"""
_ROW = "* EXCLUDE (reason, raw, zoneless), 'route53_resolver' AS source_format, $file AS file"


def _duck_type(spec: object) -> str:
    """The DuckDB type of a ``from_json`` structure (``_STRUCT``)."""
    if isinstance(spec, list):
        return _duck_type(spec[0]) + "[]"
    if isinstance(spec, dict):
        return "STRUCT(" + ", ".join(f'"{k}" {_duck_type(v)}' for k, v in spec.items()) + ")"
    return str(spec)


# The keys a line of documented fields holds: the documented ones present, those of
# its answers and of ``srcids`` (any depth). Any other key, a duplicated one or one set
# to ``null`` makes the file's keys (its '":' pairs, see ``direct``) more than the sum of
# this over its lines. (Counting the colons in every value instead took twice the CPU.)
_KEYS = f"""(
    {_PRESENT}
    + coalesce((strlen(r.srcids::VARCHAR) - strlen(replace(r.srcids::VARCHAR, '":', ''))) // 2, 0)
    + coalesce(list_sum(list_transform(r.answers, lambda a:
          (a.Rdata IS NOT NULL)::INTEGER + (a.Type IS NOT NULL)::INTEGER
          + (a.Class IS NOT NULL)::INTEGER)), 0)
)"""
# A whole clean file read by DuckDB (``ingest.direct``), in file order.
_DIRECT_SQL = f"""
SELECT * EXCLUDE (zoneless), qname IS NOT NULL AND ts IS NOT NULL AND NOT zoneless AS loadable,
    'route53_resolver' AS source_format
FROM (
    SELECT {_COLUMNS} {_KEYS} AS keys
    FROM (
        SELECT r, pf_ts(r.query_timestamp, $tz) AS ts
        FROM read_json($path, format = 'newline_delimited', records = false,
                       compression = $compression, auto_detect = false,
                       columns = {{r: '{_duck_type(json.loads(_STRUCT))}'}})
    )
)
"""


def load(ctx: LoadContext) -> tuple[int, int]:
    params = {"tz": ctx.assume_tz, "documented": _DOCUMENTED, "file": ctx.file}
    return insert_parsed(ctx, _PARSE_SQL, "dns_queries", _ROW, params)


SOURCE = Source(
    "route53_resolver",
    ("dns_queries",),
    sniff,
    load,
    "Route 53 Resolver query logs (JSON)",
    single_scan=True,
    batchable=True,
    direct=WholeFile("dns_queries", _DIRECT_SQL),
)
