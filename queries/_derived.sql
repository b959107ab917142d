-- Shared derived state, defined once and created before the rules run.
--
-- Not a rule: files whose name starts with "_" are run first, in name order, on the
-- case's connection. Every object is TEMP (so a read-only case works) and prefixed
-- "pf_" (so it never collides with a canonical table). The rules read these instead of
-- repeating the logic. Ordering convention (findings.md, "Ties"): events are ordered
-- by clock-corrected time (tc: ts_corrected of queries/_clocks.sql, which runs first),
-- and events with equal times keep their file order (file, line). Raw times (ts) stay
-- beside them: they are what the cited lines say, and what findings report. Each row
-- carries the clock that stamped it, for pf_order_uncertain.

-- RFC 3339 in UTC with milliseconds and "Z": the time format of the output contract.
CREATE OR REPLACE TEMP MACRO pf_iso(t) AS strftime(timezone('UTC', t), '%Y-%m-%dT%H:%M:%S.%gZ');

-- One evidence item: the file (relative to the ingested directory) and the line.
CREATE OR REPLACE TEMP MACRO pf_ev(f, l) AS {'file': f::VARCHAR, 'line': l::BIGINT};

-- A list without repeated items, in first-seen order (list_distinct does not keep order).
CREATE OR REPLACE TEMP MACRO pf_dedupe(l) AS list_filter(l, lambda x, i: list_position(l, x) = i);

-- Plans as the planner wrote them: one row per generation (the first plan_created line
-- if a generation was logged twice). Events of a generation that is not here were used
-- without planner logs (a root-cause gap the report names).
CREATE OR REPLACE TEMP TABLE pf_plan_created AS
SELECT generation,
       min(ts) AS created_at,
       arg_min(ts_corrected, (ts, file, line)) AS created_tc,
       arg_min(host, (ts, file, line)) AS host,
       arg_min(file, (ts, file, line)) AS file,
       arg_min(line, (ts, file, line)) AS line
FROM planner_events_ordered
WHERE event = 'plan_created' AND generation IS NOT NULL AND ts IS NOT NULL
GROUP BY generation;

-- The planner's head: the newest generation written at or before each creation time
-- (a running maximum, so an out-of-order line cannot lower it). Rules ASOF-join it on
-- corrected time to ask "which plan was the newest at time t?".
CREATE OR REPLACE TEMP TABLE pf_planner_head AS
SELECT created_at, created_tc,
       max(generation) OVER (ORDER BY created_tc, generation ROWS UNBOUNDED PRECEDING)
           AS head_generation,
       host, file, line
FROM pf_plan_created;

-- State-setting events of every endpoint: a successful endpoint_update, or an operator
-- restore_endpoint that names a generation (findings.md, "Effective generation").
-- Each row carries the state just before it (prev_*), in corrected-time order.
CREATE OR REPLACE TEMP TABLE pf_sets AS
WITH s AS (
    SELECT endpoint, ts, ts_corrected AS tc, generation, host, host AS clock,
           'update' AS kind, file, line
    FROM enactor_events_ordered
    WHERE event = 'endpoint_update' AND status = 'ok'
      AND endpoint IS NOT NULL AND generation IS NOT NULL
    UNION ALL
    SELECT endpoint, ts, ts_corrected, generation, actor, pf_operator_clock(file),
           'restore', file, line
    FROM operator_actions_ordered
    WHERE action = 'restore_endpoint' AND endpoint IS NOT NULL AND generation IS NOT NULL
)
SELECT *,
       lag(generation) OVER w AS prev_generation,
       lag(host) OVER w AS prev_host,
       lag(clock) OVER w AS prev_clock,
       lag(kind) OVER w AS prev_kind,
       lag(ts) OVER w AS prev_ts,
       lag(tc) OVER w AS prev_tc,
       lag(file) OVER w AS prev_file,
       lag(line) OVER w AS prev_line
FROM s
WINDOW w AS (PARTITION BY endpoint ORDER BY tc, file, line);

-- Every plan_delete (clean-up), with the clean-up that issued it (keep threshold): one
-- host's events, so its own order.
CREATE OR REPLACE TEMP TABLE pf_deletes AS
SELECT d.ts, d.ts_corrected AS tc, d.host, d.generation, d.applied_generation, d.file,
       d.line, c.keep, c.ts AS cleanup_ts, c.file AS cleanup_file, c.line AS cleanup_line
FROM (SELECT * FROM enactor_events_ordered
      WHERE event = 'plan_delete' AND generation IS NOT NULL) d
ASOF LEFT JOIN (SELECT * FROM enactor_events WHERE event = 'cleanup_start') c
    ON c.host = d.host AND d.ts >= c.ts;

-- Deletions of a live plan: a plan_delete of g while g is the effective generation of
-- an endpoint (the latest state-setting event at or before the delete, in corrected
-- time, set it to g). Only the first delete of a generation counts: a second delete
-- of the same plan changes nothing. Candidate endpoints are those some event set to g.
CREATE OR REPLACE TEMP TABLE pf_live_deletes AS
WITH first_delete AS (
    SELECT * FROM pf_deletes
    QUALIFY row_number() OVER (PARTITION BY generation ORDER BY tc, file, line) = 1
), candidates AS (
    SELECT DISTINCT d.*, s.endpoint
    FROM first_delete d JOIN pf_sets s ON s.generation = d.generation AND s.tc <= d.tc
)
SELECT c.*,
       s.host AS set_host, s.clock AS set_clock, s.kind AS set_kind, s.ts AS set_ts,
       s.tc AS set_tc, s.file AS set_file, s.line AS set_line
FROM candidates c
ASOF JOIN pf_sets s ON s.endpoint = c.endpoint AND c.tc >= s.tc
WHERE s.generation = c.generation;

-- Empty intervals: from the deletion of an endpoint's live plan until the next
-- state-setting event on it (a successful update or a restore); open (end_ts null)
-- when none follows in the logs.
CREATE OR REPLACE TEMP TABLE pf_empty AS
SELECT d.endpoint, d.generation, d.ts AS start_ts, d.tc AS start_tc, d.host AS deleted_by,
       d.file, d.line, d.applied_generation, d.keep,
       d.set_host, d.set_clock, d.set_kind, d.set_ts, d.set_tc, d.set_file, d.set_line,
       n.ts AS end_ts, n.tc AS end_tc, n.kind AS end_kind, n.host AS end_host,
       n.clock AS end_clock, n.generation AS end_generation, n.file AS end_file,
       n.line AS end_line
FROM pf_live_deletes d
ASOF LEFT JOIN pf_sets n ON n.endpoint = d.endpoint AND d.tc < n.tc;
