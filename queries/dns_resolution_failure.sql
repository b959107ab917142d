-- id: dns_resolution_failure
-- title: Clients failed to resolve an endpoint
-- severity: critical
-- tables: dns_queries, planner_events, plans, record_changes
-- description: Windows of failed resolution of an endpoint in the DNS query logs:
--   first and last failed query, failed/total counts, peak failure ratio per minute.
--   Critical when more than critical_ratio of the endpoint's queries fail in some
--   minute of the window, else high. Watched names: those some plan publishes, the
--   names of the change history (CloudTrail record_changes), and the names the user
--   selects (--endpoint NAME). With no name selected, any other
--   name that resolved and then stopped resolving is discovered as an endpoint (a
--   window of at least discover_min_failed failures over at least
--   discover_min_span_s seconds, more than discover_min_ratio of its queries failing,
--   after the name resolved in the discover_lookback_s seconds before); a name that
--   never resolved (a typo, a blocked domain, DGA noise) is not an outage.
-- spark: by qname
-- param merge_gap_s = 120: failed queries closer than this many seconds are one window
-- param critical_ratio = 0.5: a minute with a failure ratio above this makes the window critical
-- param min_failed = 1: windows with fewer failed queries are not reported
-- param discover = true: with no --endpoint, also discover names that stopped resolving
-- param discover_min_failed = 20: a discovered name's window has at least this many failed queries
-- param discover_min_span_s = 120: ... spanning at least this many seconds
-- param discover_min_ratio = 0.5: ... with more than this share of its queries failing
-- param discover_lookback_s = 900: ... after the name resolved at most this many seconds before
--
-- Logic, linear in dns_queries (hash aggregates and hash joins; only failures are
-- sorted): a hash aggregate per name keeps the names that can have a window at all
-- (a watched name with a failure; for discovery a name with discover_min_failed
-- failures and at least one success: the long tail of names that never resolved goes
-- no further). Their failed queries (failed = null: unknown, left out) are cut into
-- windows wherever two consecutive failures are merge_gap_s or more apart; a window
-- is the closed interval between its first and last failure. Windows too small to
-- report are dropped before any other query is read. The rest are spread over the
-- calendar minutes they touch (for a discovered name also the discover_lookback_s
-- before it), and one hash join of the name's queries on (name, minute) gives each
-- window its total (every query of the name in the interval, ties in time included),
-- the last success before it, and per minute the failed/all ratio whose peak rates
-- the window.
WITH names AS (
    SELECT DISTINCT endpoint AS name FROM plans
    UNION
    SELECT name FROM pf_selected_endpoints
    UNION
    SELECT name FROM pf_change_names  -- the names of the change history (CloudTrail)
), q AS NOT MATERIALIZED (
    SELECT qname, ts, failed, file, line
    FROM dns_queries
    WHERE ts IS NOT NULL AND failed IS NOT NULL
), per_name AS (
    SELECT qname, count(*) FILTER (WHERE failed) AS n_failed,
           count(*) FILTER (WHERE NOT failed) AS n_ok
    FROM q GROUP BY qname
), candidates AS (
    SELECT qname, true AS watched
    FROM per_name SEMI JOIN names ON names.name = per_name.qname
    WHERE n_failed >= 1
    UNION ALL
    -- discovery, unless the user chose the names (--endpoint)
    SELECT qname, false AS watched
    FROM per_name ANTI JOIN names ON names.name = per_name.qname
    WHERE $discover AND n_failed >= $discover_min_failed AND n_ok >= 1
      AND (SELECT count(*) FROM pf_selected_endpoints) = 0
), fails AS (
    SELECT q.qname, c.watched, q.ts, q.file, q.line,
           coalesce(pf_secs(lag(q.ts) OVER w, q.ts) >= $merge_gap_s, true) AS new_window
    FROM q JOIN candidates c USING (qname)
    WHERE q.failed
    WINDOW w AS (PARTITION BY q.qname ORDER BY q.ts, q.file, q.line)
), numbered AS (
    SELECT *, sum(new_window::INTEGER) OVER (PARTITION BY qname ORDER BY ts, file, line
                                             ROWS UNBOUNDED PRECEDING) AS win
    FROM fails
), windows AS (
    SELECT qname, win, any_value(watched) AS watched,
           min(ts) AS first_ts, max(ts) AS last_ts, count(*) AS failed,
           arg_min(file, (ts, file, line)) AS first_file,
           arg_min(line, (ts, file, line)) AS first_line,
           arg_max(file, (ts, file, line)) AS last_file,
           arg_max(line, (ts, file, line)) AS last_line
    FROM numbered GROUP BY qname, win
    HAVING count(*) >= $min_failed
       AND (any_value(watched)
            OR (count(*) >= $discover_min_failed
                AND pf_secs(min(ts), max(ts)) >= $discover_min_span_s))
), window_minutes AS (
    -- the calendar minutes (UTC, as epoch minutes) each window touches, from the
    -- lookback on for a discovered name
    SELECT qname, win, unnest(range(
               (epoch_us(first_ts) - CASE WHEN watched THEN 0
                                          ELSE ($discover_lookback_s * 1e6)::BIGINT END)
                   // 60000000,
               epoch_us(last_ts) // 60000000 + 1)) AS minute
    FROM windows
), per_minute AS (
    SELECT wm.qname, wm.win, wm.minute,
           count(*) AS total, count(*) FILTER (WHERE q.failed) AS failed,
           count(*) FILTER (WHERE q.ts BETWEEN w.first_ts AND w.last_ts) AS in_window,
           max(q.ts) FILTER (WHERE NOT q.failed AND q.ts <= w.first_ts) AS last_ok,
           bool_or(q.ts BETWEEN w.first_ts AND w.last_ts) AS touched
    FROM (SELECT *, epoch_us(ts) // 60000000 AS minute
          FROM q SEMI JOIN windows USING (qname)) AS q
    JOIN window_minutes wm ON q.qname = wm.qname AND q.minute = wm.minute
    JOIN windows w ON w.qname = wm.qname AND w.win = wm.win
    GROUP BY ALL
), stats AS (
    SELECT qname, win, sum(in_window) AS total, max(last_ok) AS resolved_before,
           max(failed / total) FILTER (WHERE touched) AS peak_ratio,
           -- the first minute with the peak ratio
           arg_min(minute, (-(failed / total), minute)) FILTER (WHERE touched) AS peak_minute
    FROM per_minute GROUP BY qname, win
), reported AS (
    SELECT w.*, s.total, s.peak_ratio, to_timestamp(s.peak_minute * 60) AS peak_minute
    FROM windows w JOIN stats s USING (qname, win)
    WHERE w.watched
       OR (w.failed > $discover_min_ratio * s.total
           AND pf_secs(s.resolved_before, w.first_ts) <= $discover_lookback_s)
)
SELECT
    'dns_resolution_failure' AS rule,
    CASE WHEN w.peak_ratio > $critical_ratio THEN 'critical' ELSE 'high' END AS severity,
    w.first_ts AS start,
    w.last_ts AS "end",
    w.qname AS endpoint,
    NULL AS generation,
    NULL AS host,
    format('{} of {} queries for {} failed to resolve between {} and {} '
           '(peak {:.0f}% in a minute)',
           w.failed, w.total, w.qname, pf_iso(w.first_ts), pf_iso(w.last_ts),
           100 * w.peak_ratio) AS summary,
    json_object(
        'first_failed', pf_iso(w.first_ts),
        'last_failed', pf_iso(w.last_ts),
        'duration_s', pf_secs(w.first_ts, w.last_ts),
        'failed', w.failed,
        'total', w.total,
        'peak_ratio', w.peak_ratio,
        'peak_minute', pf_iso(w.peak_minute),
        'order_uncertain', false
    ) AS details,
    pf_dedupe([pf_ev(w.first_file, w.first_line), pf_ev(w.last_file, w.last_line)])
        AS evidence
FROM reported w
