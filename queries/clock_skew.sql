-- id: clock_skew
-- title: Host clock contradicts causal order
-- spark: global
-- severity: low
-- tables: enactor_events, planner_events, operator_actions, dns_queries
-- description: A clock's events contradict causal order by more than min_ms (a plan
--   checked or applied before the planner created it, deleted before it was applied,
--   a check that read an apply before it started...) and its estimated offset
--   against the planner is beyond min_ms. Details give the offset, its bounds and
--   bound_s (host_clocks, the ordering model of queries/_clocks.sql that every rule
--   uses to order events of different hosts), and the contradictions.
-- param min_ms = 100: contradictions and offsets up to this many milliseconds are clock jitter
--
-- Logic: pf_clock_constraints holds every causal constraint "x before y" with the raw
-- gap w = ts_y - ts_x; a negative w is a contradiction of the raw clocks. Each clock
-- whose estimate is off by more than min_ms is reported with the contradictions it
-- takes part in (linear: one pass over the constraints, grouped by clock); start and
-- end are the first and last contradicting line it stamped.
WITH bad AS (
    SELECT unnest([a, b]) AS clock, unnest([ts_a, ts_b]) AS ts, kind, w,
           file_a, line_a, file_b, line_b
    FROM pf_clock_constraints
    WHERE w < -$min_ms / 1000 AND a <> b
), per_clock AS (
    SELECT clock, count(*) AS contradictions, min(w) AS worst_w, min(ts) AS first_ts,
           max(ts) AS last_ts, list(DISTINCT kind ORDER BY kind) AS kinds,
           pf_dedupe(flatten(list([pf_ev(file_a, line_a), pf_ev(file_b, line_b)]
                                  ORDER BY w, file_a, line_a)[1:10])) AS evidence
    FROM bad GROUP BY clock
)
SELECT
    'clock_skew' AS rule,
    'low' AS severity,
    c.first_ts AS start,
    c.last_ts AS "end",
    NULL AS endpoint,
    NULL AS generation,
    k.host,
    format('{} runs {} the planner by {:.3f} s (bounds {} to {} s; {} contradiction(s) of '
           'causal order, up to {:.0f} ms)',
           k.host, CASE WHEN k.offset_s < 0 THEN 'behind' ELSE 'ahead of' END,
           abs(k.offset_s), coalesce(format('{:.3f}', k.lower_s), 'unbounded'),
           coalesce(format('{:.3f}', k.upper_s), 'unbounded'), c.contradictions,
           -1000 * c.worst_w) AS summary,
    json_object(
        'offset_s', k.offset_s,
        'offset_min_s', k.lower_s,
        'offset_max_s', k.upper_s,
        'bound_s', k.bound_s,
        'behind_at_least_ms', CASE WHEN k.upper_s < 0 THEN -1000 * k.upper_s END,
        'constraints', k.constraints,
        'contradictions', c.contradictions,
        'kinds', c.kinds,
        'reference', (SELECT host FROM host_clocks WHERE reference),
        'order_uncertain', false
    ) AS details,
    c.evidence
FROM host_clocks k
JOIN per_clock c ON c.clock = k.host
WHERE NOT k.reference AND abs(k.offset_s) * 1000 > $min_ms
