-- id: blocked_updates
-- title: The lines of blocked updates
-- tables: findings, enactor_events, planner_events
-- description: Per blocked_updates finding: the first and last failed update (f1, fn),
--   failed and successful counts, the newest plan written (plan) and the endpoint_empty
--   finding before it (empty). The Python builder turns them into Let/Then/Therefore.
--
SELECT f.id,
  (SELECT arg_min({'ts': e.ts, 'host': e.host, 'generation': e.generation, 'error': e.error,
                   'file': e.file, 'line': e.line}, (e.ts, e.line)) FROM enactor_events e
    WHERE e.event = 'endpoint_update' AND e.status = 'error' AND e.endpoint = f.endpoint
      AND e.ts BETWEEN f.start AND coalesce(f."end", f.start)) AS f1,
  (SELECT arg_max({'ts': e.ts, 'host': e.host, 'generation': e.generation, 'error': e.error,
                   'file': e.file, 'line': e.line}, (e.ts, e.line)) FROM enactor_events e
    WHERE e.event = 'endpoint_update' AND e.status = 'error' AND e.endpoint = f.endpoint
      AND e.ts BETWEEN f.start AND coalesce(f."end", f.start)) AS fn,
  (SELECT count(*) FROM enactor_events e
    WHERE e.event = 'endpoint_update' AND e.status = 'error' AND e.endpoint = f.endpoint
      AND e.ts BETWEEN f.start AND coalesce(f."end", f.start)) AS failed,
  (SELECT count(DISTINCT e.host) FROM enactor_events e
    WHERE e.event = 'endpoint_update' AND e.status = 'error' AND e.endpoint = f.endpoint
      AND e.ts BETWEEN f.start AND coalesce(f."end", f.start)) AS hosts,
  (SELECT count(*) FROM enactor_events e
    WHERE e.event = 'endpoint_update' AND e.status = 'ok' AND e.endpoint = f.endpoint
      AND e.ts BETWEEN f.start AND coalesce(f."end", f.start)) AS succeeded,
  (SELECT arg_max({'ts': p.ts, 'generation': p.generation, 'file': p.file, 'line': p.line},
                  p.generation) FROM planner_events p
    WHERE p.event = 'plan_created' AND p.ts <= coalesce(f."end", f.start)) AS plan,
  (SELECT arg_max({'ts': c.start, 'generation': c.generation, 'ev': c.evidence}, c.start)
    FROM {findings} c WHERE c.rule = 'endpoint_empty' AND c.endpoint = f.endpoint
      AND c.start <= f.start) AS empty
FROM {findings} f WHERE f.rule = 'blocked_updates'
