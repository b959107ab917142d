"""Zeek's TSV form: the ``#`` header directives in force at each line of a chunk
(``_zeek_set``, carried across chunks in ``ctx.state``), and the parse of the lines
under each distinct header into the columns ``zeek`` loads (see ``zeek``).
"""

from __future__ import annotations

import re
import zlib
from typing import Any

import pyarrow as pa

from . import dns_text as t
from .base import LoadContext

# Columns with a canonical home; every other Zeek field goes to ``extra``.
CANONICAL = [
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


def remember_settings(ctx: LoadContext) -> None:
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


def seed_from_file_head(ctx: LoadContext) -> bool:
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
    remember_settings(ctx)
    return True


def read_header(ctx: LoadContext) -> None:
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
                if f not in CANONICAL
            }
        )
        if any(f not in CANONICAL for f in fields)
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


def tsv_sql(ctx: LoadContext) -> str:
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
