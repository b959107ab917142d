"""PowerDNS Recursor structured logging: ``msg="Question"`` and ``msg="Answer"`` lines.

``key="value"`` pairs (``structured-logging``, with ``log-common-errors`` / ``quiet=no``),
often behind a journal or syslog time: ``qname``, ``qtype``, ``remote`` (client
``address:port``), ``ts`` (epoch seconds: the time used, absolute), ``proto``, and on
an ``Answer`` the numeric ``rcode`` and the number of ``answers``. An Answer is merged
into the row of its Question (same client address and port, name and type, at most a
minute later; ``pair.py``); an Answer without its Question is a row of its own. No
answer data is logged: a NOERROR answer with ``answers="0"`` is NODATA and failed;
any other rcode failed; a Question without an Answer keeps ``failed`` null. Lines
of other messages are quarantined with the reason.
"""

from __future__ import annotations

import re

from . import dns_text as t
from . import pair
from .base import LoadContext, Source

_KEYS = ("msg", "qname", "qtype", "remote", "ts", "proto", "rcode", "answers", "subsystem",
         "netms", "totms", "validationState", "tid", "mtid")  # fmt: skip
_SNIFF = re.compile(r'(?:^|\s)msg="(?:Question|Answer)" .*\bqname="[^"]*" .*\bqtype="')
_RCODES = ("MAP {'0': 'NOERROR', '1': 'FORMERR', '2': 'SERVFAIL', '3': 'NXDOMAIN', "
           "'4': 'NOTIMP', '5': 'REFUSED'}")  # fmt: skip


def sniff(line: str) -> bool:
    return bool(_SNIFF.search(line))


def _key(k: str) -> str:
    """SQL: the value of ``k="..."`` in the line ('' when absent)."""
    pattern = t.sql_str(r"(?:^|\s)" + k + r'="([^"]*)"')
    return f"regexp_extract(text, {pattern}, 1)"


def _stage(ctx: LoadContext) -> None:
    keys = ", ".join(f"{_key(k)} AS {k}" for k in _KEYS)
    ctx.stage(
        f"""
        WITH a AS (
            SELECT line, text, {t.prefix_struct()} AS p, {keys} FROM _good
        ), b AS (
            SELECT *, pf_epoch(try_cast(nullif(ts, '') AS DOUBLE)) AS t,
                   regexp_extract(remote, '^\\[?(.*?)\\]?(?::(\\d+))?$', ['ip', 'port']) AS c,
                   coalesce({_RCODES}[rcode], nullif(rcode, '')) AS rc
            FROM a
        )
        SELECT line, text, p, qname, qtype, proto, c, t AS ts, answers, subsystem,
            netms, totms, validationState, tid, mtid,
            CASE WHEN qname = '' THEN NULL WHEN msg = 'Question' THEN 'query'
                 WHEN msg = 'Answer' THEN 'reply' END AS kind,
            remote || '|' || lower(qname) || '|' || upper(qtype) AS pair_key,
            rc AS r_rcode, NULL::VARCHAR[] AS r_answers, NULL::VARCHAR[] AS r_types,
            rc = 'NOERROR' AND answers = '0' AS r_blocked,
            {t.json_compact({
                "answer_count": "pf_int(nullif(answers, ''))",
                "total_ms": "try_cast(nullif(totms, '') AS DOUBLE)",
                "network_ms": "try_cast(nullif(netms, '') AS DOUBLE)",
                "validation_state": "nullif(validationState, '')",
            })} AS r_extra,
            CASE
                WHEN kind IS NULL THEN 'not a PowerDNS Question or Answer line'
                WHEN ts = '' THEN '{t.NO_TIME}'
                WHEN t IS NULL THEN 'unparseable timestamp ts=' || ts
                WHEN c.port <> '' AND pf_port(c.port) IS NULL
                    THEN 'remote port is not a port number: ' || c.port
                WHEN answers <> '' AND pf_int(answers) IS NULL
                    THEN 'answers is not an integer: ' || answers
            END AS reason
        FROM b
        """
    )  # fmt: skip


# r_blocked above marks NODATA (NOERROR with no answer record): it failed, as blocked does.
_COLUMNS = f"""ts, pf_name(qname) AS qname, upper(qtype) AS qtype, 'IN' AS qclass,
    r_rcode AS rcode,
    CASE WHEN r_blocked THEN true ELSE {t.RCODE_FAILED_SQL.format(rcode="r_rcode")} END AS failed,
    nullif(c.ip, '') AS client, pf_port(nullif(c.port, '')) AS client_port,
    nullif(p.host, '') AS server, upper(nullif(proto, '')) AS transport,
    'powerdns' AS source_format"""
_EXTRA = {
    "subsystem": "nullif(subsystem, '')", "tid": "nullif(tid, '')",
    "mtid": "nullif(mtid, '')", "program": t.program_sql(),
}  # fmt: skip


def load(ctx: LoadContext) -> tuple[int, int]:
    _stage(ctx)
    return pair.load_rows(ctx, _COLUMNS, _EXTRA, "Answer lines")


SOURCE = Source("powerdns", ("dns_queries",), sniff, load, "PowerDNS Recursor structured logs")
