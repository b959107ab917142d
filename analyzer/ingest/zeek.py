"""Zeek ``dns.log``, TSV (with its ``#`` header) or JSON, to ``dns_queries``.

TSV columns come from the ``#fields`` header in force at each line (a file may
hold several header blocks, e.g. concatenated rotations), split on ``#separator``;
``#unset_field`` (``-``) is null and ``#empty_field`` (``(empty)``) an empty
value. Header lines define the columns: they count as loaded (the file's message
says how many) and make no row. A line before any ``#fields`` header is
quarantined; an appended file re-reads the header at the top of the file.

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
import zlib
from typing import Any

import pyarrow as pa

from . import dns_text as t
from .base import LoadContext, Source

# Columns with a canonical home; every other Zeek field goes to ``extra``.
_CANONICAL = [
    "ts",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "proto",
    "query",
    "qclass_name",
    "qtype_name",
    "rcode_name",
    "answers",
]
_DEFAULTS = {"sep": "\t", "set_sep": ",", "empty": "(empty)", "unset": "-"}
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


# -- the TSV header ----------------------------------------------------------------------
def _settings_sql(src: str) -> str:
    """Per header line of ``src``: the separators, unset/empty marks and columns in force.

    The row at line 0 carries what earlier chunks established (parameters).
    """
    decode = (
        "CASE WHEN regexp_full_match(value, '\\\\x[0-9a-fA-F]{2}') "
        "THEN chr(('0x' || value[3:])::INTEGER) ELSE value END"
    )
    last = "OVER (ORDER BY line ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
    return f"""
    WITH h AS (
        SELECT line, regexp_extract(text, '^#(\\w+)', 1) AS directive,
               substr(text, length(regexp_extract(text, '^#(\\w+)', 1)) + 3) AS value
        FROM {src} WHERE starts_with(text, '#')
    ), a AS (
        SELECT 0 AS line, 'state' AS directive, NULL AS value, $sep AS sep0, $set_sep AS set_sep0,
               $empty AS empty0, $unset AS unset0, $path AS path0,
               CAST($fields AS VARCHAR[]) AS fields_state, CAST($types AS VARCHAR[]) AS types_state
        UNION ALL
        SELECT line, directive, value,
               CASE WHEN directive = 'separator' THEN {decode} END,
               CASE WHEN directive = 'set_separator' THEN value END,
               CASE WHEN directive = 'empty_field' THEN value END,
               CASE WHEN directive = 'unset_field' THEN value END,
               CASE WHEN directive = 'path' THEN value END,
               NULL, NULL
        FROM h
    ), b AS (
        SELECT *, last_value(sep0 IGNORE NULLS) {last} AS sep FROM a
    ), c AS (
        SELECT line, sep,
            last_value(set_sep0 IGNORE NULLS) {last} AS set_sep,
            last_value(empty0 IGNORE NULLS) {last} AS empty,
            last_value(unset0 IGNORE NULLS) {last} AS unset,
            last_value(path0 IGNORE NULLS) {last} AS path,
            last_value(CASE WHEN directive = 'fields' THEN string_split(value, sep)
                            ELSE fields_state END IGNORE NULLS) {last} AS fields,
            last_value(CASE WHEN directive = 'types' THEN string_split(value, sep)
                            ELSE types_state END IGNORE NULLS) {last} AS types
        FROM b
    )
    SELECT line, sep AS z_sep, set_sep AS z_set_sep, empty AS z_empty, unset AS z_unset,
           path AS z_path, fields AS z_fields, types AS z_types,
           dense_rank() OVER (ORDER BY sep, set_sep, empty, unset, path, fields, types) AS combo
    FROM c
    """


def _state_params(ctx: LoadContext) -> dict[str, Any]:
    st = ctx.state.get("zeek", {})
    return {
        "sep": st.get("sep", _DEFAULTS["sep"]),
        "set_sep": st.get("set_sep", _DEFAULTS["set_sep"]),
        "empty": st.get("empty", _DEFAULTS["empty"]),
        "unset": st.get("unset", _DEFAULTS["unset"]),
        "path": st.get("path"),
        "fields": st.get("fields"),
        "types": st.get("types"),
    }


def _remember_settings(ctx: LoadContext) -> None:
    cur = ctx.con.execute(
        "SELECT z_sep AS sep, z_set_sep AS set_sep, z_empty AS empty, z_unset AS unset, "
        "z_path AS path, z_fields AS fields, z_types AS types FROM _zeek_set "
        "ORDER BY line DESC LIMIT 1"
    )
    names = [d[0] for d in cur.description]
    ctx.state["zeek"] = dict(zip(names, cur.fetchall()[0], strict=True))


def _head_lines(ctx: LoadContext) -> list[str]:
    """The header block at the top of the file (an append starts after it)."""
    if ctx.path is None:
        return []
    with ctx.path.open("rb") as fh:
        head = fh.read(64 * 1024)
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(wbits=31).decompress(head, 64 * 1024)
        except zlib.error:
            return []
    lines = []
    for raw in head.decode("utf-8", "replace").splitlines():  # a handful of header lines
        if not raw.startswith("#"):
            break
        lines.append(raw)
    return lines


def _seed_from_file_head(ctx: LoadContext) -> bool:
    """On an append, no header precedes the new lines: take the one at the top of the file.

    Returns whether a header was found there.
    """
    head = _head_lines(ctx)
    if not head:
        return False
    table = pa.table({"line": pa.array(range(1, len(head) + 1), pa.int64()), "text": head})
    ctx.con.register("_zeek_head", table)
    try:
        ctx.stage(_settings_sql("_zeek_head"), _state_params(ctx), "_zeek_set")
    finally:
        ctx.con.unregister("_zeek_head")
    _remember_settings(ctx)
    return True


def _read_header(ctx: LoadContext) -> None:
    """The header settings in force at every line of the chunk (``_zeek_set``)."""
    ctx.stage(_settings_sql("_good"), _state_params(ctx), "_zeek_set")


_INTS = {"count", "int", "port"}
_FLOATS = {"double", "interval", "time"}


def _number(x: str, ztype: str) -> str:
    """SQL: a count/int/port strictly (``pf_int``: 1.5 is no count, not 2), else a double."""
    return f"pf_int({x})" if ztype in _INTS else f"try_cast({x} AS DOUBLE)"


def _json_value(x: str, ztype: str, s: dict[str, Any]) -> str:
    """SQL: the JSON value of a TSV field ``x`` of Zeek type ``ztype`` (null when unset)."""
    inner = re.fullmatch(r"(?:vector|set)\[(\w+)\]", ztype)
    if inner:
        elem = inner.group(1)
        items = f"string_split({x}, {t.sql_str(s['set_sep'])})"
        if elem in _INTS or elem in _FLOATS:
            items = f"list_transform({items}, lambda y: {_number('y', elem)})"
        typed, empty = f"to_json({items})", "'[]'::JSON"
    else:
        if ztype == "bool":
            typed = f"to_json({x} = 'T')"
        elif ztype in _INTS or ztype in _FLOATS:
            typed = f"to_json({_number(x, ztype)})"
        else:
            typed = f"to_json({x})"
        empty = "'\"\"'::JSON"
    return (
        f"CASE WHEN {x} = {t.sql_str(s['unset'])} THEN NULL "
        f"WHEN {x} = {t.sql_str(s['empty'])} THEN {empty} ELSE {typed} END"
    )


def _tsv_select(combo: int, s: dict[str, Any]) -> str:
    """SQL: parse the TSV rows of one header combination, its columns known in advance.

    The header is data from the file: names and marks only enter the SQL as quoted
    literals, positions as integers.
    """
    fields: list[str] = list(s["fields"])
    types: list[str] = list(s["types"] or []) if len(s["types"] or []) == len(fields) else []
    pos = {f: i + 1 for i, f in reversed(list(enumerate(fields)))}
    unset, empty, set_sep = (t.sql_str(s[k]) for k in ("unset", "empty", "set_sep"))

    def col(name: str) -> str:
        i = pos.get(name)
        return f"nullif(vals[{i}], {unset})" if i else "NULL::VARCHAR"

    bad = "NULL"
    if s["path"] not in (None, "dns"):
        bad = t.sql_str(f"a Zeek {s['path']} log line, not dns.log")
    elif "ts" not in pos or "query" not in pos:
        bad = t.sql_str("the #fields header names no ts or no query column")
    extra = (
        t.json_compact(
            {
                f: _json_value(f"vals[{i + 1}]", types[i] if types else "string", s)
                for i, f in enumerate(fields)
                if f not in _CANONICAL
            }
        )
        if any(f not in _CANONICAL for f in fields)
        else "NULL::JSON"
    )
    answers = col("answers")
    return f"""
        SELECT line, text, false AS header,
            {col("ts")} AS ts_raw, {col("query")} AS qname_raw, {col("qtype_name")} AS qtype,
            {col("qclass_name")} AS qclass, {col("rcode_name")} AS rcode,
            CASE WHEN {answers} IS NULL OR {answers} = {empty}
                 THEN CASE WHEN {col("rcode_name")} IS NOT NULL THEN []::VARCHAR[] END
                 ELSE string_split({answers}, {set_sep}) END AS answers,
            {col("TC")} = 'T' AS tc, {col("id.orig_h")} AS client,
            {col("id.orig_p")} AS client_port, {col("id.resp_h")} AS server,
            {col("proto")} AS transport,
            CASE WHEN len(vals) = {len(fields)} THEN {extra} END AS extra,
            coalesce({bad}, CASE WHEN len(vals) <> {len(fields)}
                THEN len(vals) || ' values where #fields names {len(fields)}' END) AS bad
        FROM (SELECT line, text, string_split(text, {t.sql_str(s["sep"])}) AS vals
              FROM _zeek_rows WHERE combo = {int(combo)} AND NOT header)
    """


def _tsv_sql(ctx: LoadContext) -> str:
    """SQL: the TSV lines of the chunk, one parse per distinct header in force."""
    ctx.stage(
        """SELECT d.line, d.text, starts_with(d.text, '#') AS header, z.combo
           FROM _good d ASOF JOIN _zeek_set z ON d.line >= z.line
           WHERE NOT starts_with(ltrim(d.text), '{')""",
        name="_zeek_rows",
    )
    cur = ctx.con.execute(
        """SELECT DISTINCT combo, z_sep AS sep, z_set_sep AS set_sep, z_empty AS empty,
                  z_unset AS unset, z_path AS path, z_fields AS fields, z_types AS types
           FROM _zeek_set WHERE z_fields IS NOT NULL
             AND combo IN (SELECT combo FROM _zeek_rows WHERE NOT header)
           ORDER BY combo"""
    )
    names = [d[0] for d in cur.description]
    combos = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    parts = [_tsv_select(c["combo"], c) for c in combos]
    parsed = ", ".join(str(int(c["combo"])) for c in combos)
    others = f"combo NOT IN ({parsed})" if parsed else "true"
    nulls = (
        "NULL::VARCHAR AS ts_raw, NULL::VARCHAR AS qname_raw, NULL::VARCHAR AS qtype, "
        "NULL::VARCHAR AS qclass, NULL::VARCHAR AS rcode, NULL::VARCHAR[] AS answers, "
        "NULL::BOOLEAN AS tc, NULL::VARCHAR AS client, NULL::VARCHAR AS client_port, "
        "NULL::VARCHAR AS server, NULL::VARCHAR AS transport, NULL::JSON AS extra"
    )
    parts.append(
        f"""SELECT line, text, header, {nulls},
               CASE WHEN NOT header THEN 'Zeek TSV line before any #fields header' END AS bad
            FROM _zeek_rows WHERE header OR {others}"""
    )
    return "\nUNION ALL\n".join(parts)


def _stage(ctx: LoadContext) -> None:
    known = "[" + ", ".join(t.sql_str(f) for f in _CANONICAL) + "]"
    tsv = _tsv_sql(ctx)
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
    _read_header(ctx)
    # TSV lines before any header: an append (or a file with none at all).
    headless = first_chunk and ctx.count(
        "SELECT count(*) FROM _good WHERE NOT starts_with(text, '#') "
        "AND NOT starts_with(ltrim(text), '{') "
        "AND line < coalesce((SELECT min(line) FROM _zeek_set WHERE z_fields IS NOT NULL), "
        "9223372036854775807)"
    )
    if headless and _seed_from_file_head(ctx):
        _read_header(ctx)
    _remember_settings(ctx)
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
