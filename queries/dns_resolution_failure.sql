-- id: dns_resolution_failure
-- title: Clients failed to resolve an endpoint
-- severity: critical
-- tables: dns_queries, planner_events, plans
-- description: Windows of failed resolution of an endpoint in the DNS query logs:
--   first and last failed query, failed/total counts, peak failure ratio per minute.
--   Critical when more than critical_ratio of the endpoint's queries fail in some
--   minute of the window, else high. Only names that some plan publishes are watched,
--   plus the names the user selects (--endpoint NAME, e.g. when only DNS logs are at
--   hand), so failures of unrelated names do not fire.
-- param merge_gap_s = 120: failed queries closer than this many seconds are one window
-- param critical_ratio = 0.5: a minute with a failure ratio above this makes the window critical
-- param min_failed = 1: windows with fewer failed queries are not reported
--
-- Logic: failed queries (dns_queries.failed, as log-formats.md 4a defines it) of the
-- watched names are cut into windows wherever two consecutive failures are
-- merge_gap_s or more apart. The window's total counts every query of the name
-- between its first and last failure (ASOF-joined to the window that started last
-- before it); the peak ratio is failed/all queries of the name in each calendar minute
-- the window touches. Queries whose outcome is unknown (failed = null) are left out.
WITH names AS (
    SELECT DISTINCT endpoint AS name FROM plans
    UNION
    SELECT name FROM pf_selected_endpoints
), q AS (
    SELECT d.qname, d.ts, d.failed, d.file, d.line
    FROM dns_queries d SEMI JOIN names n ON d.qname = n.name
    WHERE d.ts IS NOT NULL AND d.failed IS NOT NULL
), fails AS (
    SELECT qname, ts, file, line,
           coalesce(pf_secs(lag(ts) OVER w, ts) >= $merge_gap_s, true) AS new_window
    FROM q WHERE failed
    WINDOW w AS (PARTITION BY qname ORDER BY ts, file, line)
), numbered AS (
    SELECT *, sum(new_window::INTEGER) OVER (PARTITION BY qname ORDER BY ts, file, line
                                             ROWS UNBOUNDED PRECEDING) AS win
    FROM fails
), windows AS (
    SELECT qname, win, min(ts) AS first_ts, max(ts) AS last_ts, count(*) AS failed,
           arg_min(file, (ts, file, line)) AS first_file,
           arg_min(line, (ts, file, line)) AS first_line,
           arg_max(file, (ts, file, line)) AS last_file,
           arg_max(line, (ts, file, line)) AS last_line
    FROM numbered GROUP BY qname, win
    HAVING count(*) >= $min_failed
), in_window AS (
    SELECT w.qname, w.win, count(*) AS total
    FROM q ASOF JOIN windows w ON w.qname = q.qname AND q.ts >= w.first_ts
    WHERE q.ts <= w.last_ts
    GROUP BY ALL
), minutes AS (
    -- every query of the name in each calendar minute
    SELECT qname, date_trunc('minute', ts) AS minute,
           count(*) AS total, count(*) FILTER (WHERE failed) AS failed
    FROM q GROUP BY ALL
), stats AS (
    SELECT w.qname, w.win, any_value(i.total) AS total,
           max(m.failed / m.total) AS peak_ratio,
           arg_max(m.minute, m.failed / m.total) AS peak_minute
    FROM windows w
    JOIN in_window i USING (qname, win)
    JOIN minutes m ON m.qname = w.qname
     AND m.minute BETWEEN date_trunc('minute', w.first_ts) AND w.last_ts
    GROUP BY w.qname, w.win
)
SELECT
    'dns_resolution_failure' AS rule,
    CASE WHEN s.peak_ratio > $critical_ratio THEN 'critical' ELSE 'high' END AS severity,
    w.first_ts AS start,
    w.last_ts AS "end",
    w.qname AS endpoint,
    NULL AS generation,
    NULL AS host,
    format('{} of {} queries for {} failed to resolve between {} and {} '
           '(peak {:.0f}% in a minute)',
           w.failed, s.total, w.qname, pf_iso(w.first_ts), pf_iso(w.last_ts),
           100 * s.peak_ratio) AS summary,
    json_object(
        'first_failed', pf_iso(w.first_ts),
        'last_failed', pf_iso(w.last_ts),
        'duration_s', pf_secs(w.first_ts, w.last_ts),
        'failed', w.failed,
        'total', s.total,
        'peak_ratio', s.peak_ratio,
        'peak_minute', pf_iso(s.peak_minute),
        'order_uncertain', false
    ) AS details,
    pf_dedupe([pf_ev(w.first_file, w.first_line), pf_ev(w.last_file, w.last_line)])
        AS evidence
FROM windows w JOIN stats s USING (qname, win)
