"""Suricata ``eve.json`` DNS events (``event_type: dns``), to ``dns_queries``.

A ``dns.type: query`` event is a query (client ``src_ip``/``src_port``, server
``dest_ip``). Its answer event (``dns.type: answer``, the same ``flow_id`` and DNS
``id``) is merged into the query's row (``pair.py``): the v2 format (``"version": 2``)
writes one answer event per response, with every record in ``answers``; the v1 format
one event per record (``rrname``/``rrtype``/``rdata``), all of them merged. An answer
whose query event is not in the file is a row of its own: named by the v2 event's
``rrname``/``rrtype``, or by the first record of the v1 events of the same flow, id and
time (whose query type is unknown: an address among the records resolved, none did
not, names alone cannot tell). ``failed`` follows log-formats.md 4a; a query without
an answer event keeps it null. Other event types (flow, alert, ...) are quarantined.
"""

from __future__ import annotations

import json

from . import dns_text as t
from . import pair
from .base import LoadContext, Source

_STRUCT = json.dumps(
    {
        "timestamp": "VARCHAR", "flow_id": "BIGINT", "event_type": "VARCHAR",
        "src_ip": "VARCHAR", "src_port": "VARCHAR", "dest_ip": "VARCHAR",
        "dest_port": "VARCHAR", "proto": "VARCHAR", "in_iface": "VARCHAR",
        "dns": {
            "version": "INTEGER", "type": "VARCHAR", "id": "BIGINT", "rcode": "VARCHAR",
            "rrname": "VARCHAR", "rrtype": "VARCHAR", "rdata": "VARCHAR", "tx_id": "BIGINT",
            "flags": "VARCHAR",
            "answers": [{"rrname": "VARCHAR", "rrtype": "VARCHAR", "rdata": "VARCHAR"}],
        },
    }
)  # fmt: skip


def sniff(line: str) -> bool:
    return line.startswith("{") and '"event_type"' in line and '"flow_id"' in line


def _stage(ctx: LoadContext) -> None:
    ctx.stage(
        f"""
        WITH a AS (
            SELECT line, text, try(from_json(text, '{_STRUCT}')) AS e FROM _good
        ), b AS (
            SELECT *, e.dns AS d, pf_ts(e.timestamp, $tz) AS ts,
                   -- v2: the records of the response; v1: the one record of this event
                   CASE WHEN e.dns.version >= 2 THEN coalesce(e.dns.answers, [])
                        WHEN e.dns.rdata IS NOT NULL
                        THEN [{{'rrname': e.dns.rrname, 'rrtype': e.dns.rrtype,
                               'rdata': e.dns.rdata}}]
                        ELSE [] END AS rr
            FROM a
        )
        SELECT line, text, e, d, ts,
            CASE WHEN d.type = 'query' THEN 'query' WHEN d.type = 'answer' THEN 'reply' END
                AS kind,
            e.flow_id::VARCHAR || '|' || d.id::VARCHAR AS pair_key,
            coalesce(upper(d.rcode), 'NOERROR') AS r_rcode,
            list_transform(rr, lambda x: x.rdata) AS r_answers,
            list_transform(rr, lambda x: upper(x.rrtype)) AS r_types, false AS r_blocked,
            {t.json_compact({"eve_version": "d.version", "reply_flags": "d.flags"})} AS r_extra,
            CASE
                WHEN e IS NULL THEN 'invalid JSON, or not a JSON object'
                WHEN e.event_type <> 'dns' THEN 'a Suricata ' || e.event_type || ' event, not dns'
                WHEN kind IS NULL OR d.id IS NULL
                    THEN 'a dns event that is neither a query nor an answer'
                WHEN e.timestamp IS NULL THEN '{t.NO_TIME}'
                WHEN ts IS NULL THEN 'unparseable timestamp timestamp=' || e.timestamp
                -- a port is an integer (the struct reads it as text: a cast would round)
                WHEN e.src_port IS NOT NULL AND pf_port(e.src_port) IS NULL
                    THEN 'src_port is not a port number: ' || e.src_port
                WHEN e.dest_port IS NOT NULL AND pf_port(e.dest_port) IS NULL
                    THEN 'dest_port is not a port number: ' || e.dest_port
                WHEN kind = 'query' AND coalesce(d.rrname, '') = '' THEN 'a query without a name'
            END AS reason
        FROM b
        """,
        {"tz": ctx.assume_tz},
    )  # fmt: skip


