"""Enactor log (logfmt), parsed set-based in DuckDB.

The logfmt grammar is ``logfmt.parse_sql`` (a fast path for plain records, the full
grammar for the others). Known keys become typed columns, the others are kept in
``extra``. A record is quarantined when it is not logfmt, repeats a key, lacks a key
its event needs, or holds a value of the wrong type.
"""

from __future__ import annotations

import re

from . import logfmt
from .base import LoadContext, Source, insert_parsed
from .logfmt import sql_str as _sql_str

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


_KIND = {"BIGINT": "an integer", "INTEGER": "an integer", "DOUBLE": "a number"}


def _typed(key: str, typ: str) -> str:
    """The typed value of a key: integers strictly (``pf_int``), numbers by cast."""
    if typ == "VARCHAR":
        return f'"raw_{key}"'
    if typ in ("BIGINT", "INTEGER"):
        return f'try_cast(pf_int("raw_{key}") AS {typ})'
    return f'try_cast("raw_{key}" AS {typ})'


def _parse_sql() -> str:
    """The parse of ``_LINES_`` (see ``base.insert_parsed``): typed columns and reason."""
    known = "[" + ", ".join(_sql_str(k) for k in TYPED_KEYS) + "]"
    typed_cols = ",\n".join(f'{_typed(key, typ)} AS "{key}"' for key, typ in TYPED_KEYS.items())
    type_checks = "\n".join(
        f'WHEN "raw_{key}" IS NOT NULL AND "{key}" IS NULL '
        f"THEN '{key} is not {_KIND[typ]}: ' || \"raw_{key}\""
        for key, typ in TYPED_KEYS.items()
        if typ != "VARCHAR"
    )
    required_checks = "\n".join(
        f'WHEN "raw_event" = {_sql_str(ev)} AND "raw_{key}" IS NULL '
        f"THEN {_sql_str(f'{ev} lacks key {key}')}"
        for ev, keys in REQUIRED.items()
        for key in keys
    )
    columns = [k for k in TYPED_KEYS if k != "ts"]
    insert_cols = ", ".join(
        f'pf_name("{c}") AS "{c}"' if c == "endpoint" else f'"{c}"' for c in columns
    )
    return f"""
    WITH typed AS (
        SELECT *, pf_ts("raw_ts", $tz) AS ts_parsed, {typed_cols}
        FROM ({logfmt.parse_sql(list(TYPED_KEYS))})
    ), checked AS (
        SELECT *,
            CASE
                WHEN logfmt_error IS NOT NULL THEN logfmt_error
                WHEN "raw_ts" IS NULL THEN 'lacks key ts'
                WHEN ts_parsed IS NULL THEN 'unparseable timestamp ts=' || "raw_ts"
                WHEN "raw_host" IS NULL OR "raw_host" = '' THEN 'lacks key host'
                WHEN "raw_event" IS NULL OR "raw_event" = '' THEN 'lacks key event'
                {required_checks}
                {type_checks}
            END AS reason
        FROM typed
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


SOURCE = Source(
    "enactor", ("enactor_events",), sniff, load, "Enactor logfmt", single_scan=True, batchable=True
)
