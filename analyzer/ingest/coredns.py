"""CoreDNS ``log`` plugin lines (common and combined format), to ``dns_queries``.

``[INFO] {remote}:{port} - {>id} "{type} {class} {name} {proto} {size} {>do}
{>bufsize}" {rcode} {>rflags} {rsize} {duration}``, plus ``"{>opcode}"`` in the
combined format. CoreDNS writes no time of its own: the time comes from what
collected the lines, an RFC 3339 time first (``kubectl logs --timestamps``, a CRI log
file ``<time> stdout F``, early CoreDNS) or a syslog prefix; CoreDNS 1.0/1.1 put a
``[{when}]`` time after ``{remote} -``. A line with no time at all cannot be placed on
a timeline and is quarantined. CoreDNS 1.3-1.6 wrote an RFC 3339 time of its own:
behind ``kubectl logs --timestamps`` a line has two, CoreDNS's is ``ts`` and the
collector's ``collected_at``. Start-up and plugin lines (``[INFO] plugin/reload: ...``,
``CoreDNS-1.6.2``) identify a CoreDNS log but are quarantined as not query lines.
``kubectl logs --prefix`` puts
``[pod/<name>/<container>]`` first: the pod becomes ``server``.

No answers are logged: ``failed`` follows the rcode alone, so NODATA (NOERROR with
no record) looks resolved in these logs.
"""

from __future__ import annotations

import re

from . import dns_text as t
from .base import LoadContext, Source

_CLF_TIME = r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}"
_MSG = (
    r"^(?:\[([A-Z]+)\] )?"
    r"(\S+) - (?:\[(" + _CLF_TIME + r")\] )?(?:(\d+) )?"
    r'"(\S+) (\S+) (\S+) (\S+) (?:(\d+) )?(true|false) (\d+)" '
    r'(\S+) (\S*) (\d+) (\S+)(?: "([^"]*)")?$'
)
_FIELDS = [
    "level",
    "remote",
    "when",
    "id",
    "qtype",
    "qclass",
    "qname",
    "proto",
    "size",
    "do",
    "bufsize",
    "rcode",
    "rflags",
    "rsize",
    "duration",
    "opcode",
]
_SNIFF = re.compile(
    r'(?:^|\s)\S+ - (?:\[[^\]]+\] )?(?:\d+ )?"\S+ \S+ \S+ (?:udp|tcp) '
    r"|(?:^|\s)(?:\[(?:INFO|WARNING|ERROR)\] plugin/\w+: |CoreDNS-\d+\.\d+\.\d+$)"
)
# CoreDNS 1.3-1.6 wrote its own RFC 3339 time, after the collector's (kubectl --timestamps).
_OWN_TIME = r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)) (.*)$"
# {remote} is "ip:port", "[ipv6]:port", or (CoreDNS 1.0/1.1, with [{when}]) the address alone.
_CLIENT = r"""CASE WHEN NOT contains(r.remote, '[')
                   AND length(r.remote) - length(replace(r.remote, ':', '')) > 1
              THEN {'ip': r.remote, 'port': NULL}
              ELSE regexp_extract(r.remote, '^\[?(.*?)\]?(?::(\d+))?$', ['ip', 'port']) END"""

# The query fields of the message (after CoreDNS's own time, when it wrote one).
_QUERY = t.extract("CASE WHEN own.ts <> '' THEN own.msg ELSE p.msg END", _MSG, _FIELDS)
# CoreDNS 1.0/1.1's [{when}]: a common log format time, with an offset.
_WHEN_TS = """CASE WHEN pf_offset_ok(r.when) THEN
    pf_in_range(try_strptime(nullif(r.when, ''), '%d/%b/%Y:%H:%M:%S %z')) END"""

_EXTRA = t.json_compact(
    {
        "id": "try_cast(r.id AS INTEGER)",
        "size": "try_cast(r.size AS INTEGER)",
        "do": "r.do = 'true'",
        "bufsize": "try_cast(r.bufsize AS INTEGER)",
        "rflags": "nullif(r.rflags, '')",
        "rsize": "try_cast(r.rsize AS INTEGER)",
        "duration_s": "try_cast(regexp_extract(r.duration, '^([0-9.]+)s$', 1) AS DOUBLE)",
        "opcode": "nullif(r.opcode, '')",
        "level": "nullif(r.level, '')",
        "stream": "nullif(p.stream, '')",
        "program": t.program_sql(),
    }
)


def sniff(line: str) -> bool:
    return bool(_SNIFF.search(line))


def load(ctx: LoadContext) -> tuple[int, int]:
    ts = t.prefix_ts_sql(ctx)
    ctx.stage(
        f"""
        WITH a AS (
            SELECT line, text, {t.prefix_struct()} AS p FROM _good
        ), o AS (
            SELECT *, regexp_extract(p.msg, {t.sql_str(_OWN_TIME)}, ['ts', 'msg']) AS own
            FROM a
        ), b AS (
            SELECT *, {_QUERY} AS r,
                   {ts} AS prefix_ts, pf_ts(nullif(own.ts, ''), $tz) AS own_ts
            FROM o
        ), c AS (
            SELECT *, coalesce(own_ts, prefix_ts, {_WHEN_TS}) AS ts,
                   CASE WHEN own_ts IS NOT NULL THEN prefix_ts END AS collected_at,
                   {_CLIENT} AS c
            FROM b
        )
        SELECT line, text, p, r, ts, collected_at, c,
            CASE
                WHEN r.remote = '' THEN 'not a CoreDNS query log line'
                WHEN {t.prefix_time_text()} = '' AND r.when = '' THEN '{t.NO_TIME}'
                -- CoreDNS's own time, when written, is the time: a broken one is damage
                WHEN own.ts <> '' AND own_ts IS NULL THEN 'unparseable timestamp ' || own.ts
                WHEN ts IS NULL
                    THEN 'unparseable timestamp ' || {t.prefix_time_text()} || r.when
                WHEN c.port <> '' AND pf_port(c.port) IS NULL
                    THEN 'remote port is not a port number: ' || c.port
            END AS reason
        FROM c
        """,
        {"tz": ctx.assume_tz},
    )
    t.count_prefix_times(ctx)
    failed = t.RCODE_FAILED_SQL.format(rcode="r.rcode")
    ctx.con.execute(
        f"""
        INSERT INTO dns_queries BY NAME
        SELECT ts, pf_name(r.qname) AS qname, upper(r.qtype) AS qtype,
               upper(r.qclass) AS qclass, upper(r.rcode) AS rcode,
               NULL AS answers, NULL AS answer_types, {failed} AS failed,
               c.ip AS client, pf_port(nullif(c.port, '')) AS client_port,
               coalesce(nullif(p.pod, ''), nullif(p.host, '')) AS server,
               upper(r.proto) AS transport, 'coredns' AS source_format,
               {_EXTRA} AS extra,
               ? AS file, line, collected_at
        FROM _staged WHERE reason IS NULL
        """,
        [ctx.file],
    )
    return t.finish(ctx)


SOURCE = Source("coredns", ("dns_queries",), sniff, load, "CoreDNS log plugin")
