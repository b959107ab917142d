-- id: unlogged_change
-- title: A DNS change no Enactor made
-- severity: medium
-- tables: record_changes, enactor_events
-- description: A successful Route 53 change (CloudTrail) of an endpoint that some
--   Enactor log covers, whose change id no Enactor line names and whose actor is not an
--   Enactor's: an out-of-band change (a person at the console, another tool). Start: the
--   change; endpoint: the name; host: the actor.
--
-- Logic: an Enactor log covers an endpoint it updates, between its first and last
-- line. An actor is an Enactor's when some change it made is named by an Enactor line,
-- or its session name is an Enactor host (pf_enactor_actors). One finding per batch and
-- name.
WITH covered AS (
    SELECT endpoint, min(ts) AS first_ts, max(ts) AS last_ts
    FROM enactor_events
    WHERE event = 'endpoint_update' AND endpoint IS NOT NULL
    GROUP BY endpoint
), named AS (
    SELECT DISTINCT change_id FROM enactor_events WHERE change_id IS NOT NULL
), changes AS (
    SELECT c.name, c.batch, any_value(c.ts) AS ts, any_value(c.actor) AS actor,
           any_value(c.change_id) AS change_id,
           list_distinct(list(c.action || ' ' || c.type)) AS what,
           any_value(c.file) AS file, any_value(c.line) AS line, any_value(c.record) AS record
    FROM pf_rc_ok c JOIN covered v
      ON v.endpoint = c.name AND c.ts BETWEEN v.first_ts AND v.last_ts
    WHERE (c.change_id IS NULL OR c.change_id NOT IN (SELECT change_id FROM named))
      AND (c.actor IS NULL OR c.actor NOT IN (SELECT actor FROM pf_enactor_actors))
    GROUP BY c.name, c.batch
)
SELECT
    'unlogged_change' AS rule,
    'medium' AS severity,
    ts AS start,
    NULL AS "end",
    name AS endpoint,
    NULL AS generation,
    actor AS host,
    format('{} changed {} at {} ({}, change {}) with no Enactor line for it: an out-of-band '
           'change', coalesce(actor, 'an unknown actor'), name, pf_iso(ts),
           array_to_string(list_sort(what), ', '), coalesce(change_id, '?')) AS summary,
    json_object('change_id', change_id, 'actions', list_sort(what), 'actor', actor) AS details,
    [{'file': file, 'line': line, 'record': record}] AS evidence
FROM changes
