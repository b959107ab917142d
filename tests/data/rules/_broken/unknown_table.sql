-- id: unknown_table
-- title: A table that is not canonical
-- severity: low
-- tables: enactor_events, dns_log
-- description: dns_log is not a canonical table.
SELECT 1
