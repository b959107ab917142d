"""dnsmasq ``log-queries`` lines (Pi-hole's ``pihole.log`` too), to ``dns_queries``.

Over syslog: ``<time> [host] dnsmasq[pid]: [TCP|UDP] [<id> <client>/<port>] <action>``,
the bracketed block written by ``log-queries=extra``. Actions: ``query[TYPE] NAME from
CLIENT`` (a query: one row), then ``forwarded NAME to SERVER``, ``reply NAME is
VALUE``, ``cached NAME is VALUE`` or a local answer (``config``, ``/etc/hosts``, a
Pi-hole blocklist such as ``/etc/pihole/gravity.list`` or ``gravity blocked``) — one
line per answer record, a CNAME (``is <CNAME>``) followed by its target's lines. These
are merged into the query's row (``pair.py``): paired by pid, id (with ``extra``) and
name; a CNAME chain's later lines follow their first. VALUE is an address, a name
(PTR), ``<TYPE>`` (a record dnsmasq does not print), ``NXDOMAIN``, ``NODATA[-IPv4|-IPv6]``
(NOERROR, no record), ``SERVFAIL`` or ``REFUSED``. ``failed`` follows log-formats.md 4a;
a name a blocklist answered failed for the client; a query with no reply line has
``failed`` null. A reply whose query is not in the file, and any other dnsmasq line
(start-up, DNSSEC validation...), is quarantined with the reason.
"""

from __future__ import annotations

import re

from . import dns_text as t
from . import pair
from .base import LoadContext, Source

_MSG = (
    r"^(?:(TCP|UDP) )?(?:(\d+) ([0-9A-Fa-f:.]+)/(\d+) )?"
    r"(query\[[A-Za-z0-9]+\]|forwarded|reply|cached|cached-stale|.+?) (\S+) (from|to|is) "
    r"(.+?)(?: \(DNSSEC signed\))?$"
)
_FIELDS = ["proto", "id", "eclient", "eport", "action", "name", "verb", "value"]
_SNIFF = re.compile(
    r"dnsmasq(?:-dhcp)?\[\d+\]: (?:(?:TCP|UDP) )?(?:\d+ \S+/\d+ )?"
    r"(?:query\[\w+\] \S+ from |forwarded \S+ to |(?:reply|cached) \S+ is |\S+ \S+ is )"
)
_RCODES = "['NXDOMAIN', 'SERVFAIL', 'REFUSED', 'NOTIMP', 'FORMERR']"
_IPV4 = r"\d{1,3}(\.\d{1,3}){3}"
# Blocklists: Pi-hole's gravity and black/regex lists answer for names they block.
_BLOCKED = r"(?i)gravity|black|regex|blocked|denied|deny"


def sniff(line: str) -> bool:
    return bool(_SNIFF.search(line))


