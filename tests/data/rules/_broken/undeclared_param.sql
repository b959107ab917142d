-- id: undeclared_param
-- title: A parameter used but not declared
-- severity: low
-- tables: enactor_events
-- description: $limit_s is used below; no param line declares it.
SELECT 'undeclared_param' AS rule, 'low' AS severity, ts AS start, NULL AS "end",
       endpoint, generation, host, event AS summary, '{}' AS details, [] AS evidence
FROM enactor_events
WHERE latency_ms > $limit_s * 1000
