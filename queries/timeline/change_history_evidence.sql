-- id: change_history_evidence
-- title: CloudTrail lines of the Enactor writes a timeline event rests on
-- tables: enactor_events, record_changes
-- description: The timeline's candidate rows (_pf_timeline_raw) with the change-history
--   steps (_pf_timeline_raw_steps), evidence typed with record; each Enactor line of a
--   row's evidence whose change id the trail holds brings the CloudTrail line of that
--   change: the write as the Enactor logged it and as Route 53 got it.
--
WITH rows AS (
    SELECT * REPLACE (CAST(evidence AS STRUCT(file VARCHAR, line BIGINT, record BIGINT)[])
                      AS evidence)
    FROM _pf_timeline_raw
    UNION ALL BY NAME
    SELECT * FROM _pf_timeline_raw_steps
), numbered AS (SELECT row_number() OVER () AS _i, * FROM rows),
ev AS (SELECT _i, unnest(evidence) AS e FROM numbered),
trail AS (
    SELECT change_id, arg_min({'file': file, 'line': line, 'record': record}, (ts, file, line))
               AS ev
    FROM record_changes WHERE change_id IS NOT NULL GROUP BY change_id
),
linked AS (
    SELECT ev._i, list(DISTINCT t.ev) AS extra
    FROM ev
    JOIN enactor_events x ON x.file = ev.e.file AND x.line = ev.e.line
    JOIN trail t ON t.change_id = x.change_id
    GROUP BY ev._i
)
SELECT * EXCLUDE (_i, evidence),
       list_transform(evidence, lambda x: {'file': x.file, 'line': x.line}) AS evidence,
       list_transform(evidence, lambda x: x.record) AS _records
FROM (
    SELECT n.* EXCLUDE (evidence),
           list_concat(n.evidence, list_filter(coalesce(l.extra, []),
                                               lambda x: NOT list_contains(n.evidence, x)))
               AS evidence
    FROM numbered n LEFT JOIN linked l USING (_i)
)
ORDER BY _i
