-- id: unknown_column
-- title: A column the table does not have
-- severity: low
-- tables: enactor_events
-- description: enactor_events has no column lock_holder.
SELECT 'unknown_column' AS rule, 'low' AS severity, ts AS start, NULL AS "end",
       endpoint, generation, host, event AS summary, '{}' AS details, [] AS evidence
FROM enactor_events
WHERE lock_holder IS NOT NULL
