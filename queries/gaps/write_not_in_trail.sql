-- id: write_not_in_trail
-- title: Enactor writes the CloudTrail trail does not hold
-- tables: enactor_events, record_changes
-- description: An Enactor's ok write whose change id the trail does not hold as a
--   successful change, while the trail covers that time: the trail (or the write) is
--   missing. A failed call of the same name within a minute is named (the
--   write_not_in_trail gap).
--
WITH span AS (SELECT min(ts) AS lo, max(ts) AS hi FROM record_changes),
ok AS (
    SELECT DISTINCT change_id FROM record_changes WHERE error_code IS NULL AND change_id IS NOT NULL
)
SELECT e.ts, e.host, e.endpoint, e.change_id, e.file, e.line,
       (SELECT arg_min({'error': c.error_code, 'ts': c.ts, 'file': c.file, 'line': c.line,
                        'record': c.record}, abs(epoch(c.ts) - epoch(e.ts)))
        FROM record_changes c
        WHERE c.name = e.endpoint AND c.error_code IS NOT NULL
          AND c.ts BETWEEN e.ts - INTERVAL 60 SECOND AND e.ts + INTERVAL 60 SECOND) AS failed
FROM enactor_events e, span
WHERE e.event = 'endpoint_update' AND e.status = 'ok' AND e.change_id IS NOT NULL
  AND e.ts BETWEEN span.lo AND span.hi
  AND e.change_id NOT IN (SELECT change_id FROM ok)
ORDER BY e.ts, e.file, e.line
