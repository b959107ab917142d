"""Enactor log (logfmt), parsed set-based in DuckDB.

A record of plain ``key=value`` pairs (single spaces, no quotes, backslashes or ``=``
in values: almost every line) is rewritten into a JSON object with two ``replace``
calls and read with one ``from_json``; any other record is split with the full logfmt
grammar (``regexp_extract_all``, much slower) and goes through the same JSON step.
Known keys become typed columns, the others are kept in ``extra``. A record is
quarantined when it is not logfmt, repeats a key, lacks a key its event needs, or
holds a value of the wrong type.
"""

from __future__ import annotations

import json
import re

from .base import LoadContext, Source, insert_parsed

_KEY = r"[A-Za-z_][A-Za-z0-9_.\-]*"
_VALUE = r'"(?:[^"\\]|\\.)*"|[^\s"]*'
_PAIR = rf"({_KEY})=({_VALUE})"
_LINE = rf"\s*(?:{_KEY}=(?:{_VALUE})(?:\s+|$))*"
# The common case, which becomes JSON by text replacement: single spaces between pairs,
# values without white space, control characters, quotes, backslashes or ``=``.
_PLAIN_VALUE = r'[^\x00-\x20"=\\\x7f]*'
_PLAIN = rf"{_KEY}={_PLAIN_VALUE}(?: {_KEY}={_PLAIN_VALUE})*"

# key -> DuckDB type of its typed column
TYPED_KEYS: dict[str, str] = {
    "ts": "VARCHAR",
    "level": "VARCHAR",
    "host": "VARCHAR",
    "event": "VARCHAR",
    "generation": "BIGINT",
    "current_generation": "BIGINT",
    "verdict": "VARCHAR",
    "endpoint": "VARCHAR",
    "attempt": "INTEGER",
    "status": "VARCHAR",
    "latency_ms": "DOUBLE",
    "error": "VARCHAR",
    "change_id": "VARCHAR",
    "endpoints_ok": "INTEGER",
    "endpoints_failed": "INTEGER",
    "duration_ms": "DOUBLE",
    "applied_generation": "BIGINT",
    "keep": "BIGINT",
    "holder": "VARCHAR",
    "backoff_ms": "DOUBLE",
}

# event -> keys it cannot be understood without (log-formats.md, section 2)
REQUIRED: dict[str, tuple[str, ...]] = {
    "plan_check": ("generation", "current_generation", "verdict"),
    "plan_skip": ("generation", "current_generation"),
    "apply_start": ("generation",),
    "endpoint_update": ("generation", "endpoint", "status"),
    "apply_done": ("generation",),
    "cleanup_start": ("applied_generation",),
    "plan_delete": ("generation",),
    "lock_acquire": ("endpoint", "status"),
}

_SNIFF = re.compile(r"(?:^|\s)event=\S")


