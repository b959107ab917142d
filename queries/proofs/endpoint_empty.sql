-- id: endpoint_empty
-- title: The lines of an empty endpoint
-- tables: findings, enactor_events, operator_actions
-- description: Per endpoint_empty finding: the deletion (del), the operator restore
--   (restore) or update (upd) that ended it, the failed updates in between and where the
--   Enactor logs end. The Python builder turns them into Let/Then/Therefore.
--
SELECT f.id,
  (SELECT arg_min({'ts': e.ts, 'host': e.host, 'generation': e.generation,
                   'file': e.file, 'line': e.line},
                  abs(epoch(e.ts - f.start)))
    FROM enactor_events e
    WHERE e.event = 'plan_delete' AND e.generation = f.generation
      AND abs(epoch(e.ts - f.start)) < 1) AS del,
  (SELECT arg_min({'ts': o.ts, 'host': o.actor, 'generation': o.generation,
                   'file': o.file, 'line': o.line}, o.ts) FROM operator_actions o
    WHERE o.endpoint = f.endpoint AND o.ts >= f."end" - INTERVAL 1 SECOND
      AND o.ts <= f."end" + INTERVAL 1 SECOND) AS restore,
  (SELECT arg_min({'ts': e.ts, 'host': e.host, 'generation': e.generation,
                   'file': e.file, 'line': e.line}, e.ts) FROM enactor_events e
    WHERE e.event = 'endpoint_update' AND e.status = 'ok' AND e.endpoint = f.endpoint
      AND e.ts > f.start AND e.ts <= f."end" + INTERVAL 1 SECOND) AS upd,
  (SELECT count(*) FROM enactor_events e
    WHERE e.event = 'endpoint_update' AND e.status = 'error' AND e.endpoint = f.endpoint
      AND e.ts > f.start AND e.ts < coalesce(f."end", 'infinity'::TIMESTAMPTZ)) AS failed,
  (SELECT max(ts) FROM enactor_events) AS logs_end
FROM {findings} f WHERE f.rule = 'endpoint_empty'
