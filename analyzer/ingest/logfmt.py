"""The logfmt grammar as set-based SQL, for any set of keys (Enactor logs, profiles).

A record of plain ``key=value`` pairs (single spaces, no quotes, backslashes or ``=``
in values: almost every line) is rewritten into a JSON object with two ``replace``
calls and read with one ``from_json``; any other record is split with the full logfmt
grammar (``regexp_extract_all``, much slower) and goes through the same JSON step.
"""

from __future__ import annotations

import json

KEY = r"[A-Za-z_][A-Za-z0-9_.\-]*"
_VALUE = r'"(?:[^"\\]|\\.)*"|[^\s"]*'
_PAIR = rf"({KEY})=({_VALUE})"
LINE = rf"\s*(?:{KEY}=(?:{_VALUE})(?:\s+|$))*"


def sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def parse_sql(keys: list[str], lines: str = "_LINES_") -> str:
    """A query over ``lines`` (``line``, ``text``) giving, per line: ``"raw_<key>"`` for
    each of ``keys`` (null when absent), ``odd`` (other keys, or one twice: the lists
    ``all_keys``/``all_values`` then hold every pair) and ``logfmt_error`` (the reason
    it is not a logfmt record, else null), beside ``line``, ``text`` and ``fast``.
    """
    struct = sql_str(json.dumps(dict.fromkeys(keys, "VARCHAR")))
    raw_cols = ", ".join(f'r."{key}" AS "raw_{key}"' for key in keys)
    present = " + ".join(f'("raw_{key}" IS NOT NULL)::INTEGER' for key in keys)
    # A plain record holds nothing but these keys, each once, exactly when its length is
    # that of their pairs (``key=value`` and one space each).
    pairs_len = " + ".join(f'coalesce(strlen("raw_{key}") + {len(key) + 2}, 0)' for key in keys)
    pair = sql_str(_PAIR)
    keys_sql = f"regexp_extract_all(text, {pair}, 1)"
    values_sql = f"""list_transform(regexp_extract_all(text, {pair}, 2),
        lambda x: CASE WHEN starts_with(x, '"')
                       THEN regexp_replace(x[2:-2], '\\\\(.)', '\\1', 'g') ELSE x END)"""
    return f"""
    WITH plain AS (
        -- no quotes or backslashes: single spaces and one '=' per pair make it a JSON
        -- object of strings by text replacement (anything else fails as JSON)
        SELECT line, text,
            CASE WHEN NOT contains(text, '"') AND NOT contains(text, '\\')
                 THEN try(from_json(
                     '{{"' || replace(replace(text, '=', '":"'), ' ', '","') || '"}}', {struct}))
            END AS r
        FROM {lines}
    ), kv AS (
        -- the other records: the full logfmt grammar
        SELECT line, text, r,
            CASE WHEN r IS NULL AND regexp_full_match(text, {sql_str(LINE)})
                 THEN {keys_sql} END AS k,
            CASE WHEN k IS NOT NULL THEN {values_sql} END AS v
        FROM plain
    ), raw AS (
        SELECT line, text, k, v, fast, {raw_cols},
            -- keys beyond these, or a key twice (rare): needs a closer look
            CASE WHEN fast THEN strlen(text) + 1 <> {pairs_len}
                 ELSE len(k) <> {present} END AS odd
        FROM (SELECT line, text, k, v, r IS NOT NULL AS fast,
                  CASE WHEN r IS NOT NULL THEN r
                       WHEN k IS NOT NULL THEN from_json('{{' || array_to_string(
                           list_transform(k, lambda x, i: to_json(x) || ':' || to_json(v[i])),
                           ',') || '}}', {struct})
                  END AS r
              FROM kv)
    ), odd AS (
        SELECT *,
            CASE WHEN odd AND fast THEN regexp_full_match(text, {sql_str(LINE)}) END AS grammar,
            CASE WHEN odd THEN coalesce(k, {keys_sql}) END AS all_keys,
            CASE WHEN odd THEN coalesce(v, {values_sql}) END AS all_values
        FROM raw
    )
    SELECT *,
        CASE WHEN k IS NULL AND NOT fast THEN 'not a logfmt record'
             WHEN odd AND fast AND NOT grammar THEN 'not a logfmt record'
             WHEN odd AND len(list_distinct(all_keys)) <> len(all_keys)
                 THEN 'a key appears twice'
        END AS logfmt_error
    FROM odd
    """
