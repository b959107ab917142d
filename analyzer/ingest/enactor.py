"""Enactor log (logfmt), parsed with vectorized regular expressions in DuckDB.

One ``regexp_extract_all`` pass yields the keys and another the values of every
record; known keys become typed columns, the others are kept in ``extra``. A record
is quarantined when it is not logfmt, repeats a key, lacks a key its event needs, or
holds a value of the wrong type.
"""

from __future__ import annotations

import re

from .base import LoadContext, Source

_KEY = r"[A-Za-z_][A-Za-z0-9_.\-]*"
_VALUE = r'"(?:[^"\\]|\\.)*"|[^\s"]*'
_PAIR = rf"({_KEY})=({_VALUE})"
_LINE = rf"\s*(?:{_KEY}=(?:{_VALUE})(?:\s+|$))*"

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
    known = "[" + ", ".join(_sql_str(k) for k in TYPED_KEYS) + "]"
    raw_cols = ",\n".join(
        f'v[list_position(k, {_sql_str(key)})] AS "raw_{key}"' for key in TYPED_KEYS
    )
    typed_cols = ",\n".join(
        f'try_cast("raw_{key}" AS {typ}) AS "{key}"'
        if typ != "VARCHAR"
        else f'"raw_{key}" AS "{key}"'
        for key, typ in TYPED_KEYS.items()
    )
    type_checks = "\n".join(
        f'WHEN "raw_{key}" IS NOT NULL AND try_cast("raw_{key}" AS {typ}) IS NULL '
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
    return f"""
    WITH kv AS (
        SELECT line, text,
               regexp_full_match(text, {_sql_str(_LINE)}) AS well_formed,
               regexp_extract_all(text, {pair}, 1) AS k,
               list_transform(regexp_extract_all(text, {pair}, 2),
                   lambda x: CASE WHEN starts_with(x, '"')
                                  THEN regexp_replace(x[2:-2], '\\\\(.)', '\\1', 'g')
                                  ELSE x END) AS v
        FROM _good
    ), cols AS (
        SELECT line, text, well_formed, k, v, {raw_cols}
        FROM kv
    )
    SELECT line, text, pf_ts("raw_ts", $tz) AS ts_parsed, {typed_cols},
        CASE WHEN NOT list_has_all({known}, k)
             THEN map_from_entries(list_filter(list_zip(k, v),
                      lambda e: NOT list_contains({known}, e[1])))
             ELSE NULL END AS extra,
        CASE
            WHEN NOT well_formed THEN 'not a logfmt record'
            WHEN len(list_distinct(k)) <> len(k) THEN 'a key appears twice'
            WHEN "raw_ts" IS NULL THEN 'lacks key ts'
            WHEN pf_ts("raw_ts", $tz) IS NULL THEN 'unparseable timestamp ts=' || "raw_ts"
            WHEN "raw_host" IS NULL OR "raw_host" = '' THEN 'lacks key host'
            WHEN "raw_event" IS NULL OR "raw_event" = '' THEN 'lacks key event'
            {required_checks}
            {type_checks}
        END AS reason
    FROM cols
    """


_PARSE_SQL = _parse_sql()


def load(ctx: LoadContext) -> tuple[int, int]:
    ctx.con.execute(f"CREATE OR REPLACE TEMP TABLE _staged AS {_PARSE_SQL}", {"tz": ctx.assume_tz})
    ctx.count_zoneless('"ts"')
    columns = [k for k in TYPED_KEYS if k != "ts"]
    select = ", ".join(f'pf_name("{c}") AS "{c}"' if c == "endpoint" else f'"{c}"' for c in columns)
    ctx.con.execute(
        f"""
        INSERT INTO enactor_events BY NAME
        SELECT ts_parsed AS ts, {select}, extra, ? AS file, line
        FROM _staged WHERE reason IS NULL
        """,
        [ctx.file],
    )
    loaded = ctx.count("SELECT count(*) FROM _staged WHERE reason IS NULL")
    return loaded, ctx.quarantine_staged()


SOURCE = Source("enactor", ("enactor_events",), sniff, load, "Enactor logfmt")
