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

_BIND_TIME = r"\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d(?:\.\d+)?"
_HEAD = (
    r"^(?:(?:\S+ )+?\S+\[\d+\]: )?"  # a syslog header the prefix did not take (two hosts)
    r"(?:([a-z][a-z-]*): )?"  # category (print-category)
    rf"(?:({_BIND_TIME}) )?"  # BIND's own print-time behind a syslog prefix (Infoblox)
    r"(?:(info|notice|warning|error|critical|debug(?: \d+)?|dynamic): )?"  # print-severity
    r"client (?:@(0x[0-9a-fA-F]+) )?(\S+)#(\d+)(?: \(([^)]*)\))?:? "
    r"(?:view ([^:]+): )?(?:(UDP|TCP): )?(.*)$"
)
_HEAD_FIELDS = ["category", "btime", "severity", "obj", "client", "port", "sig", "view",
                "proto", "rest"]  # fmt: skip
# Infoblox NIOS: the query and its response on one line, with the answer records.
_RESPONSE = r"^query: (\S+) (\S+) (\S+) response: ([A-Z]+) ([-+]\S*)(?: (.*))?$"
_RESPONSE_FIELDS = ["qname", "qclass", "qtype", "rcode", "flags", "records"]
_RECORD = r'(\S+) (\d+) (\S+) (\S+) ((?:"[^"]*"|[^;"])*);'
# Response policy zones: the client got the policy's answer, not the name's.
_RPZ = r"rpz (\w+) ([\w-]+) rewrite (\S+?)(?:/([^/\s]+)/([^/\s]+))?(?: \[([^\]]+)\])? via (\S+)"
_RPZ_FIELDS = ["trigger", "action", "qname", "qtype", "qclass", "qtype_", "via"]
_REWRITE = r"^rewriting query name '([^']+)' to '([^']+)', type (\S+)"
_CEF = r"CEF:\d+\|Infoblox\|NIOS\|[^|]*\|RPZ-[^|]*\|[^|]*\|[^|]*\|(.*)$"
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
    r"client (?:@0x[0-9a-fA-F]+ )?\S+#\d+(?: \([^)]*\))?:? (?:view [^:]+: )?(?:(?:UDP|TCP): )?"
    r"(?:query: \S+ \S+ \S+ (?:[-+]|response: )|query failed \(|query (?:\(\w+\) )?'\S+' denied"
    r"|rpz \w+ [\w-]+ rewrite |rewriting query name )"
    r"|CEF:\d+\|Infoblox\|NIOS\|[^|]*\|RPZ-"
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
        "rpz_action": "rpz_action",
        "rpz_trigger": "nullif(z.trigger, '')",
        "rpz_via": "nullif(z.via, '')",
        "rewritten_to": "nullif(w.target, '')",
        "response_flags": "nullif(r.flags, '')",
        "host": "nullif(p.host, '')",
        "program": t.program_sql(),
        "pid": t.pid_sql(),
    }
)


def sniff(line: str) -> bool:
    return bool(_SNIFF.search(line))


_CEF_MSG = 'coalesce(regexp_extract(cef, \'msg="([^"]*)"\', 1), h.rest)'


def _cef(key: str) -> str:
    pattern = t.sql_str(r"(?:^| )" + key + r"=(\S+)")
    return f"nullif(regexp_extract(cef, {pattern}, 1), '')"


