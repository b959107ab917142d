"""The data each figure draws, as polars frames (no matplotlib here).

Tests check these frames, and a notebook can plot them its own way: the figures in
:mod:`analyzer.report.figures` draw exactly these and nothing else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import duckdb
import polars as pl

from .findings import Finding, normalize, registered

AFFECTING_RULES = (
    "non_monotonic_apply",
    "cleanup_deleted_live_plan",
    "endpoint_empty",
    "blocked_updates",
    "stale_plan_check",
)
MAX_ENDPOINTS = 6
MARKED_RULES = (
    "enactor_stall",
    "stale_plan_check",
    "non_monotonic_apply",
    "cleanup_deleted_live_plan",
    "endpoint_empty",
    "blocked_updates",
)


def _window(found: list[Finding], con: duckdb.DuckDBPyConnection) -> tuple[Any, Any]:
    """The span worth drawing: the findings' span (and operators' actions within an hour of
    it) with a margin, else all the logs."""
    times = [t for f in found for t in (f["start"], f["end"]) if t is not None]
    if times:
        lo, hi = min(times), max(times)
        ops = con.execute(
            """SELECT min(ts), max(ts) FROM operator_actions
               WHERE ts BETWEEN ? - INTERVAL 1 HOUR AND ? + INTERVAL 1 HOUR""",
            [lo, hi],
        ).fetchall()[0]
        lo, hi = min(lo, ops[0] or lo), max(hi, ops[1] or hi)
        margin = max((hi - lo) * 0.05, dt.timedelta(minutes=1))
        return lo - margin, hi + margin
    row = con.execute(
        """SELECT min(ts), max(ts) FROM (SELECT ts FROM enactor_events UNION ALL
           SELECT ts FROM planner_events UNION ALL SELECT ts FROM operator_actions)"""
    ).fetchall()[0]
    return row[0], row[1]


def swimlane_data(
    case: Any, findings: Iterable[Mapping[str, Any]] | pl.DataFrame
) -> dict[str, pl.DataFrame]:
    """One lane per host: planner plans, each Enactor's applies (stalls marked) and clean-ups,
    operators' actions, and the findings' marks.

    ``zoom`` (start, end) is the span around the trigger worth a close-up: from the
    stall that led to it to just after the live plan's deletion (empty when there is
    no such trigger).

    Frames: ``lanes`` (lane, kind, order), ``plans`` (ts, lane, generation), ``applies``
    (lane, generation, start, end, failed), ``stalls`` (lane, generation, start, end),
    ``cleanups`` (lane, ts, event, generation, live), ``operator`` (ts, lane, action),
    ``marks`` (ts, lane, rule, severity); all clipped to ``window`` (start, end).
    """
    found = normalize(findings)
    con: duckdb.DuckDBPyConnection = case.con
    lo, hi = _window(found, con)
    p = [lo, hi]
    with registered(con, found) as F:
        plans = con.sql(
            """SELECT ts, host AS lane, generation FROM planner_events
               WHERE event = 'plan_created' AND ts BETWEEN ? AND ? ORDER BY ts""",
            params=p,
        ).pl()
        applies = con.sql(
            """SELECT s.host AS lane, s.generation, s.ts AS start, d.ts AS "end",
                      coalesce(d.endpoints_failed, 0) > 0 AS failed
               FROM (SELECT * FROM enactor_events WHERE event = 'apply_start') s
               ASOF LEFT JOIN (SELECT * FROM enactor_events WHERE event = 'apply_done') d
                 ON s.host = d.host AND s.generation = d.generation AND d.ts >= s.ts
               WHERE coalesce(d.ts, s.ts) >= ? AND s.ts <= ?
               ORDER BY s.ts, s.host""",
            params=p,
        ).pl()
        stalls = con.sql(
            f"""SELECT host AS lane, generation, start, "end" FROM {F}
                WHERE rule = 'enactor_stall' ORDER BY start, host"""
        ).pl()
        cleanups = con.sql(
            f"""SELECT e.host AS lane, e.ts, e.event, coalesce(e.generation, e.applied_generation)
                       AS generation,
                       EXISTS (SELECT 1 FROM {F} f WHERE f.rule = 'cleanup_deleted_live_plan'
                               AND f.host = e.host AND f.generation = e.generation
                               AND e.event = 'plan_delete') AS live
                FROM enactor_events e
                WHERE e.event IN ('cleanup_start', 'plan_delete') AND e.ts BETWEEN ? AND ?
                ORDER BY e.ts, e.host""",
            params=p,
        ).pl()
        operator = con.sql(
            """SELECT ts, 'operator ' || coalesce(actor, '?') AS lane, action FROM operator_actions
               WHERE ts BETWEEN ? AND ? ORDER BY ts""",
            params=p,
        ).pl()
        marks = con.sql(
            f"""SELECT start AS ts, host AS lane, rule, severity FROM {F}
                WHERE rule IN (SELECT unnest(?)) AND start IS NOT NULL
                ORDER BY start, rule""",
            params=[list(MARKED_RULES)],
        ).pl()
    lanes = _lanes(con, plans, applies, cleanups, operator)
    zoom = _zoom(found)
    return {
        "window": pl.DataFrame({"start": [lo], "end": [hi]}),
        "zoom": pl.DataFrame(
            {"start": [zoom[0]] if zoom else [], "end": [zoom[1]] if zoom else []},
            schema={"start": pl.Datetime("us", "UTC"), "end": pl.Datetime("us", "UTC")},
        ),
        "lanes": lanes,
        "plans": plans,
        "applies": applies,
        "stalls": stalls,
        "cleanups": cleanups,
        "operator": operator,
        "marks": marks,
    }


def _zoom(found: list[Finding]) -> tuple[dt.datetime, dt.datetime] | None:
    """From the start of the stall behind the first stale overwrite (or a minute before the
    trigger) to a little after the trigger."""
    triggers = [
        f["start"]
        for f in found
        if f["rule"] in ("cleanup_deleted_live_plan", "endpoint_empty", "non_monotonic_apply")
        and f["start"] is not None
    ]
    if not triggers:
        return None
    trigger = min(triggers)
    lo = trigger - dt.timedelta(minutes=1)
    for f in found:
        if f["rule"] == "non_monotonic_apply" and f["start"] is not None:
            for s in found:
                if (
                    s["rule"] == "enactor_stall"
                    and s["host"] == f["host"]
                    and s["generation"] == f["generation"]
                    and s["start"] is not None
                ):
                    lo = min(lo, s["start"])
    margin = max((trigger - lo) * 0.08, dt.timedelta(seconds=10))
    return lo - margin, trigger + 2 * margin


def _lanes(
    con: duckdb.DuckDBPyConnection,
    plans: pl.DataFrame,
    applies: pl.DataFrame,
    cleanups: pl.DataFrame,
    operator: pl.DataFrame,
) -> pl.DataFrame:
    planners = sorted(set(plans["lane"].drop_nulls().to_list()))
    enactors = sorted(
        {r[0] for r in con.execute("SELECT DISTINCT host FROM enactor_events").fetchall()}
    )
    operators = sorted(set(operator["lane"].to_list()))
    rows = (
        [{"lane": h, "kind": "planner"} for h in planners]
        + [{"lane": h, "kind": "enactor"} for h in enactors]
        + [{"lane": h, "kind": "operator"} for h in operators]
    )
    return pl.DataFrame(rows, schema={"lane": pl.String, "kind": pl.String}).with_row_index("order")


def affected_endpoints(found: list[Finding], limit: int = MAX_ENDPOINTS) -> list[str]:
    """The endpoints the control-plane findings name, worst first."""
    seen: dict[str, int] = {}
    for f in found:
        if f["rule"] in AFFECTING_RULES:
            names = [f["endpoint"], *(f["details"].get("endpoints") or [])]
            for name in names:
                if name:
                    seen[name] = seen.get(name, 0) + 1
    return [n for n, _ in sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))][:limit]


def generation_data(
    case: Any, findings: Iterable[Mapping[str, Any]] | pl.DataFrame
) -> dict[str, pl.DataFrame]:
    """Each affected endpoint's effective generation over time, and its empty intervals.

    Frames: ``steps`` (endpoint, ts, generation, source, who) from successful updates and
    restores in the window (and the last one before it); ``empty`` (endpoint, start, end,
    generation) from ``endpoint_empty``;
    ``newest`` (ts, generation): the newest plan the planner had written; ``overwrites``
    (endpoint, ts, generation, previous) from ``non_monotonic_apply``.
    """
    found = normalize(findings)
    con: duckdb.DuckDBPyConnection = case.con
    endpoints = affected_endpoints(found)
    lo, hi = _window(found, con)
    with registered(con, found) as F:
        steps = con.sql(
            """SELECT endpoint, ts, generation, 'update' AS source, host AS who
               FROM enactor_events
               WHERE event = 'endpoint_update' AND status = 'ok'
                 AND endpoint IN (SELECT unnest(?))
               UNION ALL
               SELECT endpoint, ts, generation, 'restore', actor FROM operator_actions
               WHERE action = 'restore_endpoint' AND generation IS NOT NULL
                 AND endpoint IN (SELECT unnest(?))
               ORDER BY endpoint, ts""",
            params=[endpoints, endpoints],
        ).pl()
        empty = con.sql(
            f"""SELECT endpoint, start, "end", generation FROM {F}
                WHERE rule = 'endpoint_empty' AND endpoint IN (SELECT unnest(?))
                ORDER BY endpoint, start""",
            params=[endpoints],
        ).pl()
        newest = con.sql(
            """SELECT ts, generation FROM (
                   SELECT ts, max(generation) OVER (ORDER BY ts) AS generation
                   FROM planner_events WHERE event = 'plan_created')
               WHERE ts BETWEEN ? AND ? ORDER BY ts""",
            params=[lo, hi],
        ).pl()
        overwrites = con.sql(
            f"""SELECT f.endpoint, f.start AS ts, f.generation,
                       (SELECT arg_max(e.generation, e.ts) FROM enactor_events e
                        WHERE e.event = 'endpoint_update' AND e.status = 'ok'
                          AND e.endpoint = f.endpoint AND e.ts < f.start) AS previous
                FROM {F} f
                WHERE f.rule = 'non_monotonic_apply' AND f.endpoint IN (SELECT unnest(?))
                ORDER BY f.start""",
            params=[endpoints],
        ).pl()
    # within the window, plus each endpoint's last change before it (where the line starts)
    steps = steps.filter(
        (pl.col("ts") <= hi)
        & (
            (pl.col("ts") >= lo)
            | (pl.col("ts") == pl.col("ts").filter(pl.col("ts") < lo).max().over("endpoint"))
        )
    )
    return {
        "window": pl.DataFrame({"start": [lo], "end": [hi]}),
        "endpoints": pl.DataFrame({"endpoint": endpoints}, schema={"endpoint": pl.String}),
        "steps": steps,
        "empty": empty,
        "newest": newest,
        "overwrites": overwrites,
    }


def dns_ratio_data(
    case: Any,
    findings: Iterable[Mapping[str, Any]] | pl.DataFrame,
    *,
    names: list[str] | None = None,
) -> dict[str, pl.DataFrame]:
    """The DNS failure ratio per minute for each endpoint with failures (or ``names``).

    Frames: ``ratio`` (qname, minute, total, failed, ratio), ``windows`` (qname, start,
    end, severity) from ``dns_resolution_failure``.
    """
    found = normalize(findings)
    con: duckdb.DuckDBPyConnection = case.con
    if names is None:
        failing = [f["endpoint"] for f in found if f["rule"] == "dns_resolution_failure"]
        names = list(dict.fromkeys([*failing, *affected_endpoints(found)]))[:MAX_ENDPOINTS]
    with registered(con, found) as F:
        ratio = con.sql(
            """SELECT qname, time_bucket(INTERVAL 1 MINUTE, ts) AS minute, count(*) AS total,
                      count(*) FILTER (WHERE failed) AS failed,
                      count(*) FILTER (WHERE failed) / count(*) AS ratio
               FROM dns_queries WHERE qname IN (SELECT unnest(?)) AND failed IS NOT NULL
               GROUP BY ALL ORDER BY qname, minute""",
            params=[names],
        ).pl()
        windows = con.sql(
            f"""SELECT endpoint AS qname, start, "end", severity FROM {F}
                WHERE rule = 'dns_resolution_failure' AND endpoint IN (SELECT unnest(?))
                ORDER BY start""",
            params=[names],
        ).pl()
    return {"ratio": ratio, "windows": windows}


def record_state_data(
    case: Any, found: list[Finding], limit: int = MAX_ENDPOINTS
) -> dict[str, pl.DataFrame]:
    """What each name served over time, from the change history (CloudTrail): one row per
    name, type and change (``Case.record_state``), the names of findings first, then the
    most changed. Empty when the case holds no change history."""
    if not case.con.execute("SELECT count(*) FROM record_changes").fetchall()[0][0]:
        return {"state": pl.DataFrame()}
    state = case.record_state()
    named = [
        f["endpoint"]
        for f in found
        if f["rule"] in ("record_set_emptied", "conflicting_writers", "dns_resolution_failure")
    ]
    busy = (
        state.group_by("name")
        .len()
        .sort(["len", "name"], descending=[True, False])["name"]
        .to_list()
    )
    keep = list(dict.fromkeys([n for n in named if n] + busy))[:limit]
    return {"state": state.filter(pl.col("name").is_in(keep))}
