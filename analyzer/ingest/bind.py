"""BIND 9 query logs (``queries`` and ``query-errors`` categories), to ``dns_queries``.

A ``queries`` line says who asked what (volume, clients), not how it went: BIND
logs the query before answering, so ``rcode`` and ``failed`` stay null. A
``query-errors`` line ("query failed (REFUSED) for name/IN/A") or a ``security``
line ("query (cache) 'name/A/IN' denied") does say that a query failed. It is merged
into the row of the query it reports (same client object, address, port, name,
type and class, the latest such query at most a minute before it): that row gets
the rcode, ``failed = true`` and ``extra.error_line``, so one query stays one row.
A failure whose query line is not in the file becomes a row of its own.

Lines may carry BIND's own ``print-time`` (local time, no zone), a syslog prefix
(RFC 3164: no year, no zone) or an RFC 3339 time; a line with no time at all (the
ARM's examples) cannot be placed on a timeline and is quarantined.
"""

from __future__ import annotations

import re

from . import dns_text as t
from .base import LoadContext, Source

_HEAD = (
    r"^(?:([a-z][a-z-]*): )?"  # category (print-category)
    r"(?:(info|notice|warning|error|critical|debug(?: \d+)?|dynamic): )?"  # print-severity
    r"client (?:@(0x[0-9a-fA-F]+) )?(\S+)#(\d+)(?: \(([^)]*)\))?: "
    r"(?:view ([^:]+): )?(.*)$"
)
_HEAD_FIELDS = ["category", "severity", "obj", "client", "port", "sig", "view", "rest"]
_QUERY = r"^query: (\S+) (\S+) (\S+) ([-+]\S*) \(([^)]*)\)(?: \[ECS ([^\]]*)\])?(.*)$"
_QUERY_FIELDS = ["qname", "qclass", "qtype", "flags", "server", "ecs", "trailer"]
_FAILED = r"^query failed \(([^)]+)\) for (\S+)/([^/\s]+)/([^/\s]+)(?: at (\S+))?"
_FAILED_FIELDS = ["error", "qname", "qclass", "qtype", "at"]
_DENIED = r"^query(?: \((\w+)\))? '(\S+)/([^/']+)/([^/']+)' denied"
_DENIED_FIELDS = ["acl", "qname", "qtype", "qclass"]
# What BIND answers for an error result (dns_result_torcode): its name when it is an
# rcode, SERVFAIL for every other failure ("timed out", "failure", ...).
_RCODES = ["FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
           "NXRRSET", "NOTAUTH", "NOTZONE", "BADVERS"]  # fmt: skip

_SNIFF = re.compile(
    r"client (?:@0x[0-9a-fA-F]+ )?\S+#\d+(?: \([^)]*\))?: (?:view [^:]+: )?"
    r"(?:query: \S+ \S+ \S+ [-+]|query failed \(|query (?:\(\w+\) )?'\S+' denied)"
)

_EXTRA = t.json_compact(
    {
        "client_object": "nullif(h.obj, '')",
        "view": "nullif(h.view, '')",
        "category": "nullif(h.category, '')",
        "severity": "nullif(h.severity, '')",
        "flags": "nullif(q.flags, '')",
        "ecs": "nullif(q.ecs, '')",
        "trailer": "nullif(trim(q.trailer), '')",
        "error": "nullif(f.error, '')",
        "error_at": "nullif(f.at, '')",
        "acl": "nullif(d.acl, '')",
        "host": "nullif(p.host, '')",
        "program": t.program_sql(),
        "pid": t.pid_sql(),
    }
)


def sniff(line: str) -> bool:
    return bool(_SNIFF.search(line))


def _extract(expr: str, pattern: str, fields: list[str]) -> str:
    names = ", ".join(t.sql_str(f) for f in fields)
    return f"regexp_extract({expr}, {t.sql_str(pattern)}, [{names}])"


