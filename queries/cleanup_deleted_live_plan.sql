-- id: cleanup_deleted_live_plan
-- title: Clean-up deleted the plan an endpoint was using
-- severity: critical
-- tables: enactor_events, operator_actions
-- description: A plan_delete of generation g while g is the effective generation of
--   one or more endpoints: those endpoints lose all their records. A delete of a plan
--   that was already overwritten, or deleted after the endpoint moved on, does not
--   fire.
--
-- Logic: pf_live_deletes (queries/_derived.sql) pairs each first plan_delete of a
-- generation with the endpoints whose latest state-setting event at or before the
-- delete set them to that generation. One finding per delete; the endpoints are in
-- details, the first by name names the finding. The
-- conclusion rests on two orders: the apply of g before the delete, and the delete
-- before the next update of the endpoint (both in clock-corrected time); it is
-- order_uncertain when either pair, on different clocks, is closer than the bound of
-- their order (order_bound_s: that of the apply and the delete, the closer pair).
WITH per_endpoint AS (
    SELECT d.*, e.end_ts, e.end_host,
           pf_order_uncertain(d.host, d.tc, d.set_clock, d.set_tc)
           OR pf_order_uncertain(d.host, d.tc, e.end_clock, e.end_tc) AS uncertain,
           pf_order_bound_s(d.host, d.set_clock, d.tc) AS bound_s
    FROM pf_live_deletes d
    LEFT JOIN pf_empty e ON e.endpoint = d.endpoint AND e.file = d.file AND e.line = d.line
)
SELECT
    'cleanup_deleted_live_plan' AS rule,
    'critical' AS severity,
    any_value(ts) AS start,
    NULL AS "end",
    min(endpoint) AS endpoint,
    any_value(generation) AS generation,
    any_value(host) AS host,
    format('{} deleted plan {} (clean-up after {}, keep {}) while {} endpoint(s) used it: {}',
           any_value(host), any_value(generation), any_value(applied_generation),
           coalesce(any_value(keep)::VARCHAR, '?'), count(*),
           string_agg(endpoint, ', ' ORDER BY endpoint)) AS summary,
    json_object(
        'endpoints', list(endpoint ORDER BY endpoint),
        'applied', list(json_object('endpoint', endpoint, 'host', set_host,
                                    'kind', set_kind, 'time', pf_iso(set_ts),
                                    'gap_s', pf_secs(set_tc, tc))
                        ORDER BY endpoint),
        'gap_s', min(pf_secs(set_tc, tc)),
        'applied_generation', any_value(applied_generation),
        'keep', any_value(keep),
        'order_uncertain', bool_or(uncertain),
        'order_bound_s', max(bound_s)
    ) AS details,
    pf_dedupe(flatten([
        [pf_ev(any_value(file), any_value(line))],
        list(pf_ev(set_file, set_line) ORDER BY endpoint),
        list_filter([pf_ev(any_value(cleanup_file), any_value(cleanup_line))],
                    lambda e: e.file IS NOT NULL)
    ])) AS evidence
FROM per_endpoint
GROUP BY file, line
