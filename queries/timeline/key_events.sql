-- id: key_events
-- title: The candidate events of the timeline
-- tables: findings, enactor_events, planner_events, dns_queries, operator_actions
-- description: One row per candidate key event (ts, kind, host, endpoint, generation, rule,
--   finding_id, evidence, facts as JSON): the stall begins, newer plans, the fast apply,
--   the clean-up run, the stale overwrite, the live plan deleted, the endpoint empty, the
--   blocked updates, the first and last failed query, the restore, the operators' actions.
--   Python orders them, puts them in phases and writes their sentences.
--
-- {findings}_ev gives the time of each evidence line: an event's evidence is the finding's
-- lines at its start (or end).
WITH ev_at AS (
    SELECT id, date_trunc('millisecond', ts) AS ts,
           list({'file': file, 'line': line} ORDER BY ord) AS ev
    FROM {findings}_ev WHERE ts IS NOT NULL GROUP BY ALL
),
fx AS (
    SELECT f.*,
           coalesce(s.ev, f.evidence[1:1]) AS ev_start,
           coalesce(e.ev, list_slice(f.evidence, -1, -1)) AS ev_end
    FROM {findings} f
    LEFT JOIN ev_at s ON s.id = f.id AND s.ts = date_trunc('millisecond', f.start)
    LEFT JOIN ev_at e ON e.id = f.id AND e.ts = date_trunc('millisecond', f."end")
),
-- the stale overwrites, with the freshness check that let the stale plan through
nm AS (
    SELECT f.*,
        (SELECT max(e.ts) FROM enactor_events e
         WHERE e.event = 'plan_check' AND e.host = f.host AND e.generation = f.generation
           AND e.ts <= f.start) AS check_ts
    FROM fx f WHERE f.rule = 'non_monotonic_apply'
),
-- the update each stale overwrite replaced: the newest successful update before it
overwritten AS (
    SELECT n.id, arg_max({'ts': e.ts, 'host': e.host, 'generation': e.generation,
                          'file': e.file, 'line': e.line}, e.ts) AS prev
    FROM nm n JOIN enactor_events e
      ON e.event = 'endpoint_update' AND e.status = 'ok' AND e.endpoint = n.endpoint
     AND e.ts < n.start AND e.generation > n.generation
    GROUP BY n.id
),
-- the plans the planner wrote while the stale plan waited to be applied
newer AS (
    SELECT n.id, count(DISTINCT p.generation) AS n_plans,
           min(p.generation) AS g_first, max(p.generation) AS g_last,
           min(p.ts) AS t_first, max(p.ts) AS t_last,
           arg_min({'file': p.file, 'line': p.line}, p.ts) AS ev_first,
           arg_max({'file': p.file, 'line': p.line}, p.ts) AS ev_last
    FROM nm n JOIN planner_events p
      ON p.event = 'plan_created' AND p.generation > n.generation
     AND p.ts > coalesce(n.check_ts, n.start - INTERVAL 1 HOUR) AND p.ts <= n.start
    GROUP BY n.id
),
cx AS (SELECT * FROM fx WHERE rule = 'cleanup_deleted_live_plan'),
-- the clean-up run that deleted a live plan, and who had applied that plan
cleanup AS (
    SELECT c.id, arg_max({'ts': e.ts, 'applied_generation': e.applied_generation,
                          'keep': e.keep, 'file': e.file, 'line': e.line}, e.ts) AS run
    FROM cx c JOIN enactor_events e
      ON e.event = 'cleanup_start' AND e.host = c.host AND e.ts <= c.start
    GROUP BY c.id
),
applied AS (
    SELECT c.id, arg_max({'ts': e.ts, 'host': e.host}, e.ts) AS upd
    FROM cx c JOIN enactor_events e
      ON e.event = 'endpoint_update' AND e.status = 'ok' AND e.endpoint = c.endpoint
     AND e.generation = c.generation AND e.ts <= c.start
    GROUP BY c.id
),
dnsf AS (SELECT * FROM fx WHERE rule = 'dns_resolution_failure'),
dns_counts AS (
    SELECT f.id,
           count(*) FILTER (WHERE q.failed AND q.ts <= coalesce(f."end", f.start)) AS failed,
           count(*) FILTER (WHERE q.ts <= coalesce(f."end", f.start)) AS total,
           arg_min(q.rcode, q.ts) FILTER (WHERE q.failed) AS first_rcode,
           min(q.ts) FILTER (WHERE q.ts > f."end" AND NOT q.failed) AS recovered_at
    FROM dnsf f JOIN dns_queries q ON q.qname = f.endpoint AND q.ts >= f.start
    GROUP BY f.id
),
blocked AS (
    SELECT f.id, count(*) AS attempts, count(DISTINCT e.host) AS hosts,
           arg_min(e.error, e.ts) AS first_error
    FROM fx f JOIN enactor_events e
      ON e.event = 'endpoint_update' AND e.status = 'error' AND e.endpoint = f.endpoint
     AND e.ts BETWEEN f.start AND coalesce(f."end", f.start)
    WHERE f.rule = 'blocked_updates'
    GROUP BY f.id
),
restores AS (
    SELECT f.id, f.endpoint, f."end" AS ts, f.start AS empty_since
    FROM fx f WHERE f.rule = 'endpoint_empty' AND f."end" IS NOT NULL
),
empty_end_by AS (
    SELECT r.id,
        (SELECT arg_min({'host': e.host, 'generation': e.generation}, e.ts)
         FROM enactor_events e WHERE e.event = 'endpoint_update' AND e.status = 'ok'
           AND e.endpoint = r.endpoint
           AND date_trunc('millisecond', e.ts) = date_trunc('millisecond', r.ts)) AS upd,
        (SELECT count(*) FROM operator_actions o WHERE o.endpoint = r.endpoint
           AND date_trunc('millisecond', o.ts) = date_trunc('millisecond', r.ts)) AS by_operator
    FROM restores r
),
stalls AS (
    SELECT f.* FROM fx f WHERE f.rule = 'enactor_stall' AND (
        NOT EXISTS (SELECT 1 FROM {findings} g
                    WHERE g.rule IN ('non_monotonic_apply', 'stale_plan_check'))
        OR EXISTS (SELECT 1 FROM {findings} g
                   WHERE g.rule IN ('non_monotonic_apply', 'stale_plan_check')
                   AND g.host = f.host AND g.generation = f.generation))
)
SELECT s.start AS ts, 'stall_begins' AS kind, s.host, s.endpoint, s.generation, s.rule,
       s.id AS finding_id, s.ev_start AS evidence,
       to_json({'until': s."end", 'duration_s': epoch(s."end" - s.start)}) AS facts