def _stage(ctx: LoadContext) -> None:
    ts = t.prefix_ts_sql(ctx)
    rcodes = "[" + ", ".join(t.sql_str(r) for r in _RCODES) + "]"
    ctx.stage(
        f"""
        WITH a AS (
            SELECT line, text, {t.prefix_struct()} AS p FROM _good
        ), b AS (
            SELECT *, {t.extract("p.msg", _HEAD, _HEAD_FIELDS)} AS h,
                   nullif(regexp_extract(p.msg, {t.sql_str(_CEF)}, 1), '') AS cef
            FROM a
        ), c AS (
            SELECT *,
                CASE WHEN starts_with(h.rest, 'query: ') AND contains(h.rest, ' response: ')
                     THEN {t.extract("h.rest", _RESPONSE, _RESPONSE_FIELDS)} END AS r,
                CASE WHEN starts_with(h.rest, 'query: ')
                     THEN {t.extract("h.rest", _QUERY, _QUERY_FIELDS)} END AS q,
                CASE WHEN starts_with(h.rest, 'query failed (')
                     THEN {t.extract("h.rest", _FAILED, _FAILED_FIELDS)} END AS f,
                CASE WHEN regexp_matches(h.rest, ' denied$')
                     THEN {t.extract("h.rest", _DENIED, _DENIED_FIELDS)} END AS d,
                CASE WHEN starts_with(h.rest, 'rpz ') OR cef IS NOT NULL
                     THEN {t.extract(_CEF_MSG, _RPZ, _RPZ_FIELDS)} END AS z,
                CASE WHEN starts_with(h.rest, 'rewriting query name ')
                     THEN {t.extract("h.rest", _REWRITE, ["qname", "target", "qtype"])} END AS w
            FROM b
        ), k AS (
            SELECT *, CASE WHEN r.qname <> '' THEN 'response'
                           WHEN q.qname <> '' THEN 'query'
                           WHEN f.qname <> '' THEN 'failed'
                           WHEN d.qname <> '' THEN 'denied'
                           WHEN z.qname <> '' OR w.qname <> '' THEN 'rpz' END AS kind,
                   {ts} AS prefix_ts,
                   pf_in_range(timezone($tz, try_strptime(nullif(h.btime, ''),
                                                         {t.BIND_FORMATS}))) AS own_ts,
                   upper(coalesce(nullif(z.action, ''), CASE WHEN w.qname <> '' THEN 'REWRITE' END))
                       AS rpz_action
            FROM c
        )
        SELECT line, text, p, h, kind, coalesce(own_ts, prefix_ts) AS ts,
            CASE WHEN own_ts IS NOT NULL THEN prefix_ts END AS collected_at,
            pf_name(coalesce(nullif(r.qname, ''), nullif(q.qname, ''), nullif(f.qname, ''),
                             nullif(d.qname, ''), nullif(z.qname, ''), w.qname)) AS qname,
            upper(coalesce(nullif(r.qtype, ''), nullif(q.qtype, ''), nullif(f.qtype, ''),
                           nullif(d.qtype, ''), nullif(z.qtype, ''), nullif(z.qtype_, ''),
                           nullif(w.qtype, ''), {_cef("qtype")})) AS qtype,
            upper(coalesce(nullif(r.qclass, ''), nullif(q.qclass, ''), nullif(f.qclass, ''),
                           nullif(d.qclass, ''), nullif(z.qclass, ''),
                           CASE WHEN kind = 'rpz' THEN 'IN' END)) AS qclass,
            CASE kind WHEN 'response' THEN r.rcode
                 WHEN 'failed' THEN
                     CASE WHEN list_contains({rcodes}, upper(f.error)) THEN upper(f.error)
                          ELSE 'SERVFAIL' END
                 WHEN 'denied' THEN 'REFUSED'
                 WHEN 'rpz' THEN CASE rpz_action WHEN 'NXDOMAIN' THEN 'NXDOMAIN'
                                      WHEN 'NODATA' THEN 'NOERROR' END
            END AS rcode,
            CASE WHEN kind = 'response' THEN
                regexp_extract_all(coalesce(r.records, ''), {t.sql_str(_RECORD)}, 5) END AS answers,
            CASE WHEN kind = 'response' THEN list_transform(
                regexp_extract_all(coalesce(r.records, ''), {t.sql_str(_RECORD)}, 4),
                lambda x: upper(x)) END AS answer_types,
            -- PASSTHRU: the policy let the real answer through
            CASE WHEN kind = 'rpz' THEN rpz_action <> 'PASSTHRU' END AS rpz_failed,
            coalesce(nullif(h.client, ''), {_cef("src")}) AS client,
            coalesce(nullif(h.port, ''), {_cef("spt")}) AS port_raw, pf_port(port_raw) AS port,
            nullif(q.server, '') AS server,
            CASE WHEN h.proto <> '' THEN h.proto
                 WHEN kind = 'query' THEN
                     CASE WHEN contains(q.flags, 'T') THEN 'TCP' ELSE 'UDP' END END AS transport,
            {_EXTRA} AS extra,
            CASE
                WHEN kind IS NULL THEN 'not a BIND query, response, failure or RPZ line'
                WHEN {t.prefix_time_text()} = '' AND h.btime = '' THEN '{t.NO_TIME}'
                -- BIND's own time, when written, is the time: a broken one is damage
                WHEN h.btime <> '' AND own_ts IS NULL THEN 'unparseable timestamp ' || h.btime
                WHEN prefix_ts IS NULL AND own_ts IS NULL
                    THEN 'unparseable timestamp ' || {t.prefix_time_text()}
                WHEN port_raw IS NOT NULL AND port IS NULL
                    THEN 'client port is not a port number: ' || port_raw
            END AS reason
        FROM k
        """,
        {"tz": ctx.assume_tz},
    )


