-- id: conflicting_writers
-- title: Writers fighting over a record set
-- severity: high
-- tables: record_changes
-- description: Two or more actors change the same record set to different values and
--   one actor's value replaces another's at least twice within an hour, one of them
--   putting back a value it had written (A, B, A...):
--   automation fighting (two external-dns deployments, a Lambda and Terraform). Start:
--   the first of those changes; end: the last. Host: the actor of the first. Details:
--   actors, number of flips, the values.
-- param window_s = 3600: flips closer than this many seconds belong to one fight
-- param min_flips = 2: fewer flips are not reported
--
-- Logic: the changes that set a record set's values (CREATE, UPSERT) in batch order; a
-- flip is one whose actor and (sorted) values differ from the change before it, and it
-- puts a value back when actor and values are those of the change two before (A, B,
-- A). Flips closer than window_s are one fight; a fight of min_flips or more flips, one
-- of them putting a value back, is a finding, from the change the first flip replaced
-- to the last flip. (Writers taking turns with new values, as Enactors applying newer
-- plans do, never put a value back.)
WITH sets AS (
    SELECT *, list_sort(coalesce(values_after, [])) AS v,
           lag(actor) OVER w AS prev_actor,
           lag(list_sort(coalesce(values_after, []))) OVER w AS prev_v,
           lag(ts) OVER w AS prev_ts,
           lag({'file': file, 'line': line, 'record': record}) OVER w AS prev_ev,
           lag(actor, 2) OVER w AS actor_2,
           lag(list_sort(coalesce(values_after, [])), 2) OVER w AS v_2
    FROM pf_record_sets
    WHERE exists_after
    WINDOW w AS (PARTITION BY name, type, set_identifier ORDER BY batch)
), flips AS (
    SELECT *,
        coalesce(pf_secs(lag(ts) OVER w, ts) > $window_s, true) AS new_fight,
        coalesce(actor_2 = actor AND v_2 = v, false) AS puts_back
    FROM sets
    WHERE prev_actor IS NOT NULL AND actor IS DISTINCT FROM prev_actor AND v <> prev_v
    WINDOW w AS (PARTITION BY name, type, set_identifier ORDER BY batch)
), numbered AS (
    SELECT *, sum(new_fight::INTEGER) OVER (PARTITION BY name, type, set_identifier
                                            ORDER BY batch ROWS UNBOUNDED PRECEDING) AS fight
    FROM flips
), fights AS (
    SELECT name, type, set_identifier, fight, count(*) AS flips,
           arg_min(prev_ts, batch) AS start_ts, arg_min(prev_actor, batch) AS first_actor,
           arg_min(prev_ev, batch) AS first_ev,
           max(ts) AS end_ts,
           arg_max({'file': file, 'line': line, 'record': record}, batch) AS last_ev,
           list_distinct(flatten([list(actor), list(prev_actor)])) AS actors,
           list_distinct(flatten([list(v), list(prev_v)])) AS vals
    FROM numbered
    GROUP BY ALL
    HAVING count(*) >= $min_flips AND bool_or(puts_back)
)
SELECT
    'conflicting_writers' AS rule,
    'high' AS severity,
    start_ts AS start,
    end_ts AS "end",
    name AS endpoint,
    NULL AS generation,
    first_actor AS host,
    format('{} writers replaced each other''s {} record set of {} {} times between {} and {}: {}',
           len(actors), type, name, flips, pf_iso(start_ts), pf_iso(end_ts),
           array_to_string(list_sort(actors), ', ')) AS summary,
    json_object(
        'type', type,
        'set_identifier', set_identifier,
        'actors', list_sort(actors),
        'flips', flips,
        'values', list_sort(vals),
        'duration_s', pf_secs(start_ts, end_ts)
    ) AS details,
    [first_ev, last_ev] AS evidence
FROM fights
