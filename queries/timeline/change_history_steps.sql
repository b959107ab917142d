-- id: change_history_steps
-- title: The timeline steps of the DNS change history
-- tables: findings, enactor_events
-- description: One row per step of the change-history rules (a name emptied, put back,
--   fought over, changed out of band), in the shape of the key events. A change id an
--   Enactor line names adds that line to the step's evidence.
--
WITH f AS (
    SELECT *, TRY_CAST(json_extract_string(details, '$.change_id') AS VARCHAR) AS cid,
           TRY_CAST(json_extract_string(details, '$.restored_change_id') AS VARCHAR) AS back_cid
    FROM {findings}
    WHERE rule IN ('record_set_emptied', 'conflicting_writers', 'unlogged_change')
), enactor AS (
    SELECT change_id,
           arg_min({'file': file, 'line': line, 'record': NULL::BIGINT}, (ts, file, line)) AS ev,
           arg_min(host, (ts, file, line)) AS host
    FROM enactor_events
    WHERE event = 'endpoint_update' AND change_id IS NOT NULL
    GROUP BY change_id
)
SELECT f.start AS ts, f.rule AS kind, f.host, f.endpoint, NULL::BIGINT AS generation, f.rule,
       f.id AS finding_id,
       list_filter([f.evidence[1], e.ev], lambda x: x.file IS NOT NULL) AS evidence,
       to_json({'details': f.details::JSON, 'end': f."end", 'enactor': e.host}) AS facts
FROM f LEFT JOIN enactor e ON e.change_id = f.cid
UNION ALL
SELECT f."end", 'record_set_restored',
       json_extract_string(f.details, '$.restored_by'), f.endpoint, NULL, f.rule, f.id,
       list_filter([f.evidence[-1], e.ev], lambda x: x.file IS NOT NULL),
       to_json({'details': f.details::JSON, 'since': f.start, 'enactor': e.host})
FROM f LEFT JOIN enactor e ON e.change_id = f.back_cid
WHERE f.rule = 'record_set_emptied' AND f."end" IS NOT NULL
