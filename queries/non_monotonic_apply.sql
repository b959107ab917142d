-- id: non_monotonic_apply
-- title: Stale plan applied over a newer one
-- severity: high
-- tables: enactor_events, operator_actions
-- description: An endpoint_update status=ok sets an endpoint to generation g while
--   its effective generation just before was g' > g: an older plan overwrote a newer
--   one. Two Enactors applying the same generation one after the other do not fire.
--
-- Logic: pf_sets (queries/_derived.sql) holds every state-setting event of every
-- endpoint (successful updates and operator restores) with the state just before it,
-- in clock-corrected order with file order for ties. An Enactor update whose previous
-- state is a higher generation is the stale overwrite. The finding is order_uncertain
-- when the overwritten update was logged on another clock closer in corrected time
-- than the bound of the two clocks' order: then the overwrite may have come first.
SELECT
    'non_monotonic_apply' AS rule,
    'high' AS severity,
    s.ts AS start,
    NULL AS "end",
    s.endpoint,
    s.generation,
    s.host,
    format('{} applied generation {} to {} over the newer generation {} ({} older)',
           s.host, s.generation, s.endpoint, s.prev_generation,
           s.prev_generation - s.generation) AS summary,
    json_object(
        'previous_generation', s.prev_generation,
        'previous_host', s.prev_host,
        'previous_time', pf_iso(s.prev_ts),
        'previous_time_corrected', pf_iso(s.prev_tc),
        'previous_kind', s.prev_kind,
        'generations_back', s.prev_generation - s.generation,
        'order_uncertain', pf_order_uncertain(s.clock, s.tc, s.prev_clock, s.prev_tc),
        'order_bound_s', pf_order_bound_s(s.clock, s.prev_clock, s.tc)
    ) AS details,
    [pf_ev(s.file, s.line), pf_ev(s.prev_file, s.prev_line)] AS evidence
FROM pf_sets s
WHERE s.kind = 'update' AND s.prev_generation > s.generation
