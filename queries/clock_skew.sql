-- id: clock_skew
-- title: Host clock contradicts causal order
-- severity: low
-- tables: enactor_events, planner_events
-- description: A host's events contradict causal order by more than min_ms: it
--   checked, applied, cleaned up after or deleted a plan before the planner created
--   it. Details give the estimated bounds of the host's clock offset against the
--   planner (its clock is behind by at least that much); every other finding whose
--   conclusion rests on an order closer than this uncertainty says order_uncertain.
-- param min_ms = 100: contradictions up to this many milliseconds are clock jitter
--
-- Logic: pf_causal (queries/_derived.sql) pairs every Enactor event that names a
-- generation with that plan's creation; margin_ms = event time - creation time. The
-- smallest margin bounds the host's offset from above (offset <= margin); nothing in
-- the logs bounds it from below, so offset_min_ms is null.
WITH bad AS (
    SELECT * FROM pf_causal WHERE margin_ms < -$min_ms
)
SELECT
    'clock_skew' AS rule,
    'low' AS severity,
    min(ts) AS start,
    max(ts) AS "end",
    NULL AS endpoint,
    NULL AS generation,
    host,
    format('{} logged {} event(s) up to {:.0f} ms before the plans they name were created: '
           'its clock is behind by at least {:.0f} ms',
           host, count(*), -min(margin_ms), -min(margin_ms)) AS summary,
    json_object(
        'offset_min_ms', NULL,
        'offset_max_ms', min(margin_ms),
        'behind_at_least_ms', -min(margin_ms),
        'contradictions', count(*),
        'reference', 'planner',
        'order_uncertain', false
    ) AS details,
    pf_dedupe(flatten(list([pf_ev(file, line), pf_ev(cause_file, cause_line)]
                               ORDER BY margin_ms, ts, file, line)))[1:20] AS evidence
FROM bad
GROUP BY host
