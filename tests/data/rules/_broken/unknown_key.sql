-- id: unknown_key
-- title: A misspelt header key
-- severty: high
-- tables: enactor_events
-- description: The header says severty.
SELECT 1
