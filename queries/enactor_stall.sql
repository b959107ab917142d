-- id: enactor_stall
-- title: Enactor stalled far behind its peers
-- severity: medium
-- tables: enactor_events
-- description: An Enactor takes far longer than its peers for one plan, or between
--   two consecutive updates: longer than max(min_s, factor x the fleet median). The
--   finding spans the stalled apply; details give its duration, the longest gap and
--   the endpoint it was stuck on, the endpoints done and what the logs show in the
--   gap (retries, lock contention and their back-off). A gap with no log line in it
--   is unexplained.
-- param min_s = 60: never report a stall shorter than this many seconds
-- param factor = 10: a stall is this many times longer than the fleet median
--
-- Logic: each host's events, in timestamp/file order, are cut into applies: an apply
-- begins at a plan_check, or at an apply_start not directly preceded by the
-- plan_check of its generation; lock_acquire lines (which name no generation) belong
-- to the apply they fall in. An apply is one that logged apply_start or an update; it
-- runs from its apply_start (its plan_check when there is none) to its apply_done
-- (its last update when there is none). Its milestones are its start, its finished
-- updates (status ok or error) and its apply_done; a gap is the time between two
-- consecutive milestones, and the lines between them (retries, contended locks) are
-- what the log says about it. The fleet medians are over every completed apply (one
-- with apply_done) and every gap.
WITH ev AS (
    SELECT *,
           CASE WHEN event = 'plan_check' THEN true
                WHEN event = 'apply_start'
                     THEN NOT coalesce(lag(event) OVER h = 'plan_check'
                                       AND lag(generation) OVER h = generation, false)
                ELSE false END AS boundary
    FROM enactor_events
    WINDOW h AS (PARTITION BY host ORDER BY ts, file, line)
), seq AS (
    SELECT *, sum(boundary::INTEGER) OVER (PARTITION BY host ORDER BY ts, file, line
                                           ROWS UNBOUNDED PRECEDING) AS apply_seq
    FROM ev
), applies AS (
    SELECT host, apply_seq,
           arg_min(generation, (ts, file, line)) AS generation,
           bool_or(event = 'apply_start') AS has_start,
           bool_or(event = 'apply_done') AS completed,
           coalesce(min(ts) FILTER (WHERE event = 'apply_start'), min(ts)) AS start_ts,
           coalesce(arg_min(file, (ts, file, line)) FILTER (WHERE event = 'apply_start'),
                    arg_min(file, (ts, file, line))) AS start_file,
           coalesce(arg_min(line, (ts, file, line)) FILTER (WHERE event = 'apply_start'),
                    arg_min(line, (ts, file, line))) AS start_line,
           coalesce(max(ts) FILTER (WHERE event = 'apply_done'),
                    max(ts) FILTER (WHERE event = 'endpoint_update')) AS end_ts,
           coalesce(arg_max(file, (ts, file, line)) FILTER (WHERE event = 'apply_done'),
                    arg_max(file, (ts, file, line)) FILTER (WHERE event = 'endpoint_update'))
               AS end_file,
           coalesce(arg_max(line, (ts, file, line)) FILTER (WHERE event = 'apply_done'),
                    arg_max(line, (ts, file, line)) FILTER (WHERE event = 'endpoint_update'))
               AS end_line,
           count(DISTINCT endpoint) FILTER (WHERE event = 'endpoint_update'
                                              AND status = 'ok') AS endpoints_done,
           count(*) FILTER (WHERE event = 'endpoint_update' AND status = 'retry') AS retries,
           count(*) FILTER (WHERE event = 'lock_acquire' AND status = 'contended')
               AS contended,
           count(*) FILTER (WHERE event = 'endpoint_update' AND status = 'error') AS errors
    FROM seq
    GROUP BY host, apply_seq
    HAVING count(*) FILTER (WHERE event IN ('apply_start', 'endpoint_update')) > 0
), milestones AS (
    -- apply_start (or the check, without one), finished updates and apply_done of each
    -- apply, each with the previous one
    SELECT s.host, s.apply_seq, s.ts, s.event, s.endpoint, s.file, s.line,
           lag(s.ts) OVER m AS prev_ts, lag(s.file) OVER m AS prev_file,
           lag(s.line) OVER m AS prev_line
    FROM seq s JOIN applies a ON a.host = s.host AND a.apply_seq = s.apply_seq
    WHERE s.event IN ('apply_start', 'apply_done')
       OR (s.boundary AND NOT a.has_start)
       OR (s.event = 'endpoint_update' AND s.status IN ('ok', 'error'))
    WINDOW m AS (PARTITION BY s.host, s.apply_seq ORDER BY s.ts, s.file, s.line)
), gaps AS (
    SELECT *, pf_secs(prev_ts, ts) AS gap_s FROM milestones WHERE prev_ts IS NOT NULL
), fleet AS (
    SELECT (SELECT median(pf_secs(start_ts, end_ts)) FILTER (WHERE completed) FROM applies)
               AS median_apply_s,
           (SELECT median(gap_s) FROM gaps) AS median_gap_s
), longest AS (
    SELECT host, apply_seq, arg_max(gaps, gap_s) AS g
    FROM gaps GROUP BY host, apply_seq
), stalled AS (
    SELECT a.*, pf_secs(a.start_ts, a.end_ts) AS duration_s, l.g.gap_s AS max_gap_s,
           l.g AS gap, f.median_apply_s, f.median_gap_s,
           greatest($min_s, $factor * f.median_apply_s) AS apply_threshold_s,
           greatest($min_s, $factor * f.median_gap_s) AS gap_threshold_s
    FROM applies a CROSS JOIN fleet f
    LEFT JOIN longest l ON l.host = a.host AND l.apply_seq = a.apply_seq
    WHERE pf_secs(a.start_ts, a.end_ts) > greatest($min_s, $factor * f.median_apply_s)
       OR l.g.gap_s > greatest($min_s, $factor * f.median_gap_s)
), in_gap AS (
    -- what the log says inside the longest gap of each stalled apply
    SELECT t.host, t.apply_seq,
           count(*) FILTER (WHERE s.event = 'endpoint_update' AND s.status = 'retry')
               AS retries,
           count(*) FILTER (WHERE s.event = 'lock_acquire' AND s.status = 'contended')
               AS contended,
           coalesce(sum(s.backoff_ms) FILTER (WHERE s.event = 'lock_acquire'), 0) / 1000
               AS backoff_s,
           count(s.line) AS lines,
           list(pf_ev(s.file, s.line) ORDER BY s.ts, s.file, s.line)
               FILTER (WHERE s.line IS NOT NULL) AS evidence
    FROM stalled t
    LEFT JOIN seq s
      ON s.host = t.host AND s.apply_seq = t.apply_seq
     AND (s.ts, s.file, s.line) > (t.gap.prev_ts, t.gap.prev_file, t.gap.prev_line)
     AND (s.ts, s.file, s.line) < (t.gap.ts, t.gap.file, t.gap.line)
    GROUP BY t.host, t.apply_seq
)
SELECT
    'enactor_stall' AS rule,
    'medium' AS severity,
    t.start_ts AS start,
    t.end_ts AS "end",
    CASE WHEN t.gap.event = 'endpoint_update' THEN t.gap.endpoint END AS endpoint,
    t.generation,
    t.host,
    format('{} took {:.1f} s over generation {} (fleet median {:.1f} s), longest gap {:.1f} s{}'
           '; {} in the gap',
           t.host, t.duration_s, t.generation, t.median_apply_s, t.max_gap_s,
           CASE WHEN t.gap.event = 'endpoint_update' THEN ' before ' || t.gap.endpoint
                ELSE '' END,
           CASE WHEN g.lines = 0 THEN 'no log line (unexplained)'
                ELSE format('{} retries, {} contended locks, {:.1f} s back-off',
                            g.retries, g.contended, g.backoff_s) END) AS summary,
    json_object(
        'duration_s', t.duration_s,
        'max_gap_s', t.max_gap_s,
        'gap_start', pf_iso(t.gap.prev_ts),
        'gap_end', pf_iso(t.gap.ts),
        'endpoints_done', t.endpoints_done,
        'retries', t.retries,
        'contended', t.contended,
        'errors', t.errors,
        'retries_in_gap', g.retries,
        'contended_in_gap', g.contended,
        'backoff_s_in_gap', g.backoff_s,
        'lines_in_gap', g.lines,
        'unexplained', g.lines = 0,
        'fleet_median_apply_s', t.median_apply_s,
        'fleet_median_gap_s', t.median_gap_s,
        'apply_threshold_s', t.apply_threshold_s,
        'gap_threshold_s', t.gap_threshold_s,
        'order_uncertain', false
    ) AS details,
    pf_dedupe(flatten([
        [pf_ev(t.start_file, t.start_line), pf_ev(t.gap.prev_file, t.gap.prev_line)],
        CASE WHEN len(g.evidence) <= 20 THEN g.evidence
             ELSE g.evidence[1:10] || g.evidence[-10:] END,
        [pf_ev(t.gap.file, t.gap.line), pf_ev(t.end_file, t.end_line)]
    ])) AS evidence
FROM stalled t JOIN in_gap g USING (host, apply_seq)
