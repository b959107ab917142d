"""Zeek ``dns.log``, TSV (with its ``#`` header) or JSON, to ``dns_queries``.

TSV columns come from the ``#fields`` header in force at each line (a file may
hold several header blocks, e.g. concatenated rotations), split on ``#separator``;
``#unset_field`` (``-``) is null and ``#empty_field`` (``(empty)``) an empty
value. Header lines define the columns: they count as loaded (the file's message
says how many) and make no row. A line before any ``#fields`` header is
quarantined; an appended file re-reads the header at the top of the file (the TSV
header and its parse: ``zeek_tsv``).

Zeek answers carry no record types, so ``answer_types`` stays null and the
failure rule of log-formats.md 4a judges each answer by its shape: an IPv4 address
is an A record, an IPv6 address an AAAA record, and any other answer is a CNAME
when the query asked for A/AAAA, else a record of the type asked. So an A query
whose answers are only names (a CNAME chain with no address) failed. With an rcode
and no answers, the answer section was empty (NODATA when NOERROR), except when the
reply was truncated (``TC``): the client retries over TCP, so ``failed`` is null. A
query Zeek saw no reply to has no rcode: ``failed`` is null. A reply Zeek saw without its
query has no ``qtype``: an address among the answers resolved, NOERROR with no answer
did not (NODATA), names alone (a CNAME chain, or PTR data?) leave ``failed`` null.
Zeek's ``*`` query type is ``ANY``. A JSON line exported by Splunk (the record in
``result._raw``) is read as the record it holds.
"""

from __future__ import annotations

import json
import re

from . import dns_text as t
from .base import LoadContext, Source
from .zeek_tsv import CANONICAL, read_header, remember_settings, seed_from_file_head, tsv_sql

_JSON_STRUCT = json.dumps(
    {
        "ts": "VARCHAR",
        "id.orig_h": "VARCHAR",
        "id.orig_p": "VARCHAR",
        "id.resp_h": "VARCHAR",
        "proto": "VARCHAR",
        "query": "VARCHAR",
        "qclass_name": "VARCHAR",
        "qtype_name": "VARCHAR",
        "rcode_name": "VARCHAR",
        "answers": ["VARCHAR"],
        "TC": "BOOLEAN",
        "_path": "VARCHAR",
    }
)
# Zeek's class names, as the other formats write them.
_CLASSES = (
    "MAP {'C_INTERNET': 'IN', 'C_CSNET': 'CS', 'C_CHAOS': 'CH', 'C_HESIOD': 'HS', "
    "'C_NONE': 'NONE', 'C_ANY': 'ANY'}"
)

_SNIFF_HEADER = re.compile(r"^#(?:path.dns\s*$|fields.+\bquery\b.*\bqtype)")  # any separator
_SNIFF_TSV = re.compile(r"^\d+(?:\.\d+)?\t\S+\t\S+\t\d+\t\S+\t\d+\t(?:udp|tcp)\t\d+\t")


def sniff(line: str) -> bool:
    if line.startswith("{"):
        return '"id.orig_h"' in line and '"trans_id"' in line and '"query' in line
    return bool(_SNIFF_HEADER.match(line) or _SNIFF_TSV.match(line))


def _ts_sql(s: str) -> str:
    """Zeek times: epoch seconds (TSV, JSON), epoch milliseconds (JSON::TS_MILLIS), or ISO.

    NULL when out of range (``pf_epoch``, ``pf_ts``): the line is quarantined.
    """
    x = f"try_cast({s} AS DOUBLE)"
    return f"""CASE
        WHEN regexp_full_match({s}, '\\d+(\\.\\d+)?')
            THEN CASE WHEN {x} > 1e11 THEN pf_epoch({x} / 1000) ELSE pf_epoch({x}) END
        ELSE pf_ts({s}, $tz) END"""


def _failed_sql(rcode: str, qtype: str, answers: str, tc: str) -> str:
    shape = """CASE
            WHEN regexp_full_match(a, '\\d{1,3}(\\.\\d{1,3}){3}') THEN 'A'
            WHEN contains(a, ':') AND regexp_full_match(a, '[0-9A-Fa-f:.]+') THEN 'AAAA'
            END"""
    types = f"""list_transform({answers}, lambda a: coalesce({shape},
            CASE WHEN upper({qtype}) IN ('A', 'AAAA') THEN 'CNAME' ELSE upper({qtype}) END))"""
    failed = t.ANSWERS_FAILED_SQL.format(rcode=rcode, qtype=qtype, types=types)
    # A reply seen without its query has no qtype: an address answer resolved, an empty
    # answer section did not; names alone (a CNAME chain, or PTR/SRV data?) cannot tell.
    reply_only = f"""CASE WHEN upper({rcode}) <> 'NOERROR' OR len({answers}) = 0 THEN true
            WHEN list_bool_or(list_transform({answers}, lambda a: {shape} IS NOT NULL))
            THEN false END"""
    return f"""CASE WHEN coalesce({tc}, false) AND len({answers}) = 0 THEN NULL
                    WHEN {qtype} IS NULL AND {rcode} IS NOT NULL THEN {reply_only}
                    ELSE {failed} END"""