def _insert(ctx: LoadContext, where: str) -> None:
    failed = t.ANSWERS_FAILED_SQL.format(rcode="rcode", qtype="qtype", types="answer_types")
    ctx.con.execute(
        f"""
        INSERT INTO dns_queries BY NAME
        SELECT ts, qname, qtype, qclass, rcode,
               list_transform(answers, lambda a: pf_answer(a)) AS answers, answer_types,
               CASE kind WHEN 'response' THEN {failed} WHEN 'rpz' THEN rpz_failed
                         WHEN 'query' THEN NULL ELSE true END AS failed,
               client, port AS client_port, server,
               transport, 'bind' AS source_format,
               CASE WHEN kind IN ('query', 'response') THEN extra
                    ELSE json_merge_patch(coalesce(extra, '{{}}'::JSON),
                                          json_object('error_line', line))
               END AS extra,
               ? AS file, line, collected_at
        FROM _staged WHERE reason IS NULL AND {where}
        """,
        [ctx.file],
    )


def _merge_failures(ctx: LoadContext) -> int:
    """Merge failure lines into the row of their query; returns how many were merged.

    The query is the nearest line of the same client, name, type and class within a
    minute: the latest before the failure, else (Infoblox logs ``query failed`` first)
    the first after it.
    """
    con = ctx.con
    ctx.stage(
        """
        WITH e AS (
            SELECT line AS eline, ts AS ets, qname, qtype, qclass, rcode, extra, rpz_failed,
                   client, port, nullif(h.obj, '') AS obj
            FROM _staged WHERE reason IS NULL AND kind IN ('failed', 'denied', 'rpz')
        ), cand AS (
            SELECT e.eline, arg_min(q.line, (q.line > e.eline, abs(q.line - e.eline))) AS qline
            FROM e JOIN dns_queries q
              ON q.file = $file AND q.source_format = 'bind' AND q.rcode IS NULL
             AND q.qname = e.qname AND q.qtype = e.qtype AND q.qclass = e.qclass
             AND q.client = e.client AND q.client_port IS NOT DISTINCT FROM e.port
             AND (e.obj IS NULL OR q.extra ->> 'client_object' IS NULL
                  OR q.extra ->> 'client_object' = e.obj)
             AND q.ts BETWEEN e.ets - INTERVAL 60 SECOND AND e.ets + INTERVAL 60 SECOND
            GROUP BY e.eline
        ), one AS (
            SELECT qline, min(eline) AS eline FROM cand GROUP BY qline
        )
        SELECT one.qline, e.* FROM one JOIN e USING (eline)
        """,
        {"file": ctx.file},
        "_bind_match",
    )
    con.execute(
        """
        UPDATE dns_queries AS q
        SET rcode = m.rcode, failed = coalesce(m.rpz_failed, true),
            extra = json_merge_patch(coalesce(q.extra, '{}'::JSON), json_object(
                'error_line', m.eline, 'error', m.extra ->> 'error',
                'error_at', m.extra ->> 'error_at', 'acl', m.extra ->> 'acl',
                'rpz_action', m.extra ->> 'rpz_action', 'rpz_via', m.extra ->> 'rpz_via',
                'rewritten_to', m.extra ->> 'rewritten_to'))
        FROM _bind_match AS m
        WHERE q.file = $file AND q.line = m.qline
        """,
        {"file": ctx.file},
    )
    return ctx.count("SELECT count(*) FROM _bind_match")


def load(ctx: LoadContext) -> tuple[int, int]:
    _stage(ctx)
    t.count_prefix_times(ctx)
    _insert(ctx, "kind IN ('query', 'response')")
    merged = 0
    if ctx.count(
        "SELECT count(*) FROM _staged WHERE reason IS NULL AND kind NOT IN ('query', 'response')"
    ):
        merged = _merge_failures(ctx)
        _insert(
            ctx,
            "kind NOT IN ('query', 'response') AND line NOT IN (SELECT eline FROM _bind_match)",
        )
    t.add_to_note(
        ctx,
        "merged",
        merged,
        "{n} query-errors/denied/RPZ lines were merged into the row of the query they report "
        "(extra.error_line) and count as loaded",
    )
    return t.finish(ctx)


SOURCE = Source("bind", ("dns_queries",), sniff, load, "BIND 9 query logs (querylog, query-errors)")
