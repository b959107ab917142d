-- id: cleanup_deleted_live_plan
-- title: The lines of a clean-up that deleted a live plan
-- tables: findings, enactor_events, operator_actions
-- description: Per cleanup_deleted_live_plan finding: the deletion (del), the clean-up run
--   (run), the last change of the endpoint before it (live) and the last operator restore
--   before it (restore). The Python builder turns them into Let/Then/Therefore.
--
-- Cross-host lookups (the last change of the endpoint before this one) go by the clock-
-- corrected time of queries/_clocks.sql; a row shows its line's own time.
SELECT f.id,
  (SELECT arg_min({'ts': e.ts, 'tc': e.ts_corrected, 'host': e.host,
                   'generation': e.generation, 'file': e.file, 'line': e.line},
                  abs(epoch(e.ts - f.start)))
    FROM enactor_events_ordered e
    WHERE e.event = 'plan_delete' AND e.host = f.host AND e.generation = f.generation) AS del,
  (SELECT arg_max({'ts': e.ts, 'applied': e.applied_generation, 'keep': e.keep,
                   'file': e.file, 'line': e.line}, e.ts) FROM enactor_events e
    WHERE e.event = 'cleanup_start' AND e.host = f.host AND e.ts <= f.start) AS run,
  (SELECT arg_max({'ts': e.ts, 'tc': e.ts_corrected, 'host': e.host,
                   'generation': e.generation, 'file': e.file, 'line': e.line},
                  (e.ts_corrected, e.line))
    FROM enactor_events_ordered e
    WHERE e.event = 'endpoint_update' AND e.status = 'ok' AND e.endpoint = f.endpoint
      AND e.ts_corrected <= pf_corrected_at(f.host, f.start)) AS live,
  (SELECT arg_max({'ts': o.ts, 'tc': o.ts_corrected, 'host': o.actor,
                   'generation': o.generation, 'file': o.file, 'line': o.line},
                  o.ts_corrected)
    FROM operator_actions_ordered o
    WHERE o.action = 'restore_endpoint' AND o.endpoint = f.endpoint
      AND o.generation IS NOT NULL
      AND o.ts_corrected <= pf_corrected_at(f.host, f.start)) AS restore
FROM {findings} f WHERE f.rule = 'cleanup_deleted_live_plan'