def _stage(ctx: LoadContext) -> None:
    ts = t.prefix_ts_sql(ctx)
    rcodes = "[" + ", ".join(t.sql_str(r) for r in _RCODES) + "]"
    ctx.stage(
        f"""
        WITH a AS (
            SELECT line, text, {t.prefix_struct()} AS p FROM _good
        ), b AS (
            SELECT *, {_extract("p.msg", _HEAD, _HEAD_FIELDS)} AS h FROM a
        ), c AS (
            SELECT *,
                CASE WHEN starts_with(h.rest, 'query: ')
                     THEN {_extract("h.rest", _QUERY, _QUERY_FIELDS)} END AS q,
                CASE WHEN starts_with(h.rest, 'query failed (')
                     THEN {_extract("h.rest", _FAILED, _FAILED_FIELDS)} END AS f,
                CASE WHEN regexp_matches(h.rest, ' denied$')
                     THEN {_extract("h.rest", _DENIED, _DENIED_FIELDS)} END AS d
            FROM b
        ), k AS (
            SELECT *, CASE WHEN q.qname <> '' THEN 'query'
                           WHEN f.qname <> '' THEN 'failed'
                           WHEN d.qname <> '' THEN 'denied' END AS kind,
                   {ts} AS ts
            FROM c
        )
        SELECT line, text, p, h, kind, ts,
            pf_name(coalesce(nullif(q.qname, ''), nullif(f.qname, ''), d.qname)) AS qname,
            upper(coalesce(nullif(q.qtype, ''), nullif(f.qtype, ''), d.qtype)) AS qtype,
            upper(coalesce(nullif(q.qclass, ''), nullif(f.qclass, ''), d.qclass)) AS qclass,
            CASE kind WHEN 'failed' THEN
                     CASE WHEN list_contains({rcodes}, upper(f.error)) THEN upper(f.error)
                          ELSE 'SERVFAIL' END
                 WHEN 'denied' THEN 'REFUSED' END AS rcode,
            nullif(q.server, '') AS server,
            CASE WHEN kind = 'query' THEN
                CASE WHEN contains(q.flags, 'T') THEN 'TCP' ELSE 'UDP' END END AS transport,
            {_EXTRA} AS extra,
            CASE
                WHEN kind IS NULL THEN 'not a BIND query or query failure line'
                WHEN {t.prefix_time_text()} = '' THEN '{t.NO_TIME}'
                WHEN ts IS NULL THEN 'unparseable timestamp ' || {t.prefix_time_text()}
            END AS reason
        FROM k
        """,
        {"tz": ctx.assume_tz},
    )


def _insert(ctx: LoadContext, where: str) -> None:
    ctx.con.execute(
        f"""
        INSERT INTO dns_queries BY NAME
        SELECT ts, qname, qtype, qclass, rcode, NULL AS answers, NULL AS answer_types,
               CASE WHEN rcode IS NOT NULL THEN true END AS failed,
               h.client AS client, try_cast(h.port AS INTEGER) AS client_port, server,
               transport, 'bind' AS source_format,
               CASE WHEN kind = 'query' THEN extra
                    ELSE json_merge_patch(coalesce(extra, '{{}}'::JSON),
                                          json_object('error_line', line))
               END AS extra,
               ? AS file, line
        FROM _staged WHERE reason IS NULL AND {where}
        """,
        [ctx.file],
    )


def _merge_failures(ctx: LoadContext) -> int:
    """Merge failure lines into the row of their query; returns how many were merged."""
    con = ctx.con
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _bind_match AS
        WITH e AS (
            SELECT line AS eline, ts AS ets, qname, qtype, qclass, rcode, extra,
                   h.client AS client, try_cast(h.port AS INTEGER) AS port,
                   nullif(h.obj, '') AS obj
            FROM _staged WHERE reason IS NULL AND kind <> 'query'
        ), cand AS (
            SELECT e.eline, max(q.line) AS qline
            FROM e JOIN dns_queries q
              ON q.file = $file AND q.source_format = 'bind' AND q.rcode IS NULL
             AND q.qname = e.qname AND q.qtype = e.qtype AND q.qclass = e.qclass
             AND q.client = e.client AND q.client_port IS NOT DISTINCT FROM e.port
             AND (q.extra ->> 'client_object') IS NOT DISTINCT FROM e.obj
             AND q.line < e.eline AND q.ts BETWEEN e.ets - INTERVAL 60 SECOND AND e.ets
            GROUP BY e.eline
        ), one AS (
            SELECT qline, min(eline) AS eline FROM cand GROUP BY qline
        )
        SELECT one.qline, e.* FROM one JOIN e USING (eline)
        """,
        {"file": ctx.file},
    )
    con.execute(
        """
        UPDATE dns_queries AS q
        SET rcode = m.rcode, failed = true,
            extra = json_merge_patch(coalesce(q.extra, '{}'::JSON), json_object(
                'error_line', m.eline, 'error', m.extra ->> 'error',
                'error_at', m.extra ->> 'error_at', 'acl', m.extra ->> 'acl'))
        FROM _bind_match AS m
        WHERE q.file = $file AND q.line = m.qline
        """,
        {"file": ctx.file},
    )
    return ctx.count("SELECT count(*) FROM _bind_match")


def load(ctx: LoadContext) -> tuple[int, int]:
    _stage(ctx)
    t.count_prefix_times(ctx)
    _insert(ctx, "kind = 'query'")
    merged = 0
    if ctx.count("SELECT count(*) FROM _staged WHERE reason IS NULL AND kind <> 'query'"):
        merged = _merge_failures(ctx)
        _insert(ctx, "kind <> 'query' AND line NOT IN (SELECT eline FROM _bind_match)")
    t.add_to_note(
        ctx,
        "merged",
        merged,
        "{n} query-errors/denied lines were merged into the row of the query they report "
        "(extra.error_line) and count as loaded",
    )
    return t.finish(ctx)


SOURCE = Source("bind", ("dns_queries",), sniff, load, "BIND 9 query logs (querylog, query-errors)")
