-- id: silent_host
-- title: Hosts silent far longer than their usual interval
-- tables: findings, enactor_events, planner_events, operator_actions
-- description: One row per pause in a host's log far longer than its usual interval while
--   its peers kept logging; in_stall counts the enactor_stall findings it lies inside (the
--   silent_host gap).
-- param min_silence_s = 30: a pause shorter than this many seconds is never a silence
-- param silence_factor = 6: a pause is a silence beyond this many times the host's usual
--   interval
--
-- Pauses in each host's log far longer than its usual interval (the median of its pauses
-- of a second or more), while other hosts of the same source kept logging and no
-- operator had disabled automation. A pause the log announced is not silence: the
-- back-off of a contended lock before it and the latency of the update that ends it
-- are subtracted.
WITH ev AS (
    SELECT 'enactor' AS source, host, ts, file, line,
           CASE WHEN event = 'lock_acquire' AND status = 'contended'
                THEN coalesce(backoff_ms, 0) ELSE 0 END / 1000 AS announced_s,
           CASE WHEN event = 'endpoint_update' THEN coalesce(latency_ms, 0) ELSE 0 END
               / 1000 AS latency_s
    FROM enactor_events
    UNION ALL
    SELECT 'planner', host, ts, file, line, 0, 0 FROM planner_events WHERE host IS NOT NULL
),
gaps AS (
    SELECT source, host, ts, file, line,
           lag(ts) OVER w AS prev_ts, lag(file) OVER w AS prev_file, lag(line) OVER w AS prev_line,
           epoch(ts - lag(ts) OVER w) - coalesce(lag(announced_s) OVER w, 0) - latency_s
               AS quiet_s
    FROM ev WINDOW w AS (PARTITION BY host ORDER BY ts, file, line)
),
host_usual AS (
    SELECT source, host, median(quiet_s) AS usual_s, count(*) AS pauses
    FROM gaps WHERE prev_ts IS NOT NULL AND quiet_s >= 1
    GROUP BY ALL
),
source_usual AS (
    SELECT source, median(quiet_s) AS usual_s
    FROM gaps WHERE prev_ts IS NOT NULL AND quiet_s >= 1
    GROUP BY source
),
hosts AS (SELECT source, count(DISTINCT host) AS hosts FROM ev GROUP BY source),
candidates AS (
    SELECT g.*, epoch(g.ts - g.prev_ts) AS silent_s,
           CASE WHEN coalesce(u.pauses, 0) >= 3 THEN u.usual_s ELSE su.usual_s END AS usual_s,
           h.hosts
    FROM gaps g
    LEFT JOIN host_usual u USING (source, host)
    LEFT JOIN source_usual su USING (source)
    JOIN hosts h USING (source)
    WHERE g.prev_ts IS NOT NULL
      AND g.quiet_s > greatest($min_silence_s, $silence_factor * coalesce(
            CASE WHEN coalesce(u.pauses, 0) >= 3 THEN u.usual_s ELSE su.usual_s END, 0))
),
-- The peers' lines inside a pause, without comparing each pause with every line (a
-- range join): a running count of each source's lines per time, read at both ends of
-- the pause by two ASOF joins. The host's own lines are none (its pause is between two
-- consecutive lines of its own), so the source's lines inside are the peers'.
marks AS (
    SELECT source, ts, (sum(count(*)) OVER (PARTITION BY source ORDER BY ts))::BIGINT AS upto
    FROM ev WHERE host IS NOT NULL AND ts IS NOT NULL GROUP BY source, ts
),
counted AS (
    SELECT c.*,
           CASE WHEN c.host IS NOT NULL
                THEN coalesce(before_end.upto, 0) - coalesce(at_start.upto, 0)
                ELSE 0 END AS peer_lines
    FROM candidates c
    ASOF LEFT JOIN marks before_end ON before_end.source = c.source AND c.ts > before_end.ts
    ASOF LEFT JOIN marks at_start ON at_start.source = c.source AND c.prev_ts >= at_start.ts
)
SELECT c.source, c.host, c.prev_ts AS start, c.ts AS "end", c.silent_s, c.quiet_s, c.usual_s,
       c.prev_file, c.prev_line, c.file, c.line, c.peer_lines,
       (SELECT count(*) FROM {findings} s WHERE s.rule = 'enactor_stall' AND s.host = c.host
          AND s.start <= c.prev_ts AND s."end" >= c.ts) AS in_stall
FROM counted c
WHERE (c.hosts = 1 OR c.peer_lines > 0)
  AND NOT EXISTS (SELECT 1 FROM operator_actions o WHERE o.action = 'disable_automation'
                    AND o.ts BETWEEN c.prev_ts - INTERVAL 1 MINUTE AND c.ts)
ORDER BY c.prev_ts, c.host
