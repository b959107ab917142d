-- id: stale_plan_check
-- title: The lines of a stale plan check
-- tables: findings, enactor_events, planner_events
-- description: Per stale_plan_check finding: the freshness check (chk), the newer update by
--   another Enactor between check and use (newer), the update that used the check (upd) and
--   the plans written meanwhile (plans_since). The Python builder turns them into
--   Let/Then/Therefore.
--
-- Cross-host lookups (the last change of the endpoint before this one) go by the clock-
-- corrected time of queries/_clocks.sql; a row shows its line's own time.
WITH c AS (
  SELECT f.id, f.start, f.endpoint, f.generation, f.host,
    (SELECT arg_max({'ts': e.ts, 'tc': e.ts_corrected, 'current': e.current_generation,
                     'verdict': e.verdict, 'file': e.file, 'line': e.line}, e.ts)
     FROM enactor_events_ordered e WHERE e.event = 'plan_check' AND e.host = f.host
       AND e.generation = f.generation AND e.ts <= f.start) AS chk
  FROM {findings} f WHERE f.rule = 'stale_plan_check'
)
SELECT c.id, c.chk,
  (SELECT arg_min({'ts': e.ts, 'tc': e.ts_corrected, 'host': e.host,
                   'generation': e.generation, 'file': e.file, 'line': e.line},
                  e.ts_corrected)
    FROM enactor_events_ordered e
    WHERE e.event = 'endpoint_update' AND e.status = 'ok' AND e.endpoint = c.endpoint
      AND e.generation > c.generation AND e.host <> c.host
      AND e.ts_corrected > pf_corrected_at(c.host, coalesce((c.chk).ts,
                                                            c.start - INTERVAL 1 DAY))
      AND e.ts_corrected <= pf_corrected_at(c.host, c.start)) AS newer,
  (SELECT arg_min({'ts': e.ts, 'tc': e.ts_corrected, 'host': e.host,
                   'generation': e.generation, 'file': e.file, 'line': e.line},
                  abs(epoch(e.ts - c.start)))
    FROM enactor_events_ordered e
    WHERE e.event = 'endpoint_update' AND e.endpoint = c.endpoint AND e.host = c.host
      AND e.generation = c.generation) AS upd,
  (SELECT count(DISTINCT p.generation) FROM planner_events p
    WHERE p.event = 'plan_created' AND p.generation > c.generation
      AND p.ts > coalesce((c.chk).ts, c.start) AND p.ts <= c.start) AS plans_since
FROM c
