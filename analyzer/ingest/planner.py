"""Planner log (JSON Lines): every line to ``planner_events``, plans to ``plans``."""

from __future__ import annotations

import json

from .base import LoadContext, Source

_STRUCT = json.dumps(
    {
        "ts": "VARCHAR",
        "component": "VARCHAR",
        "host": "VARCHAR",
        "event": "VARCHAR",
        "generation": "BIGINT",
        "endpoints": [
            {"name": "VARCHAR", "lbs": "INTEGER", "ips": ["VARCHAR"], "weight": "BIGINT"}
        ],
    }
)

# The endpoints' integers as written, to check that they are integers.
_COUNTS = json.dumps([{"lbs": "VARCHAR", "weight": "VARCHAR"}])


def sniff(line: str) -> bool:
    return line.startswith("{") and '"component":"planner"' in line.replace(" ", "")


def load(ctx: LoadContext) -> tuple[int, int]:
    ctx.stage(
        f"""
        WITH j AS (
            SELECT line, text, try(json_type(text)) AS jt,
                   coalesce(try(json_type(text)) = 'OBJECT', false) AS ok
            FROM _good
        ), p AS (
            SELECT line, text, jt, ok,
                   from_json(CASE WHEN ok THEN text END, '{_STRUCT}') AS r,
                   nullif(((CASE WHEN ok THEN text END) -> '$.generation')::VARCHAR, 'null')
                       AS gen_raw,
                   from_json(CASE WHEN ok THEN text END -> '$.endpoints', '{_COUNTS}') AS counts
            FROM j
        )
        SELECT line, text, r, pf_ts(r.ts, ?) AS ts,
            CASE
                WHEN jt IS NULL THEN 'invalid JSON'
                WHEN NOT ok THEN 'not a JSON object'
                WHEN r.ts IS NULL THEN 'missing field ts'
                WHEN pf_ts(r.ts, ?) IS NULL THEN 'unparseable timestamp ts=' || r.ts
                WHEN r.event IS NULL THEN 'missing field event'
                WHEN r.event = 'plan_created' AND gen_raw IS NULL
                    THEN 'plan_created lacks an integer generation'
                WHEN r.event = 'plan_created' AND r.endpoints IS NULL
                    THEN 'plan_created lacks endpoints'
                WHEN r.event = 'plan_created'
                     AND len(list_filter(r.endpoints, lambda e: e.name IS NULL)) > 0
                    THEN 'plan_created has an endpoint without a name'
                WHEN len(list_filter(counts, lambda c: (c.lbs IS NOT NULL AND pf_int(c.lbs) IS NULL)
                                     OR (c.weight IS NOT NULL AND pf_int(c.weight) IS NULL))) > 0
                    THEN 'an endpoint lbs or weight is not an integer'
                WHEN gen_raw IS NOT NULL AND pf_int(gen_raw) IS NULL
                    THEN 'generation is not an integer: ' || gen_raw
            END AS reason
        FROM p
        """,
        [ctx.assume_tz, ctx.assume_tz],
    )
    ctx.count_zoneless("r.ts")
    con = ctx.con
    con.execute(
        """
        INSERT INTO planner_events BY NAME
        SELECT ts, r.host AS host, r.event AS event, r.generation AS generation,
               len(r.endpoints) AS endpoint_count, text::JSON AS extra, ? AS file, line
        FROM _staged WHERE reason IS NULL
        """,
        [ctx.file],
    )
    con.execute(
        """
        INSERT INTO plans BY NAME
        SELECT r.generation AS generation, pf_name(e.name) AS endpoint, ts AS created_at,
               r.host AS host, e.lbs AS lbs, e.ips AS ips, e.weight AS weight,
               ? AS file, line
        FROM (SELECT *, unnest(r.endpoints) AS e FROM _staged
              WHERE reason IS NULL AND r.event = 'plan_created')
        """,
        [ctx.file],
    )
    loaded = ctx.count("SELECT count(*) FROM _staged WHERE reason IS NULL")
    return loaded, ctx.quarantine_staged()


SOURCE = Source(
    "planner", ("planner_events", "plans"), sniff, load, "Planner JSON Lines", batchable=True
)
