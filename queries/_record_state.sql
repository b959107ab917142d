-- Derived state of the DNS change history (change-history.md, "Derived state"): which
-- record sets existed when, and what each name served, from record_changes (CloudTrail).
--
-- Not a rule: run after _derived.sql (name order). A record set is (name, type,
-- set_identifier); it exists from a successful CREATE or UPSERT until a successful
-- DELETE. A batch (one ChangeResourceRecordSets call: same time, file, line, record)
-- is atomic, so a DELETE and a CREATE of the same record set in one batch leave it
-- existing. A failed call (error_code) changed nothing and is left out. A record set
-- first seen being deleted existed before the logs begin; record sets never changed in
-- the logs are not known (their names are only as complete as the change history).

-- One row per successful change, numbered by batch in time order (ties: file order).
CREATE OR REPLACE TEMP TABLE pf_rc_ok AS
SELECT *, dense_rank() OVER (ORDER BY ts, file, line, record NULLS FIRST) AS batch
FROM record_changes
WHERE error_code IS NULL;

-- One row per record set and batch that changed it: what it held after the batch, what
-- it held before (the previous batch's values, by whom and when), and until when.
CREATE OR REPLACE TEMP TABLE pf_record_sets AS
WITH b AS (
    SELECT name, type, set_identifier, batch,
           any_value(ts) AS ts, any_value(actor) AS actor, any_value(change_id) AS change_id,
           any_value(file) AS file, any_value(line) AS line, any_value(record) AS record,
           bool_or(action <> 'DELETE') AS exists_after,
           bool_or(action = 'DELETE') AS deletes,
           any_value("values") FILTER (WHERE action <> 'DELETE') AS values_after,
           any_value(alias_target) FILTER (WHERE action <> 'DELETE') AS alias_after,
           any_value("values") FILTER (WHERE action = 'DELETE') AS values_deleted,
           string_agg(DISTINCT action, '+' ORDER BY action) AS actions
    FROM pf_rc_ok
    GROUP BY name, type, set_identifier, batch
)
SELECT *,
       coalesce(lag(exists_after) OVER w, deletes AND NOT exists_after) AS existed_before,
       lag(values_after) OVER w AS values_before,
       lag(actor) OVER w AS set_by,
       lag(ts) OVER w AS set_at,
       lag(file) OVER w AS set_file, lag(line) OVER w AS set_line, lag(record) OVER w AS set_record,
       lead(ts) OVER w AS until,
       lead(batch) OVER w AS next_batch
FROM b
WINDOW w AS (PARTITION BY name, type, set_identifier ORDER BY batch);

-- What each name served of each type after each batch that changed it: how many of its
-- record sets of that type existed before and after (a running count).
CREATE OR REPLACE TEMP TABLE pf_name_state AS
WITH d AS (
    SELECT name, type, batch, any_value(ts) AS ts, any_value(actor) AS actor,
           any_value(change_id) AS change_id,
           any_value(file) AS file, any_value(line) AS line, any_value(record) AS record,
           sum(exists_after::INTEGER - existed_before::INTEGER) AS delta,
           -- record sets that existed before the logs: first seen being deleted
           count(*) FILTER (WHERE existed_before AND set_at IS NULL) AS known_before
    FROM pf_record_sets
    GROUP BY name, type, batch
), n AS (
    SELECT *,
           sum(known_before) OVER (PARTITION BY name, type) AS initial,
           sum(delta) OVER (PARTITION BY name, type ORDER BY batch ROWS UNBOUNDED PRECEDING)
               AS running
    FROM d
)
SELECT name, type, batch, ts, actor, change_id, file, line, record,
       (initial + running - delta)::BIGINT AS sets_before,
       (initial + running)::BIGINT AS sets_after,
       lead(ts) OVER (PARTITION BY name, type ORDER BY batch) AS until
FROM n;

-- What each name served, and when: one row per name, type and batch that changed it,
-- valid from that change until the next (until null: still so where the logs end),
-- with the values of all its record sets of that type then, and who changed it. A
-- view: computed only when asked for (Case.record_state, the report's figure).
CREATE OR REPLACE TEMP VIEW pf_name_served AS
SELECT n.name, n.type, n.ts AS "from", n.until, n.sets_after AS record_sets,
       coalesce(list_sort(list_distinct(flatten(
           list(coalesce(r.values_after, []) || coalesce([r.alias_after], []))
               FILTER (WHERE r.exists_after)))), []) AS "values",
       n.actor AS changed_by, n.change_id, n.file, n.line, n.record
FROM pf_name_state n
LEFT JOIN pf_record_sets r
  ON r.name = n.name AND r.type = n.type AND r.batch <= n.batch
 AND (r.next_batch IS NULL OR r.next_batch > n.batch)
GROUP BY ALL;

-- Names the change history knows: endpoints for the DNS rules (findings.md, "Endpoints").
CREATE OR REPLACE TEMP TABLE pf_change_names AS
SELECT DISTINCT name FROM pf_rc_ok WHERE type IN ('A', 'AAAA', 'CNAME');

-- Enactor writes and CloudTrail changes with the same change id are the same write.
CREATE OR REPLACE TEMP TABLE pf_change_links AS
SELECT e.host, e.endpoint, e.ts AS enactor_ts, e.status, e.change_id,
       e.file AS enactor_file, e.line AS enactor_line,
       c.ts AS change_ts, c.actor, c.error_code, c.file, c.line, c.record
FROM enactor_events e
JOIN (SELECT DISTINCT ON (change_id) * FROM record_changes
      WHERE change_id IS NOT NULL ORDER BY change_id, ts, file, line) c
  ON c.change_id = e.change_id
WHERE e.event = 'endpoint_update' AND e.change_id IS NOT NULL;

-- The Enactors' identities in CloudTrail: actors of changes an Enactor line names, and
-- actors whose session name is an Enactor host.
CREATE OR REPLACE TEMP TABLE pf_enactor_actors AS
SELECT DISTINCT actor FROM pf_change_links WHERE actor IS NOT NULL
UNION
SELECT DISTINCT r.actor FROM record_changes r
WHERE r.actor IS NOT NULL
  AND regexp_extract(r.actor, '/([^/]+)$', 1) IN (SELECT DISTINCT host FROM enactor_events);
