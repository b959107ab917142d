-- id: missing_plan
-- title: Generations no planner log created
-- tables: findings, enactor_events, operator_actions, plans, planner_events
-- description: The generations the Enactors or operators used or deleted that no planner
--   log created, grouped by where they fall against the planner log (none, before it, after
--   it, inside it): the missing_plan gap.
--
-- Generations the Enactors or operators used or deleted that no planner log created.
WITH used AS (
    SELECT generation, CASE WHEN event = 'plan_delete' THEN 'deleted' ELSE 'used' END AS how,
           ts, file, line
    FROM enactor_events
    WHERE generation IS NOT NULL
      AND event IN ('plan_check', 'plan_skip', 'apply_start', 'endpoint_update', 'apply_done',
                    'plan_delete')
    UNION ALL
    SELECT generation, 'used', ts, file, line FROM operator_actions WHERE generation IS NOT NULL
),
created AS (
    SELECT generation FROM plans
    UNION SELECT generation FROM planner_events
          WHERE event = 'plan_created' AND generation IS NOT NULL
),
logged AS (SELECT min(generation) AS lo, max(generation) AS hi, count(*) AS n FROM created),
orphans AS (
    SELECT u.generation, bool_or(u.how = 'used') AS used, bool_or(u.how = 'deleted') AS deleted,
           min(u.ts) AS first_ts, max(u.ts) AS last_ts,
           arg_min({'file': u.file, 'line': u.line}, (u.ts, u.line)) AS ev
    FROM used u ANTI JOIN created c USING (generation)
    GROUP BY u.generation
)
SELECT CASE WHEN l.n = 0 THEN 'no_planner_log'
            WHEN o.generation < l.lo THEN 'before_log'
            WHEN o.generation > l.hi THEN 'after_log'
            ELSE 'inside_log' END AS position,
       list(o.generation ORDER BY o.generation) AS generations,
       list(o.generation ORDER BY o.generation) FILTER (WHERE o.used) AS used,
       list(o.generation ORDER BY o.generation) FILTER (WHERE o.deleted) AS deleted,
       min(o.first_ts) AS start, max(o.last_ts) AS "end",
       list(o.ev ORDER BY o.generation)[1:10] AS evidence,
       any_value(l.lo) AS lo, any_value(l.hi) AS hi,
       bool_or(EXISTS (SELECT 1 FROM {findings} f WHERE f.generation = o.generation
                       AND f.sev_rank >= 4)) AS used_by_finding
FROM orphans o, logged l
GROUP BY ALL
ORDER BY start