def sniff(line: str) -> bool:
    return not line.startswith(("{", "#")) and "ts=" in line and bool(_SNIFF.search(line))


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _parse_sql() -> str:
    """The parse of ``_LINES_`` (see ``base.insert_parsed``): typed columns and reason."""
    known = "[" + ", ".join(_sql_str(k) for k in TYPED_KEYS) + "]"
    struct = _sql_str(json.dumps(dict.fromkeys(TYPED_KEYS, "VARCHAR")))
    raw_cols = ",\n".join(f'r."{key}" AS "raw_{key}"' for key in TYPED_KEYS)
    typed_cols = ",\n".join(
        f'try_cast("raw_{key}" AS {typ}) AS "{key}"'
        if typ != "VARCHAR"
        else f'"raw_{key}" AS "{key}"'
        for key, typ in TYPED_KEYS.items()
    )
    present = " + ".join(f'("raw_{key}" IS NOT NULL)::INTEGER' for key in TYPED_KEYS)
    # A plain record holds nothing but typed keys, each once, exactly when its length is
    # that of its typed pairs (``key=value`` and one space each).
    pairs_len = " + ".join(
        f'coalesce(strlen("raw_{key}") + {len(key) + 2}, 0)' for key in TYPED_KEYS
    )
    type_checks = "\n".join(
        f'WHEN "raw_{key}" IS NOT NULL AND "{key}" IS NULL '
        f"THEN '{key} is not a number: ' || \"raw_{key}\""
        for key, typ in TYPED_KEYS.items()
        if typ != "VARCHAR"
    )
    required_checks = "\n".join(
        f'WHEN "raw_event" = {_sql_str(ev)} AND "raw_{key}" IS NULL '
        f"THEN {_sql_str(f'{ev} lacks key {key}')}"
        for ev, keys in REQUIRED.items()
        for key in keys
    )
    pair = _sql_str(_PAIR)
    keys_sql = f"regexp_extract_all(text, {pair}, 1)"
    values_sql = f"""list_transform(regexp_extract_all(text, {pair}, 2),
        lambda x: CASE WHEN starts_with(x, '"')
                       THEN regexp_replace(x[2:-2], '\\\\(.)', '\\1', 'g') ELSE x END)"""
    columns = [k for k in TYPED_KEYS if k != "ts"]
    insert_cols = ", ".join(
        f'pf_name("{c}") AS "{c}"' if c == "endpoint" else f'"{c}"' for c in columns
    )
    return f"""
    WITH plain AS (
        -- no quotes or backslashes: single spaces and one '=' per pair make it a JSON
        -- object of strings by text replacement (anything else fails as JSON)
        SELECT line, text,
            CASE WHEN NOT contains(text, '"') AND NOT contains(text, '\\')
                 THEN try(from_json(
                     '{{"' || replace(replace(text, '=', '":"'), ' ', '","') || '"}}', {struct}))
            END AS r
        FROM _LINES_
    ), kv AS (
        -- the other records: the full logfmt grammar
        SELECT line, text, r,
            CASE WHEN r IS NULL AND regexp_full_match(text, {_sql_str(_LINE)})
                 THEN {keys_sql} END AS k,
            CASE WHEN k IS NOT NULL THEN {values_sql} END AS v
        FROM plain
    ), raw AS (
        SELECT line, text, k, v, fast, {raw_cols}
        FROM (SELECT line, text, k, v, r IS NOT NULL AS fast,
                  CASE WHEN r IS NOT NULL THEN r
                       WHEN k IS NOT NULL THEN from_json('{{' || array_to_string(
                           list_transform(k, lambda x, i: to_json(x) || ':' || to_json(v[i])),
                           ',') || '}}', {struct})
                  END AS r
              FROM kv)
    ), typed AS (
        SELECT *, pf_ts("raw_ts", $tz) AS ts_parsed, {typed_cols},
            -- keys beyond the typed ones, or a key twice (rare): needs a closer look
            CASE WHEN fast THEN strlen(text) + 1 <> {pairs_len}
                 ELSE len(k) <> {present} END AS odd
        FROM raw
    ), odd AS (
        SELECT *,
            CASE WHEN odd AND fast THEN regexp_full_match(text, {_sql_str(_LINE)}) END AS grammar,
            CASE WHEN odd THEN coalesce(k, {keys_sql}) END AS all_keys,
            CASE WHEN odd THEN coalesce(v, {values_sql}) END AS all_values
        FROM typed
    ), checked AS (
        SELECT *,
            CASE
                WHEN "raw_ts" IS NULL AND k IS NULL AND NOT fast THEN 'not a logfmt record'
                WHEN odd AND fast AND NOT grammar THEN 'not a logfmt record'
                WHEN odd AND len(list_distinct(all_keys)) <> len(all_keys)
                    THEN 'a key appears twice'
                WHEN "raw_ts" IS NULL THEN 'lacks key ts'
                WHEN ts_parsed IS NULL THEN 'unparseable timestamp ts=' || "raw_ts"
                WHEN "raw_host" IS NULL OR "raw_host" = '' THEN 'lacks key host'
                WHEN "raw_event" IS NULL OR "raw_event" = '' THEN 'lacks key event'
                {required_checks}
                {type_checks}
            END AS reason
        FROM odd
    )
    SELECT line, reason, CASE WHEN reason IS NOT NULL THEN text END AS raw,
        NOT pf_has_zone("raw_ts") AS zoneless,
        ts_parsed AS ts, {insert_cols},
        -- keys beyond the typed ones, as logged
        CASE WHEN reason IS NULL AND odd
             THEN map_from_entries(list_filter(list_zip(all_keys, all_values),
                                               lambda e: NOT list_contains({known}, e[1])))
        END AS extra
    FROM checked
    """


_PARSE_SQL = _parse_sql()


def load(ctx: LoadContext) -> tuple[int, int]:
    row = "* EXCLUDE (reason, raw, zoneless), $file AS file"
    params = {"tz": ctx.assume_tz, "file": ctx.file}
    return insert_parsed(ctx, _PARSE_SQL, "enactor_events", row, params)


SOURCE = Source("enactor", ("enactor_events",), sniff, load, "Enactor logfmt", single_scan=True)