def _stage(ctx: LoadContext) -> None:
    ctx.con.execute(
        "CREATE TEMP TABLE IF NOT EXISTS _dnsmasq_chain "
        "(file VARCHAR, grp VARCHAR, pair_key VARCHAR, cname BOOLEAN, PRIMARY KEY (file, grp))"
    )
    ts = t.prefix_ts_sql(ctx)
    ctx.stage(
        f"""
        WITH a AS (
            SELECT line, text, {t.prefix_struct()} AS p FROM _good
        ), b AS (
            SELECT *, {t.extract("p.msg", _MSG, _FIELDS)} AS m, {ts} AS ts,
                   {t.program_sql()} AS program, {t.pid_sql()} AS pid
            FROM a
        ), c AS (
            SELECT *,
                CASE WHEN starts_with(m.action, 'query[') AND m.verb = 'from' THEN 'query'
                     WHEN m.action = 'forwarded' AND m.verb = 'to' THEN 'reply'
                     WHEN m.verb = 'is' AND m.action <> '' THEN 'reply' END AS kind,
                m.verb = 'is' AND m.value = '<CNAME>' AS cname,
                -- (a damaged line may have no pid)
                coalesce(pid::VARCHAR, '') || '|' || m.id || '|' AS grp
            FROM b
        ), d AS (
            -- a CNAME's target lines follow the line that named the CNAME (in this chunk,
            -- or at the end of the one before: _dnsmasq_chain)
            SELECT c.*, ch.pair_key AS chain_key,
                   coalesce(kind = 'reply' AND m.verb = 'is' AND
                            coalesce(lag(c.cname) OVER (PARTITION BY c.grp, kind ORDER BY line),
                                     ch.cname), false) AS cont
            FROM c LEFT JOIN _dnsmasq_chain ch
              ON ch.file = $file AND ch.grp = c.grp AND c.kind = 'reply'
        ), e AS (
            SELECT *, coalesce(
                      last_value(CASE WHEN NOT cont THEN grp || lower(m.name) END IGNORE NULLS)
                      OVER (PARTITION BY grp, kind ORDER BY line ROWS UNBOUNDED PRECEDING),
                      chain_key) AS pair_key
            FROM d
        )
        SELECT line, text, p, m, ts, kind, pid, program, pair_key, grp, cname,
            CASE WHEN kind = 'reply' AND m.verb = 'is' THEN
                CASE WHEN list_contains({_RCODES}, m.value) THEN m.value ELSE 'NOERROR' END
            END AS r_rcode,
            CASE WHEN m.verb <> 'is' OR starts_with(m.value, '<') OR starts_with(m.value, 'NODATA')
                      OR list_contains({_RCODES}, m.value) THEN []::VARCHAR[]
                 ELSE [m.value] END AS r_answers,
            CASE WHEN m.verb <> 'is' OR starts_with(m.value, 'NODATA')
                      OR list_contains({_RCODES}, m.value) THEN []::VARCHAR[]
                 WHEN starts_with(m.value, '<') THEN [upper(trim(m.value, '<>'))]
                 WHEN regexp_full_match(m.value, '{_IPV4}') THEN ['A']
                 WHEN contains(m.value, ':') THEN ['AAAA']
                 ELSE [NULL::VARCHAR] END AS r_types,
            m.verb = 'is' AND regexp_matches(m.action, {t.sql_str(_BLOCKED)}) AS r_blocked,
            {
            t.json_compact(
                {
                    "forwarded_to": "CASE WHEN m.action = 'forwarded' THEN m.value END",
                    "answered_by": "CASE WHEN m.verb = 'is' AND m.action NOT IN "
                    "('reply', 'cached', 'cached-stale') THEN m.action END",
                    "cached": "CASE WHEN starts_with(m.action, 'cached') THEN true END",
                }
            )
        } AS r_extra,
            CASE
                WHEN kind IS NULL THEN 'not a dnsmasq query, forward or reply line'
                WHEN {t.prefix_time_text()} = '' THEN '{t.NO_TIME}'
                WHEN ts IS NULL THEN 'unparseable timestamp ' || {t.prefix_time_text()}
                WHEN m.eport <> '' AND pf_port(m.eport) IS NULL
                    THEN 'client port is not a port number: ' || m.eport
            END AS reason
        FROM e
        """,
        {"tz": ctx.assume_tz, "file": ctx.file},
    )
    ctx.con.execute(
        """INSERT OR REPLACE INTO _dnsmasq_chain
           SELECT $file, grp, arg_max(pair_key, line), arg_max(cname, line)
           FROM _staged WHERE kind = 'reply' AND reason IS NULL GROUP BY grp""",
        {"file": ctx.file},
    )


# A value that is a name (PTR data, printed without its type) answers the query's type.
_FAILED = t.ANSWERS_FAILED_SQL.replace(
    "{types}", "list_transform({types}, lambda x: coalesce(x, {qtype}))"
)


def load(ctx: LoadContext) -> tuple[int, int]:
    _stage(ctx)
    t.count_prefix_times(ctx)
    ctx.con.execute(
        f"""
        INSERT INTO dns_queries BY NAME
        SELECT ts, pf_name(m.name) AS qname,
               upper(regexp_extract(m.action, '\\[(\\w+)\\]', 1)) AS qtype, 'IN' AS qclass,
               coalesce(nullif(m.eclient, ''), m.value) AS client,
               pf_port(nullif(m.eport, '')) AS client_port,
               nullif(p.host, '') AS server, nullif(m.proto, '') AS transport,
               'dnsmasq' AS source_format,
               {t.json_compact({"id": "try_cast(nullif(m.id, '') AS BIGINT)", "pid": "pid",
                                "program": "program"})} AS extra,
               $file AS file, line
        FROM _staged WHERE reason IS NULL AND kind = 'query'
        """,
        {"file": ctx.file},
    )  # fmt: skip
    merged = pair.merge_replies(ctx, _FAILED, many=True)
    ctx.stage(
        "SELECT * REPLACE (CASE WHEN "
        f"{pair.unmatched()} THEN 'a dnsmasq reply line with no query line before it "
        "in the file' ELSE reason END AS reason) FROM _staged"
    )
    pair.note_merged(ctx, merged, "forwarded/reply/cached lines")
    return t.finish(ctx)


SOURCE = Source("dnsmasq", ("dns_queries",), sniff, load, "dnsmasq / Pi-hole log-queries")
