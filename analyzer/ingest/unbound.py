"""Unbound ``log-queries`` / ``log-replies`` lines (syslog or Unbound's own log file).

``[pid:thread] info: CLIENT NAME. TYPE CLASS`` is a query (``log-queries: yes``);
``... CLASS RCODE SECONDS CACHED SIZE`` a reply (``log-replies: yes``). Over syslog the
line starts with the syslog time (RFC 3339, or RFC 3164 without a year) and
``host unbound:``; in Unbound's own ``logfile`` with ``[EPOCH] unbound[pid:thread]``.
With both options on, a reply is merged into the row of its query (same client, name,
type and class, at most a minute later; ``pair.py``); a reply with no query line
(``log-replies`` alone) is a row of its own. Unbound logs no answers: ``failed``
follows the rcode alone, and a query without a reply line keeps it null. Other
Unbound lines (notices, statistics) are quarantined with the reason.
"""

from __future__ import annotations

import re

from . import dns_text as t
from . import pair
from .base import LoadContext, Source

_OWN = r"^\[(\d+(?:\.\d+)?)\] unbound\[(\d+):(\d+)\] (.*)$"
_MSG = (
    r"^(?:\[(\d+):(\d+)\] )?(\w+): (\S+) (\S+) ([A-Z0-9]+|TYPE\d+) ([A-Z]+|CLASS\d+)"
    r"(?: ([A-Z]+|RCODE\d+) ([0-9.]+) ([01]) (\d+))?$"
)
_FIELDS = ["pid", "thread", "level", "client", "qname", "qtype", "qclass", "rcode", "secs",
           "cached", "size"]  # fmt: skip
_SNIFF = re.compile(
    r"unbound(?:\[\d+:\d+\])?: (?:\[\d+:\d+\] )?info: \S+ \S+\. [A-Z0-9]+ [A-Z]+"
    r"(?: [A-Z]+ [0-9.]+ [01] \d+)?$"
)


def sniff(line: str) -> bool:
    return bool(_SNIFF.search(line))


# The message as syslog has it: Unbound's own log file (``[EPOCH] unbound[pid:thread]``)
# gets the ``[pid:thread]`` that syslog puts before the message.
_UNBOUND_MSG = """CASE WHEN o.epoch <> '' THEN '[' || o.pid || ':' || o.thread || '] ' || o.msg
                  ELSE p.msg END"""


def _stage(ctx: LoadContext) -> None:
    ts = t.prefix_ts_sql(ctx)
    ctx.stage(
        f"""
        WITH a AS (
            SELECT line, text, {t.prefix_struct()} AS p,
                   regexp_extract(text, {t.sql_str(_OWN)}, ['epoch', 'pid', 'thread', 'msg']) AS o
            FROM _good
        ), b AS (
            SELECT *,
                {t.extract(_UNBOUND_MSG, _MSG, _FIELDS)} AS m,
                CASE WHEN o.epoch <> '' THEN pf_epoch(try_cast(o.epoch AS DOUBLE))
                     ELSE {ts} END AS ts
            FROM a
        )
        SELECT line, text, p, m, ts,
            CASE WHEN m.level <> 'info' THEN NULL WHEN m.rcode = '' THEN 'query'
                 ELSE 'reply' END AS kind,
            m.client || '|' || lower(m.qname) || '|' || m.qtype || '|' || m.qclass AS pair_key,
            nullif(m.rcode, '') AS r_rcode, NULL::VARCHAR[] AS r_answers,
            NULL::VARCHAR[] AS r_types, false AS r_blocked,
            {t.json_compact({
                "reply_seconds": "try_cast(nullif(m.secs, '') AS DOUBLE)",
                "cached": "CASE m.cached WHEN '1' THEN true WHEN '0' THEN false END",
                "reply_size": "try_cast(nullif(m.size, '') AS INTEGER)",
            })} AS r_extra,
            CASE
                WHEN kind IS NULL THEN 'not an Unbound query or reply line'
                WHEN o.epoch = '' AND {t.prefix_time_text()} = '' THEN '{t.NO_TIME}'
                WHEN ts IS NULL THEN 'unparseable timestamp ' || {t.prefix_time_text()} || o.epoch
            END AS reason
        FROM b
        """,
        {"tz": ctx.assume_tz},
    )  # fmt: skip


_COLUMNS = f"""ts, pf_name(m.qname) AS qname, m.qtype AS qtype, m.qclass AS qclass,
    nullif(m.rcode, '') AS rcode,
    {t.RCODE_FAILED_SQL.format(rcode="nullif(m.rcode, '')")} AS failed,
    m.client AS client, nullif(p.host, '') AS server, 'unbound' AS source_format"""
_EXTRA = {
    "pid": "try_cast(nullif(m.pid, '') AS INTEGER)",
    "thread": "try_cast(nullif(m.thread, '') AS INTEGER)",
}


def load(ctx: LoadContext) -> tuple[int, int]:
    _stage(ctx)
    t.count_prefix_times(ctx)
    return pair.load_rows(ctx, _COLUMNS, _EXTRA, "reply lines")


SOURCE = Source("unbound", ("dns_queries",), sniff, load, "Unbound log-queries / log-replies")
