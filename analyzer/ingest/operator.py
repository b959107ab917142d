"""Operator log (JSON Lines): actions taken by hand, to ``operator_actions``."""

from __future__ import annotations

import json

from .base import LoadContext, Source

_STRUCT = json.dumps(
    {
        "ts": "VARCHAR",
        "actor": "VARCHAR",
        "action": "VARCHAR",
        "endpoint": "VARCHAR",
        "generation": "BIGINT",
        "note": "VARCHAR",
    }
)


def sniff(line: str) -> bool:
    return line.startswith("{") and '"component":"operator"' in line.replace(" ", "")


def load(ctx: LoadContext) -> tuple[int, int]:
    ctx.stage(
        f"""
        WITH j AS (
            SELECT line, text, try(json_type(text)) AS jt,
                   coalesce(try(json_type(text)) = 'OBJECT', false) AS ok FROM _good
        ), p AS (
            SELECT line, text, jt, ok,
                   from_json(CASE WHEN ok THEN text END, '{_STRUCT}') AS r,
                   nullif(((CASE WHEN ok THEN text END) -> '$.generation')::VARCHAR, 'null')
                       AS gen_raw
            FROM j
        )
        SELECT line, text, r, pf_ts(r.ts, ?) AS ts,
            CASE
                WHEN jt IS NULL THEN 'invalid JSON'
                WHEN NOT ok THEN 'not a JSON object'
                WHEN r.ts IS NULL THEN 'missing field ts'
                WHEN pf_ts(r.ts, ?) IS NULL THEN 'unparseable timestamp ts=' || r.ts
                WHEN r.action IS NULL THEN 'missing field action'
                WHEN gen_raw IS NOT NULL AND pf_int(gen_raw) IS NULL
                    THEN 'generation is not an integer: ' || gen_raw
            END AS reason
        FROM p
        """,
        [ctx.assume_tz, ctx.assume_tz],
    )
    ctx.count_zoneless("r.ts")
    ctx.con.execute(
        """
        INSERT INTO operator_actions BY NAME
        SELECT ts, r.actor AS actor, r.action AS action, pf_name(r.endpoint) AS endpoint,
               r.generation AS generation, r.note AS note, text::JSON AS extra,
               ? AS file, line
        FROM _staged WHERE reason IS NULL
        """,
        [ctx.file],
    )
    loaded = ctx.count("SELECT count(*) FROM _staged WHERE reason IS NULL")
    return loaded, ctx.quarantine_staged()


SOURCE = Source(
    "operator", ("operator_actions",), sniff, load, "Operator JSON Lines", batchable=True
)
