-- id: stale_plan_check
-- title: Freshness check stale by the time it was used
-- severity: high
-- tables: enactor_events, operator_actions, planner_events
-- description: An Enactor passed plan_check for generation g (verdict=newer), and by
--   the time it updated an endpoint another Enactor had already set that endpoint to
--   a generation > g (the endpoint's effective generation just before the update):
--   the check was right when made and stale when used (time of
--   check to time of use). One finding per Enactor and generation, at the first
--   endpoint where the check was stale. A stale plan that plan_check refused
--   (plan_skip) is never applied and does not fire.
--
-- Logic: every endpoint_update attempt (whatever its status: the check was used when
-- the Enactor acted on it, and a refused update in a fixed design still used a stale
-- check) is ASOF-joined to the endpoint's state just before it (pf_sets, the latest
-- successful update or restore strictly earlier, in clock-corrected time). If that
-- effective generation is
-- > g, the Enactor's latest passing plan_check for g (ASOF join on host and
-- generation) was stale when used. The first such attempt per Enactor and generation
-- is the finding.
WITH attempts AS (
    SELECT ts, ts_corrected AS tc, host, endpoint, generation, status, file, line
    FROM enactor_events_ordered
    WHERE event = 'endpoint_update' AND endpoint IS NOT NULL AND generation IS NOT NULL
), stale AS (
    SELECT u.*, s.generation AS newer_generation, s.host AS newer_host, s.ts AS newer_ts,
           s.tc AS newer_tc, s.clock AS newer_clock, s.kind AS newer_kind,
           s.file AS newer_file, s.line AS newer_line
    FROM attempts u
    ASOF JOIN pf_sets s ON s.endpoint = u.endpoint AND u.tc > s.tc
    WHERE s.generation > u.generation
), checks AS (
    SELECT host, generation, ts, current_generation, file, line
    FROM enactor_events
    WHERE event = 'plan_check' AND verdict = 'newer'
), used AS (
    SELECT u.*, c.ts AS check_ts, c.current_generation, c.file AS check_file,
           c.line AS check_line
    FROM stale u
    ASOF JOIN checks c ON c.host = u.host AND c.generation = u.generation AND u.ts >= c.ts
    QUALIFY row_number() OVER (PARTITION BY u.host, u.generation
                               ORDER BY u.tc, u.file, u.line) = 1
)
SELECT
    'stale_plan_check' AS rule,
    'high' AS severity,
    u.ts AS start,
    NULL AS "end",
    u.endpoint,
    u.generation,
    u.host,
    format('{} checked generation {} at {} and used the check {:.1f} s later on {}, '
           'which {} had already set to generation {}',
           u.host, u.generation, pf_iso(u.check_ts), pf_secs(u.check_ts, u.ts),
           u.endpoint, u.newer_host, u.newer_generation) AS summary,
    json_object(
        'check_time', pf_iso(u.check_ts),
        'check_age_s', pf_secs(u.check_ts, u.ts),
        'current_generation', u.current_generation,
        'newer_generation', u.newer_generation,
        'newer_host', u.newer_host,
        'newer_kind', u.newer_kind,
        'newer_time', pf_iso(u.newer_ts),
        'generations_since', h.head_generation - u.generation,
        'planner_head', h.head_generation,
        'update_status', u.status,
        'order_uncertain', pf_order_uncertain(u.host, u.tc, u.newer_clock, u.newer_tc),
        'order_bound_s', pf_order_bound_s(u.host, u.newer_clock, u.tc)
    ) AS details,
    [pf_ev(u.file, u.line), pf_ev(u.check_file, u.check_line),
     pf_ev(u.newer_file, u.newer_line)] AS evidence
FROM used u
ASOF LEFT JOIN pf_planner_head h ON u.tc >= h.created_tc
