-- id: dns_cause_and_recovery
-- title: DNS failure windows: their cause and their recovery
-- tables: findings, enactor_events, operator_actions, dns_queries, record_changes
-- description: One row per dns_resolution_failure finding: the control-plane findings that
--   can cause it, its first good answer after it, and the events that explain that recovery
--   (the dns_failure_without_cause and dns_recovery_unexplained gaps).
-- param dns_tolerance_s = 60: how far resolver and control-plane clocks may disagree, in
--   seconds, when matching a cause
--
-- DNS failure windows: is there a control-plane finding for the name at or before the first
-- failure (and not over long before it)? Is there a control-plane or operator event that
-- explains the recovery: after the failure began and before the first good answer (give
-- or take the clock tolerance)?
WITH d AS (SELECT * FROM {findings} WHERE rule = 'dns_resolution_failure'),
cp AS (
    SELECT id, rule, start, "end", endpoint FROM {findings}
    WHERE rule IN ('endpoint_empty', 'non_monotonic_apply', 'blocked_updates',
                   'record_set_emptied')
    UNION ALL
    SELECT id, rule, start, "end",
           unnest(coalesce(TRY_CAST(json_extract(details, '$.endpoints') AS VARCHAR[]),
                           [endpoint]))
    FROM {findings} WHERE rule = 'cleanup_deleted_live_plan'
),
cp_end AS (SELECT max(ts) AS t FROM enactor_events),
caused AS (
    SELECT d.id, count(c.id) AS causes
    FROM d LEFT JOIN cp c
      ON c.endpoint = d.endpoint AND c.start <= d.start + to_seconds($dns_tolerance_s)
     AND coalesce(c."end", CASE WHEN c.rule IN ('endpoint_empty', 'record_set_emptied')
                                 THEN 'infinity'::TIMESTAMPTZ
                                 ELSE c.start END) >= d.start - to_seconds($dns_tolerance_s)
    GROUP BY d.id
),
recovered AS (
    SELECT d.id, min(q.ts) AS at,
           arg_min({'file': q.file, 'line': q.line}, (q.ts, q.line)) AS ev
    FROM d JOIN dns_queries q
      ON q.qname = d.endpoint AND q.ts > d."end" AND NOT q.failed
    GROUP BY d.id
),
explained AS (
    SELECT r.id,
        (SELECT count(*) FROM enactor_events e, d
         WHERE d.id = r.id AND e.event = 'endpoint_update' AND e.status = 'ok'
           AND e.endpoint = d.endpoint
           AND e.ts BETWEEN d.start AND r.at + to_seconds($dns_tolerance_s))
      + (SELECT count(*) FROM operator_actions o, d
         WHERE d.id = r.id AND (o.endpoint = d.endpoint OR
                                (o.endpoint IS NULL AND o.action LIKE 'restore%'))
           AND o.ts BETWEEN d.start AND r.at + to_seconds($dns_tolerance_s))
      + (SELECT count(*) FROM {findings} f, d
         WHERE d.id = r.id AND f.rule = 'endpoint_empty' AND f.endpoint = d.endpoint
           AND f."end" BETWEEN d.start AND r.at + to_seconds($dns_tolerance_s))
      -- a successful change of the name in the change history (CloudTrail): a console fix
      + (SELECT count(*) FROM record_changes c, d
         WHERE d.id = r.id AND c.name = d.endpoint AND c.error_code IS NULL
           AND c.action <> 'DELETE'
           AND c.ts BETWEEN d.start AND r.at + to_seconds($dns_tolerance_s)) AS events
    FROM recovered r
)
SELECT d.id, d.endpoint, d.start, d."end", d.evidence, c.causes, r.at AS recovered_at,
       r.ev AS recovered_ev, x.events AS recovery_events
FROM d JOIN caused c USING (id) LEFT JOIN recovered r USING (id)
LEFT JOIN explained x USING (id)
ORDER BY d.start, d.endpoint