FROM stalls s
UNION ALL
SELECT w.t_first, 'newer_plans', n.host, n.endpoint, n.generation, NULL, n.id,
       [w.ev_first, w.ev_last],
       to_json({'n_plans': w.n_plans, 'g_first': w.g_first, 'g_last': w.g_last,
                't_last': w.t_last})
FROM nm n JOIN newer w USING (id)
UNION ALL
SELECT (o.prev).ts, 'fast_apply', (o.prev).host, n.endpoint, (o.prev).generation, NULL, n.id,
       [{'file': (o.prev).file, 'line': (o.prev).line}],
       to_json({'stale_generation': n.generation, 'stale_host': n.host})
FROM nm n JOIN overwritten o USING (id)
UNION ALL
SELECT (r.run).ts, 'cleanup_start', c.host, c.endpoint, (r.run).applied_generation, NULL, c.id,
       [{'file': (r.run).file, 'line': (r.run).line}],
       to_json({'keep': (r.run).keep})
FROM cx c JOIN cleanup r USING (id)
UNION ALL
SELECT n.start, 'stale_overwrite', n.host, n.endpoint, n.generation, n.rule, n.id, n.ev_start,
       to_json({'prev_generation': coalesce((o.prev).generation,
                    TRY_CAST(json_extract(n.details, '$.previous_generation') AS BIGINT)),
                'prev_host': (o.prev).host, 'prev_ts': (o.prev).ts,
                'check_ts': n.check_ts})
FROM nm n LEFT JOIN overwritten o USING (id)
UNION ALL
SELECT c.start, 'live_plan_deleted', c.host, c.endpoint, c.generation, c.rule, c.id, c.ev_start,
       to_json({'endpoints': coalesce(json_extract(c.details, '$.endpoints'),
                                       to_json([c.endpoint])),
                'applied_by': (a.upd).host, 'applied_ts': (a.upd).ts})
FROM cx c LEFT JOIN applied a USING (id)
UNION ALL
SELECT f.start, 'endpoint_empty', NULL, f.endpoint, f.generation, f.rule, f.id, f.ev_start,
       to_json({'until': f."end"})
FROM fx f WHERE f.rule = 'endpoint_empty'
UNION ALL
SELECT f.start, 'blocked_updates', NULL, f.endpoint, f.generation, f.rule, f.id,
       CASE WHEN f.ev_start = f.ev_end THEN f.ev_start
            ELSE list_concat(f.ev_start, f.ev_end) END,
       to_json({'until': f."end", 'attempts': b.attempts, 'hosts': b.hosts,
                'error': b.first_error})
FROM fx f LEFT JOIN blocked b USING (id) WHERE f.rule = 'blocked_updates'
UNION ALL
SELECT f.start, 'first_failed_query', NULL, f.endpoint, NULL, f.rule, f.id, f.ev_start,
       to_json({'until': f."end", 'failed': d.failed, 'total': d.total,
                'rcode': d.first_rcode})
FROM dnsf f LEFT JOIN dns_counts d USING (id)
UNION ALL
SELECT f."end", 'last_failed_query', NULL, f.endpoint, NULL, f.rule, f.id, f.ev_end,
       to_json({'recovered_at': d.recovered_at})
FROM dnsf f LEFT JOIN dns_counts d USING (id) WHERE f."end" IS NOT NULL
UNION ALL
SELECT r.ts, 'endpoint_restored', (b.upd).host, r.endpoint, (b.upd).generation, 'endpoint_empty',
       r.id, f.ev_end,
       to_json({'empty_s': epoch(r.ts - r.empty_since)})
FROM restores r JOIN empty_end_by b USING (id) JOIN fx f USING (id)
WHERE b.by_operator = 0
UNION ALL
SELECT o.ts, 'operator_action', o.actor, o.endpoint, o.generation, NULL, NULL,
       [{'file': o.file, 'line': o.line}],
       to_json({'action': o.action, 'note': o.note,
                'empty_s': (SELECT max(epoch(r.ts - r.empty_since)) FROM restores r
                            WHERE r.endpoint = o.endpoint
                              AND date_trunc('millisecond', r.ts)
                                  = date_trunc('millisecond', o.ts))})
FROM operator_actions o
