-- id: generation_lag
-- title: Enactor applying a plan far behind the planner
-- severity: medium
-- tables: enactor_events, planner_events
-- description: An Enactor applies generation g (endpoint_update status=ok) while the
--   planner has already written g + n or more. One finding per such update.
-- param n = 10: how many generations behind the planner's newest plan is reported
--
-- Logic: each successful update is ASOF-joined to the planner's head (pf_planner_head:
-- the newest generation written at or before the update, in clock-corrected time).
-- The order of the update against the creation of the head plan crosses clocks, so it
-- is order_uncertain when the two are closer than the bound of that order.
WITH lagging AS (
    SELECT u.ts, u.ts_corrected AS tc, u.host, u.endpoint, u.generation, u.file, u.line,
           h.head_generation, h.created_at AS head_ts, h.created_tc AS head_tc,
           h.host AS planner, h.file AS head_file, h.line AS head_line
    FROM (SELECT * FROM enactor_events_ordered
          WHERE event = 'endpoint_update' AND status = 'ok' AND generation IS NOT NULL) u
    ASOF JOIN pf_planner_head h ON u.ts_corrected >= h.created_tc
    WHERE h.head_generation - u.generation >= $n
)
SELECT
    'generation_lag' AS rule,
    'medium' AS severity,
    ts AS start,
    NULL AS "end",
    endpoint,
    generation,
    host,
    format('{} applied generation {} to {} when the planner had written {} ({} behind)',
           host, generation, endpoint, head_generation, head_generation - generation)
        AS summary,
    json_object(
        'planner_generation', head_generation,
        'planner_time', pf_iso(head_ts),
        'lag', head_generation - generation,
        'order_uncertain', pf_order_uncertain(host, tc, planner, head_tc),
        'order_bound_s', pf_order_bound_s(host, planner, tc)
    ) AS details,
    [pf_ev(file, line), pf_ev(head_file, head_line)] AS evidence
FROM lagging
