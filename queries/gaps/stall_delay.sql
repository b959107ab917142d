-- id: stall_delay
-- title: What the host logged inside each Enactor stall
-- tables: findings, enactor_events
-- description: One row per enactor_stall finding with an end: the lock contention (and
--   back-off), failed or retried updates and successful updates (their logged latency) its
--   host logged inside it, the number of lines, and the longest silence between two of
--   them. Python turns it into the stall_delay gap: how much of the stall the log accounts
--   for.
--
-- Each stall, with what the host logged inside it: lock contention (and back-off),
-- failed or retried updates, successful updates (their logged latency), anything else.
WITH s AS (SELECT * FROM {findings} WHERE rule = 'enactor_stall' AND "end" IS NOT NULL),
inside AS (
    SELECT s.id, e.ts, e.event, e.status, e.backoff_ms, e.latency_ms, e.file, e.line
    FROM s JOIN enactor_events e ON e.host = s.host AND e.ts > s.start AND e.ts <= s."end"
),
bounds AS (
    SELECT s.id, e.ts, e.file, e.line
    FROM s JOIN enactor_events e ON e.host = s.host AND e.ts >= s.start AND e.ts <= s."end"
),
silence AS (
    SELECT id, max_by({'from': prev_ts, 'to': ts, 'from_file': prev_file,
                       'from_line': prev_line, 'to_file': file, 'to_line': line},
                      epoch(ts - prev_ts)) AS longest
    FROM (SELECT id, ts, file, line,
                 lag(ts) OVER w AS prev_ts, lag(file) OVER w AS prev_file,
                 lag(line) OVER w AS prev_line
          FROM bounds WINDOW w AS (PARTITION BY id ORDER BY ts, line))
    WHERE prev_ts IS NOT NULL
    GROUP BY id
),
acc AS (
    SELECT id,
        count(*) FILTER (WHERE event = 'lock_acquire' AND status = 'contended') AS contended,
        coalesce(sum(backoff_ms) FILTER (WHERE event = 'lock_acquire'
                                         AND status = 'contended'), 0) / 1000 AS backoff_s,
        count(*) FILTER (WHERE event = 'endpoint_update' AND status IN ('retry', 'error'))
            AS retries,
        coalesce(sum(latency_ms) FILTER (WHERE event = 'endpoint_update'
                                         AND status IN ('retry', 'error')), 0) / 1000
            AS retry_latency_s,
        count(*) FILTER (WHERE event = 'endpoint_update' AND status = 'ok') AS updates,
        coalesce(sum(latency_ms) FILTER (WHERE event = 'endpoint_update'
                                         AND status = 'ok'), 0) / 1000 AS update_latency_s,
        count(*) AS lines
    FROM inside GROUP BY id
)
SELECT s.id, s.host, s.endpoint, s.generation, s.start, s."end",
       epoch(s."end" - s.start) AS duration_s,
       coalesce(a.contended, 0) AS contended, coalesce(a.backoff_s, 0) AS backoff_s,
       coalesce(a.retries, 0) AS retries, coalesce(a.retry_latency_s, 0) AS retry_latency_s,
       coalesce(a.updates, 0) AS updates, coalesce(a.update_latency_s, 0) AS update_latency_s,
       coalesce(a.lines, 0) AS lines, l.longest,
       s.evidence
FROM s LEFT JOIN acc a USING (id) LEFT JOIN silence l USING (id)
ORDER BY s.start, s.host
