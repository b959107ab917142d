"""Windows DNS Server debug log (``dns.log``, "Log packets for debugging"), to ``dns_queries``.

``DATE TIME [AM|PM] THREAD PACKET CONTEXT PROTO Snd|Rcv REMOTE XID [R] OPCODE [FLAGS
CHARS RCODE] QTYPE NAME``: one line per packet sent or received. A packet without
``R`` is a query, one with ``R`` a response. Queries received (``Rcv``) come from
clients: the remote address is the ``client``; queries sent (``Snd``) go to a forwarder
or an authoritative server: the remote is the ``server`` (``extra.direction`` says
``outbound``). A response is merged into the row of its query (same remote, XID, name
and type, at most a minute later; ``pair.py``); a response whose query is not logged
(responses alone, or the file starts after it) is a row of its own. The name is in
wire form ``(7)example(3)com(0)`` or dotted ``.example.com.``. The time is local, with
no zone: read in ``--assume-tz``. Without the "details" option no answers are logged:
``failed`` follows the rcode alone, a query without its response keeps it null. The
file's header block and any other line are quarantined with the reason.
"""

from __future__ import annotations

import re

from . import dns_text as t
from . import pair
from .base import LoadContext, Source

_LINE = (
    r"^(\d{1,2}/\d{1,2}/\d{4}) (\d{1,2}:\d\d:\d\d(?: [AP]M)?) ([0-9A-Fa-f]+) PACKET +"
    r"([0-9A-Fa-f]+) +(UDP|TCP) +(Snd|Rcv) +(\S+) +([0-9A-Fa-f]+) (R| ) (\S) "
    r"\[([0-9A-Fa-f]{4}) +(?:([ATDR]+) +)?([A-Z]+)\] +(\S+) +(\S+)\s*$"
)
_FIELDS = ["date", "time", "thread", "context", "proto", "dir", "remote", "xid", "r",
           "opcode", "hexflags", "flags", "rcode", "qtype", "name"]  # fmt: skip
_SNIFF = re.compile(r" PACKET +[0-9A-Fa-f]+ +(?:UDP|TCP) +(?:Snd|Rcv) +\S+ +[0-9A-Fa-f]+ [R ] ")
_FMTS = "['%m/%d/%Y %I:%M:%S %p', '%m/%d/%Y %H:%M:%S']"


def sniff(line: str) -> bool:
    return bool(_SNIFF.search(line))


def _stage(ctx: LoadContext) -> None:
    ctx.stage(
        f"""
        WITH a AS (
            SELECT line, text, {t.extract("text", _LINE, _FIELDS)} AS m FROM _good
        ), b AS (
            SELECT *,
                   pf_in_range(timezone($tz, try_strptime(m.date || ' ' || m.time, {_FMTS}))) AS ts,
                   (m.dir = 'Rcv') = (m.r = ' ') AS inbound
            FROM a
        )
        SELECT line, text, m, ts, inbound,
            CASE WHEN m.date = '' THEN NULL WHEN m.r = 'R' THEN 'reply' ELSE 'query' END AS kind,
            trim(regexp_replace(m.name, '\\(\\d+\\)', '.', 'g'), '.') AS qname,
            m.remote || '|' || lower(m.xid) || '|' || m.qtype || '|'
                || lower(trim(regexp_replace(m.name, '\\(\\d+\\)', '.', 'g'), '.')) AS pair_key,
            CASE WHEN m.r = 'R' THEN m.rcode END AS r_rcode, NULL::VARCHAR[] AS r_answers,
            NULL::VARCHAR[] AS r_types, false AS r_blocked,
            {t.json_compact({"reply_flags": "CASE WHEN m.r = 'R' THEN m.hexflags END"})} AS r_extra,
            CASE
                WHEN m.date = '' THEN 'not a Windows DNS debug log packet line '
                    || '(the header block, or a line of another kind)'
                WHEN ts IS NULL THEN 'unparseable timestamp ' || m.date || ' ' || m.time
            END AS reason
        FROM b
        """,
        {"tz": ctx.assume_tz},
    )  # fmt: skip


_COLUMNS = f"""ts, pf_name(qname) AS qname, m.qtype AS qtype, 'IN' AS qclass,
    r_rcode AS rcode, {t.RCODE_FAILED_SQL.format(rcode="r_rcode")} AS failed,
    CASE WHEN inbound THEN m.remote END AS client,
    CASE WHEN NOT inbound THEN m.remote END AS server,
    m.proto AS transport, 'windows_dns' AS source_format"""
_EXTRA = {
    "xid": "m.xid", "thread": "m.thread", "opcode": "m.opcode",
    "flags": "nullif(m.flags, '')", "query_flags": "CASE WHEN m.r = ' ' THEN m.hexflags END",
    "direction": "CASE WHEN NOT inbound THEN 'outbound' END",
}  # fmt: skip


def load(ctx: LoadContext) -> tuple[int, int]:
    _stage(ctx)
    ctx.zoneless += ctx.count("SELECT count(*) FROM _staged WHERE reason IS NULL")
    return pair.load_rows(ctx, _COLUMNS, _EXTRA, "response lines")


SOURCE = Source("windows_dns", ("dns_queries",), sniff, load, "Windows DNS Server debug log")