_EXTRA = t.json_compact(
    {"flow_id": "e.flow_id", "dns_id": "d.id", "tx_id": "d.tx_id", "in_iface": "e.in_iface",
     "query_flags": "CASE WHEN d.type = 'query' THEN d.flags END"}
)  # fmt: skip
# An answer whose query is not in the file: its v1 events (same flow, id and time) are one
# response; the first names it.
_ORPHANS = f"""
INSERT INTO dns_queries BY NAME
WITH o AS (
    SELECT * FROM _staged WHERE {pair.unmatched()}
), g AS (
    SELECT pair_key, ts, min(line) AS line,
           arg_min(CASE WHEN d.version >= 2 THEN d.rrtype END, line) AS qtype,
           arg_min(coalesce(d.rrname, r_answers[1]), line) AS qname,
           coalesce(arg_min(r_rcode, line) FILTER (WHERE r_rcode <> 'NOERROR'), 'NOERROR') AS rcode,
           flatten(list(r_answers ORDER BY line)) AS answers,
           flatten(list(r_types ORDER BY line)) AS types,
           list(line ORDER BY line) AS lines
    FROM o GROUP BY pair_key, ts
)
SELECT g.ts, pf_name(g.qname) AS qname, upper(g.qtype) AS qtype, 'IN' AS qclass, g.rcode,
       list_transform(g.answers, lambda a: pf_answer(a)) AS answers, g.types AS answer_types,
       CASE WHEN g.qtype IS NOT NULL THEN {t.ANSWERS_FAILED_SQL.format(
                rcode="g.rcode", qtype="g.qtype", types="g.types")}
            WHEN g.rcode <> 'NOERROR' OR len(g.types) = 0 THEN true
            WHEN list_contains(g.types, 'A') OR list_contains(g.types, 'AAAA') THEN false
       END AS failed,
       s.e.dest_ip AS client, pf_port(s.e.dest_port) AS client_port, s.e.src_ip AS server,
       upper(s.e.proto) AS transport, 'suricata' AS source_format,
       json_merge_patch(coalesce({_EXTRA.replace("e.", "s.e.").replace("d.", "s.d.")},
                                 '{{}}'::JSON),
                        json_object('reply_lines', g.lines)) AS extra,
       $file AS file, g.line
FROM g JOIN _staged s ON s.line = g.line
"""  # fmt: skip


def load(ctx: LoadContext) -> tuple[int, int]:
    _stage(ctx)
    ctx.count_zoneless("e.timestamp")
    ctx.con.execute(
        f"""
        INSERT INTO dns_queries BY NAME
        SELECT ts, pf_name(d.rrname) AS qname, upper(d.rrtype) AS qtype, 'IN' AS qclass,
               e.src_ip AS client, pf_port(e.src_port) AS client_port, e.dest_ip AS server,
               upper(e.proto) AS transport, 'suricata' AS source_format, {_EXTRA} AS extra,
               $file AS file, line
        FROM _staged WHERE reason IS NULL AND kind = 'query'
        """,
        {"file": ctx.file},
    )
    merged = pair.merge_replies(ctx, t.ANSWERS_FAILED_SQL, many=True)
    ctx.con.execute(_ORPHANS, {"file": ctx.file})
    pair.note_merged(ctx, merged, "answer events")
    return t.finish(ctx)


SOURCE = Source("suricata", ("dns_queries",), sniff, load, "Suricata eve.json DNS events")