def _stage(ctx: LoadContext) -> None:
    known = "[" + ", ".join(t.sql_str(f) for f in CANONICAL) + "]"
    tsv = tsv_sql(ctx)
    ctx.stage(
        f"""
        WITH tsv_rows AS (
            {tsv}
        ), jp AS (
            -- a Splunk export wraps the Zeek record in result._raw
            SELECT line, text,
                   coalesce(CASE WHEN contains(text, '"_raw"')
                                 THEN try(json_extract_string(text, '$.result._raw')) END,
                            text) AS doc,
                   coalesce(try(json_type(doc)) = 'OBJECT', false) AS ok,
                   from_json(CASE WHEN ok THEN doc END, '{_JSON_STRUCT}') AS r
            FROM _good WHERE starts_with(ltrim(text), '{{')
        ), json_rows AS (
            SELECT line, text, false AS header, r.ts AS ts_raw, r.query AS qname_raw,
                r.qtype_name AS qtype, r.qclass_name AS qclass, r.rcode_name AS rcode,
                CASE WHEN r.answers IS NULL AND r.rcode_name IS NOT NULL THEN []::VARCHAR[]
                     ELSE r.answers END AS answers,
                r.TC AS tc,
                r."id.orig_h" AS client, r."id.orig_p" AS client_port,
                r."id.resp_h" AS server, r.proto AS transport,
                pf_json_rest(CASE WHEN ok THEN doc END, {known}) AS extra,
                CASE WHEN NOT ok THEN 'invalid JSON'
                     WHEN r._path IS NOT NULL AND r._path <> 'dns'
                        THEN 'a Zeek ' || r._path || ' log line, not dns.log'
                END AS bad
            FROM jp
        ), u AS (
            SELECT * FROM tsv_rows UNION ALL SELECT * FROM json_rows
        )
        SELECT *, {_ts_sql("ts_raw")} AS ts,
            CASE
                WHEN bad IS NOT NULL THEN bad
                WHEN header THEN NULL
                WHEN ts_raw IS NULL THEN '{t.NO_TIME}'
                WHEN {_ts_sql("ts_raw")} IS NULL THEN 'unparseable timestamp ts=' || ts_raw
                WHEN client_port IS NOT NULL AND pf_port(client_port) IS NULL
                    THEN 'id.orig_p is not a port number: ' || client_port
                WHEN coalesce(pf_name(qname_raw), '') = ''
                    THEN 'no query name (a DNS message without a question)'
            END AS reason
        FROM u
        """,
        {"tz": ctx.assume_tz},
    )


def load(ctx: LoadContext) -> tuple[int, int]:
    first_chunk = "zeek" not in ctx.state
    read_header(ctx)
    # TSV lines before any header: an append (or a file with none at all).
    headless = first_chunk and ctx.count(
        "SELECT count(*) FROM _good WHERE NOT starts_with(text, '#') "
        "AND NOT starts_with(ltrim(text), '{') "
        "AND line < coalesce((SELECT min(line) FROM _zeek_set WHERE z_fields IS NOT NULL), "
        "9223372036854775807)"
    )
    if headless and seed_from_file_head(ctx):
        read_header(ctx)
    remember_settings(ctx)
    _stage(ctx)
    # Epoch times are UTC; only ISO times written without a zone are read in --assume-tz.
    ctx.zoneless += ctx.count(
        "SELECT count(*) FROM _staged WHERE reason IS NULL AND NOT header "
        "AND NOT regexp_full_match(ts_raw, '[0-9.]+') AND NOT pf_has_zone(ts_raw)"
    )
    qtype = "CASE WHEN qtype = '*' THEN 'ANY' ELSE upper(qtype) END"
    failed = _failed_sql("rcode", qtype, "answers", "tc")
    ctx.con.execute(
        f"""
        INSERT INTO dns_queries BY NAME
        SELECT ts, pf_name(qname_raw) AS qname, {qtype} AS qtype,
               coalesce({_CLASSES}[qclass], qclass) AS qclass, upper(rcode) AS rcode,
               list_transform(answers, lambda a: pf_answer(a)) AS answers,
               {failed} AS failed, client,
               pf_port(client_port) AS client_port, server,
               upper(transport) AS transport, 'zeek' AS source_format,
               extra, ? AS file, line
        FROM _staged WHERE reason IS NULL AND NOT header
        """,
        [ctx.file],
    )
    headers = ctx.count("SELECT count(*) FROM _staged WHERE reason IS NULL AND header")
    t.add_to_note(
        ctx,
        "headers",
        headers,
        "{n} Zeek header lines (#fields, #types, ...) define the columns and count as loaded",
    )
    return t.finish(ctx)


SOURCE = Source("zeek", ("dns_queries",), sniff, load, "Zeek dns.log (TSV or JSON)")
