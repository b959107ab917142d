-- id: non_monotonic_apply
-- title: The lines of a non-monotonic apply
-- tables: findings, enactor_events, operator_actions
-- description: Per non_monotonic_apply finding: the stale update (upd), the last change of
--   the endpoint before it (prev) and the last operator restore before it (restore). The
--   Python builder turns them into Let/Then/Therefore.
--
-- Cross-host lookups (the last change of the endpoint before this one) go by the clock-
-- corrected time of queries/_clocks.sql; a row shows its line's own time.
SELECT f.id,
  (SELECT arg_min({'ts': e.ts, 'tc': e.ts_corrected, 'host': e.host,
                   'generation': e.generation, 'file': e.file, 'line': e.line},
                  abs(epoch(e.ts - f.start)))
    FROM enactor_events_ordered e
    WHERE e.event = 'endpoint_update' AND e.status = 'ok' AND e.endpoint = f.endpoint
      AND e.host = f.host AND e.generation = f.generation) AS upd,
  (SELECT arg_max({'ts': e.ts, 'tc': e.ts_corrected, 'host': e.host,
                   'generation': e.generation, 'file': e.file, 'line': e.line},
                  (e.ts_corrected, e.line))
    FROM enactor_events_ordered e
    WHERE e.event = 'endpoint_update' AND e.status = 'ok' AND e.endpoint = f.endpoint
      AND e.ts_corrected < pf_corrected_at(f.host, f.start)) AS prev,
  (SELECT arg_max({'ts': o.ts, 'tc': o.ts_corrected, 'host': o.actor,
                   'generation': o.generation, 'file': o.file, 'line': o.line},
                  o.ts_corrected)
    FROM operator_actions_ordered o
    WHERE o.action = 'restore_endpoint' AND o.endpoint = f.endpoint
      AND o.generation IS NOT NULL AND o.ts_corrected < pf_corrected_at(f.host, f.start)) AS restore
FROM {findings} f WHERE f.rule = 'non_monotonic_apply'
