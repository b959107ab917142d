-- id: endpoint_empty
-- title: Endpoint empty (publishes no records)
-- severity: critical
-- tables: enactor_events, operator_actions
-- description: An interval in which an endpoint is empty, from the control-plane
--   logs: from the deletion of the plan it points to until a later successful update
--   or an operator restore (open while neither is logged). This is the outage state.
--
-- Logic: pf_empty (queries/_derived.sql) holds the intervals: each live-plan deletion
-- ASOF-joined forward to the endpoint's next state-setting event, in clock-corrected
-- time (the duration too); start and end are the times the cited lines say.
SELECT
    'endpoint_empty' AS rule,
    'critical' AS severity,
    start_ts AS start,
    end_ts AS "end",
    endpoint,
    generation,
    NULL AS host,
    CASE WHEN end_ts IS NULL
         THEN format('{} empty from {} (plan {} deleted by {}), not restored in the logs',
                     endpoint, pf_iso(start_ts), generation, deleted_by)
         ELSE format('{} empty for {:.1f} s, from {} (plan {} deleted by {}) to {} ({} of '
                     'generation {} by {})',
                     endpoint, pf_secs(start_tc, end_tc), pf_iso(start_ts), generation,
                     deleted_by, pf_iso(end_ts), end_kind, end_generation, end_host)
    END AS summary,
    json_object(
        'duration_s', pf_secs(start_tc, end_tc),
        'open', end_ts IS NULL,
        'deleted_by', deleted_by,
        'ended_by', CASE WHEN end_ts IS NOT NULL THEN json_object(
            'kind', end_kind, 'host', end_host, 'generation', end_generation) END,
        'order_uncertain', pf_order_uncertain(deleted_by, start_tc, set_clock, set_tc)
                           OR pf_order_uncertain(deleted_by, start_tc, end_clock, end_tc),
        'order_bound_s', pf_order_bound_s(deleted_by, set_clock, start_tc)
    ) AS details,
    list_filter([pf_ev(file, line), pf_ev(end_file, end_line)],
                lambda e: e.file IS NOT NULL) AS evidence
FROM pf_empty
