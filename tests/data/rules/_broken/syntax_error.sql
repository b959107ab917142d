-- id: syntax_error
-- title: SQL that does not parse
-- severity: low
-- tables: enactor_events
-- description: The FROM keyword is misspelt on line 9.
--
-- (line 8 is the SELECT)
SELECT 'syntax_error' AS rule, 'low' AS severity, ts AS start, NULL AS "end",
       endpoint, generation, host, event AS summary, '{}' AS details, [] AS evidence
FORM enactor_events
