-- id: impact
-- title: The impact on each affected endpoint
-- tables: findings, dns_queries
-- description: One row per endpoint that went empty or failed to resolve: how long it was
--   empty, the first and last failed query, failed/total queries, and the control-plane
--   cause with its gap to the first failed query.
-- param dns_tolerance_s = 60: how far after the first failed query a control-plane cause
--   may be logged and still count as its cause (resolver and control-plane clocks differ)
--
WITH dns AS (
    SELECT endpoint, min(start) AS first_failed, max(coalesce("end", start)) AS last_failed,
           count(*) AS windows, max(sev_rank) AS sev_rank
    FROM {findings} WHERE rule = 'dns_resolution_failure' GROUP BY endpoint
),
empty AS (
    SELECT endpoint, min(start) AS empty_start,
           CASE WHEN bool_or("end" IS NULL) THEN NULL ELSE max("end") END AS empty_end,
           bool_or("end" IS NULL) AS still_empty
    FROM {findings} WHERE rule = 'endpoint_empty' GROUP BY endpoint
),
counts AS (
    SELECT d.endpoint, count(*) FILTER (WHERE q.failed) AS failed, count(*) AS total
    FROM dns d JOIN dns_queries q
      ON q.qname = d.endpoint AND q.ts BETWEEN d.first_failed AND d.last_failed
    GROUP BY d.endpoint
),
-- control-plane findings that can cause a DNS failure, one row per endpoint named
causes AS (
    SELECT endpoint, rule, start FROM {findings}
    WHERE rule IN ('endpoint_empty', 'non_monotonic_apply', 'record_set_emptied')
    UNION ALL
    SELECT unnest(coalesce(TRY_CAST(json_extract(details, '$.endpoints') AS VARCHAR[]),
                           [endpoint])), rule, start
    FROM {findings} WHERE rule = 'cleanup_deleted_live_plan'
),
cause AS (
    SELECT d.endpoint,
           arg_max({'rule': c.rule, 'start': c.start},
                   (c.start, CASE c.rule WHEN 'endpoint_empty' THEN 3
                                         WHEN 'cleanup_deleted_live_plan' THEN 2 ELSE 1 END))
               AS c
    FROM dns d JOIN causes c
      ON c.endpoint = d.endpoint AND c.start <= d.first_failed + to_seconds($dns_tolerance_s)
    GROUP BY d.endpoint
),
eps AS (SELECT endpoint FROM dns UNION SELECT endpoint FROM empty)
SELECT e.endpoint,
       (c.c).rule AS cause_rule, (c.c).start AS cause_time,
       m.empty_start, m.empty_end, coalesce(m.still_empty, false) AS still_empty,
       epoch(m.empty_end - m.empty_start) AS empty_s,
       d.first_failed, d.last_failed, epoch(d.last_failed - d.first_failed) AS impact_s,
       n.failed, n.total, d.windows,
       epoch(d.first_failed - (c.c).start) AS cause_to_first_failure_s
FROM eps e
LEFT JOIN dns d USING (endpoint) LEFT JOIN empty m USING (endpoint)
LEFT JOIN counts n USING (endpoint) LEFT JOIN cause c USING (endpoint)
ORDER BY coalesce(d.first_failed, m.empty_start), e.endpoint
