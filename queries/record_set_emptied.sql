-- id: record_set_emptied
-- title: A name lost its last A, AAAA or CNAME record set
-- severity: critical
-- tables: record_changes
-- description: A successful Route 53 change (CloudTrail) leaves a name that served A,
--   AAAA or CNAME with no record set of that type, and the same batch does not create
--   one: from then on the name does not resolve for that type. Start: the change; end:
--   the next change that makes the name serve the type again (null while open).
--   Details: the deleted values, who created them and when, the change id.
--
-- Logic: pf_name_state (queries/_record_state.sql) counts the name's record sets of
-- each type before and after every batch; a batch that takes the count from above zero
-- to zero empties the name. The end is the first later batch with a count above zero.
WITH s AS (
    SELECT *,
        arg_min({'ts': ts, 'actor': actor, 'change_id': change_id, 'file': file, 'line': line,
                 'record': record}, batch) FILTER (WHERE sets_after > 0)
            OVER (PARTITION BY name, type ORDER BY batch
                  ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS back
    FROM pf_name_state
), emptied AS (
    SELECT * FROM s
    WHERE sets_before > 0 AND sets_after = 0 AND type IN ('A', 'AAAA', 'CNAME')
), deleted AS (
    -- the record sets the batch deleted, with the change that had set them
    SELECT e.name, e.type, e.batch,
           list({'set_identifier': r.set_identifier, 'values': r.values_deleted,
                 'created_by': r.set_by, 'created_at': pf_iso(r.set_at)}
                ORDER BY r.set_identifier NULLS FIRST) AS sets,
           min(r.set_at) AS created_at,
           arg_min({'file': r.set_file, 'line': r.set_line, 'record': r.set_record}, r.set_at)
               AS created_ev
    FROM emptied e JOIN pf_record_sets r
      ON r.name = e.name AND r.type = e.type AND r.batch = e.batch
     AND r.existed_before AND NOT r.exists_after
    GROUP BY ALL
)
SELECT
    'record_set_emptied' AS rule,
    'critical' AS severity,
    e.ts AS start,
    (e.back).ts AS "end",
    e.name AS endpoint,
    NULL AS generation,
    e.actor AS host,
    CASE WHEN e.back IS NULL
         THEN format('{} lost its last {} record set at {} (change {} by {}); not restored in '
                     'the change history', e.name, e.type, pf_iso(e.ts), e.change_id, e.actor)
         ELSE format('{} had no {} record set for {:.1f} s: deleted at {} (change {} by {}), '
                     'back at {} (change {} by {})', e.name, e.type,
                     pf_secs(e.ts, (e.back).ts), pf_iso(e.ts), e.change_id, e.actor,
                     pf_iso((e.back).ts), (e.back).change_id, (e.back).actor)
    END AS summary,
    json_object(
        'type', e.type,
        'change_id', e.change_id,
        'deleted', d.sets,
        'deleted_values', flatten(list_transform(d.sets, lambda x: coalesce(x['values'], []))),
        'created_by', d.sets[1].created_by,
        'created_at', d.sets[1].created_at,
        'restored_by', (e.back).actor,
        'restored_change_id', (e.back).change_id,
        'duration_s', pf_secs(e.ts, (e.back).ts),
        'open', e.back IS NULL
    ) AS details,
    list_filter([{'file': e.file, 'line': e.line, 'record': e.record},
                 {'file': (d.created_ev).file, 'line': (d.created_ev).line,
                  'record': (d.created_ev).record},
                 {'file': (e.back).file, 'line': (e.back).line, 'record': (e.back).record}],
                lambda x: x.file IS NOT NULL) AS evidence
FROM emptied e LEFT JOIN deleted d USING (name, type, batch)
