-- id: blocked_updates
-- title: Updates blocked on an empty endpoint
-- severity: high
-- tables: enactor_events, operator_actions, planner_events
-- description: After an endpoint went empty, Enactors keep failing to update it
--   (endpoint_update status=error) while the planner keeps writing newer plans: the
--   automation cannot repair the endpoint by itself. Details: failed attempts, the
--   generations that failed and the plans written meanwhile (missed), until when.
-- param min_failures = 2: empty intervals with fewer failed updates are not reported
--   (one failure is not yet "keep failing")
--
-- Logic: every failed endpoint_update inside an empty interval of its endpoint
-- (pf_empty in queries/_derived.sql, from the deletion up to the next successful
-- update or restore, in clock-corrected time) counts. One finding per empty interval.
-- generations_missed counts the plans the planner created from the deletion to the
-- last failure.
WITH failures AS (
    SELECT m.endpoint, m.generation AS deleted_generation, m.start_ts, m.end_ts,
           m.end_kind, m.deleted_by, m.file AS delete_file, m.line AS delete_line,
           m.start_tc, e.ts, e.ts_corrected AS tc, e.host, e.generation, e.error, e.file,
           e.line
    FROM pf_empty m
    JOIN enactor_events_ordered e
      ON e.event = 'endpoint_update' AND e.status = 'error' AND e.endpoint = m.endpoint
     AND e.ts_corrected >= m.start_tc AND (m.end_tc IS NULL OR e.ts_corrected < m.end_tc)
), blocks AS (
    SELECT endpoint, deleted_generation, start_ts, any_value(end_ts) AS end_ts,
           any_value(end_kind) AS end_kind, any_value(deleted_by) AS deleted_by,
           any_value(start_tc) AS start_tc,
           arg_min(ts, (tc, file, line)) AS first_ts, arg_max(ts, (tc, file, line)) AS last_ts,
           min(tc) AS first_tc, max(tc) AS last_tc, count(*) AS failed_attempts,
           max(generation) AS newest_failed, count(DISTINCT generation) AS failed_generations,
           list(DISTINCT host ORDER BY host) AS hosts,
           arg_min(error, (tc, file, line)) AS first_error,
           arg_min(host, (tc, file, line)) AS first_host,
           list(pf_ev(file, line) ORDER BY tc, file, line) AS lines,
           any_value(delete_file) AS delete_file, any_value(delete_line) AS delete_line
    FROM failures GROUP BY endpoint, deleted_generation, start_ts
    HAVING count(*) >= $min_failures
)
SELECT
    'blocked_updates' AS rule,
    'high' AS severity,
    b.first_ts AS start,
    b.last_ts AS "end",
    b.endpoint,
    b.newest_failed AS generation,
    NULL AS host,
    format('{} failed update(s) of {} from {} to {} (generations up to {}) after plan {} '
           'was deleted; {} plan(s) written meanwhile',
           b.failed_attempts, b.endpoint, pf_iso(b.first_ts), pf_iso(b.last_ts),
           b.newest_failed, b.deleted_generation, coalesce(p.missed, 0)) AS summary,
    json_object(
        'failed_attempts', b.failed_attempts,
        'failed_generations', b.failed_generations,
        'generations_missed', coalesce(p.missed, 0),
        'deleted_generation', b.deleted_generation,
        'hosts', b.hosts,
        'first_error', b.first_error,
        'until', pf_iso(b.last_ts),
        'blocked_until', pf_iso(b.end_ts),
        'ended_by', b.end_kind,
        'order_uncertain', pf_order_uncertain(b.first_host, b.first_tc, b.deleted_by,
                                              b.start_tc),
        'order_bound_s', pf_order_bound_s(b.first_host, b.deleted_by, b.start_tc)
    ) AS details,
    pf_dedupe(flatten([[pf_ev(b.delete_file, b.delete_line)],
                           CASE WHEN len(b.lines) <= 20 THEN b.lines
                                ELSE b.lines[1:10] || b.lines[-10:] END])) AS evidence
FROM blocks b
LEFT JOIN LATERAL (
    SELECT count(*) AS missed FROM pf_plan_created c
    WHERE c.created_tc >= b.start_tc AND c.created_tc <= b.last_tc
      AND c.generation > b.deleted_generation
) p ON true
