-- id: missing_column
-- title: A rule that does not return the contract columns
-- severity: low
-- tables: enactor_events
-- description: It returns no evidence column.
SELECT 'missing_column' AS rule, 'low' AS severity, ts AS start, NULL AS "end",
       endpoint, generation, host, event AS summary, '{}' AS details
FROM enactor_events
