-- id: bad_severity
-- title: An unknown severity
-- severity: urgent
-- tables: enactor_events
-- description: Severities are critical, high, medium, low and info.
SELECT 1
