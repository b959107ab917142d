-- Shared derived state, defined once and created before the rules run.
--
-- Not a rule: files whose name starts with "_" are run first, in name order, on the
-- case's connection. Every object is TEMP (so a read-only case works) and prefixed
-- "pf_" (so it never collides with a canonical table). The rules read these instead of
-- repeating the logic. Ordering convention (findings.md, "Ties"): events are ordered
-- by timestamp, and events with equal timestamps keep their file order (file, line).

-- RFC 3339 in UTC with milliseconds and "Z": the time format of the output contract.
CREATE OR REPLACE TEMP MACRO pf_iso(t) AS strftime(timezone('UTC', t), '%Y-%m-%dT%H:%M:%S.%gZ');

-- Seconds between two instants (b - a), with microsecond precision.
CREATE OR REPLACE TEMP MACRO pf_secs(a, b) AS (epoch_us(b) - epoch_us(a)) / 1e6;

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
       arg_min(host, (ts, file, line)) AS host,
       arg_min(file, (ts, file, line)) AS file,
       arg_min(line, (ts, file, line)) AS line
FROM planner_events
WHERE event = 'plan_created' AND generation IS NOT NULL AND ts IS NOT NULL
GROUP BY generation;

-- The planner's head: the newest generation written at or before each creation time
-- (a running maximum, so an out-of-order line cannot lower it). Rules ASOF-join it to
-- ask "which plan was the newest at time t?".
CREATE OR REPLACE TEMP TABLE pf_planner_head AS
SELECT created_at,
       max(generation) OVER (ORDER BY created_at, generation ROWS UNBOUNDED PRECEDING)
           AS head_generation,
       host, file, line
FROM pf_plan_created;

-- State-setting events of every endpoint: a successful endpoint_update, or an operator
-- restore_endpoint that names a generation (findings.md, "Effective generation").
-- Each row carries the state just before it (prev_*), and the newest generation any
-- Enactor had set on the endpoint before it (max_before_*), in the tie order above.
CREATE OR REPLACE TEMP TABLE pf_sets AS
WITH s AS (
    SELECT endpoint, ts, generation, host, 'update' AS kind, file, line
    FROM enactor_events
    WHERE event = 'endpoint_update' AND status = 'ok'
      AND endpoint IS NOT NULL AND generation IS NOT NULL
    UNION ALL
    SELECT endpoint, ts, generation, actor AS host, 'restore' AS kind, file, line
    FROM operator_actions
    WHERE action = 'restore_endpoint' AND endpoint IS NOT NULL AND generation IS NOT NULL
)
SELECT *,
       lag(generation) OVER w AS prev_generation,
       lag(host) OVER w AS prev_host,
       lag(kind) OVER w AS prev_kind,
       lag(ts) OVER w AS prev_ts,
       lag(file) OVER w AS prev_file,
       lag(line) OVER w AS prev_line
FROM s
WINDOW w AS (PARTITION BY endpoint ORDER BY ts, file, line);

-- Every plan_delete (clean-up), with the clean-up that issued it (keep threshold).
CREATE OR REPLACE TEMP TABLE pf_deletes AS
SELECT d.ts, d.host, d.generation, d.applied_generation, d.file, d.line,
       c.keep, c.ts AS cleanup_ts, c.file AS cleanup_file, c.line AS cleanup_line
FROM (SELECT * FROM enactor_events
      WHERE event = 'plan_delete' AND generation IS NOT NULL) d
ASOF LEFT JOIN (SELECT * FROM enactor_events WHERE event = 'cleanup_start') c
    ON c.host = d.host AND d.ts >= c.ts;

-- Deletions of a live plan: a plan_delete of g while g is the effective generation of
-- an endpoint (the latest state-setting event at or before the delete set it to g).
-- Only the first delete of a generation counts: a second delete of the same plan
-- changes nothing. Candidate endpoints are those some event ever set to g.
CREATE OR REPLACE TEMP TABLE pf_live_deletes AS
WITH first_delete AS (
    SELECT * FROM pf_deletes
    QUALIFY row_number() OVER (PARTITION BY generation ORDER BY ts, file, line) = 1
), candidates AS (
    SELECT DISTINCT d.*, s.endpoint
    FROM first_delete d JOIN pf_sets s ON s.generation = d.generation AND s.ts <= d.ts
)
SELECT c.*,
       s.host AS set_host, s.kind AS set_kind, s.ts AS set_ts,
       s.file AS set_file, s.line AS set_line
FROM candidates c
ASOF JOIN pf_sets s ON s.endpoint = c.endpoint AND c.ts >= s.ts
WHERE s.generation = c.generation;

-- Empty intervals: from the deletion of an endpoint's live plan until the next
-- state-setting event on it (a successful update or a restore); open (end_ts null)
-- when none follows in the logs.
CREATE OR REPLACE TEMP TABLE pf_empty AS
SELECT d.endpoint, d.generation, d.ts AS start_ts, d.host AS deleted_by,
       d.file, d.line, d.applied_generation, d.keep,
       d.set_host, d.set_kind, d.set_ts, d.set_file, d.set_line,
       n.ts AS end_ts, n.kind AS end_kind, n.host AS end_host,
       n.generation AS end_generation, n.file AS end_file, n.line AS end_line
FROM pf_live_deletes d
ASOF LEFT JOIN pf_sets n ON n.endpoint = d.endpoint AND d.ts < n.ts;

-- Clock skew from causal order. Reference clock: the planner. A plan is created
-- before any Enactor checks, applies, reads as current, cleans up after or deletes it,
-- so for every Enactor event that names generation g:
--     offset(host) <= ts(event) - created_at(g)        (margin_ms below)
-- A negative margin means the host logged the event before the plan existed: its
-- clock is behind by at least -margin. One row per (event, generation named).
CREATE OR REPLACE TEMP TABLE pf_causal AS
WITH refs AS (
    SELECT host, ts, event, file, line,
           unnest(list_distinct(list_filter([generation, current_generation, applied_generation],
                                            lambda g: g IS NOT NULL))) AS ref_generation
    FROM enactor_events
)
SELECT r.host, r.ts, r.event, r.file, r.line, r.ref_generation,
       p.created_at, p.file AS cause_file, p.line AS cause_line,
       pf_secs(p.created_at, r.ts) * 1000 AS margin_ms
FROM refs r JOIN pf_plan_created p ON p.generation = r.ref_generation;

-- Per host: the upper bound of its clock offset against the planner (ms; null when no
-- event constrains it) and the uncertainty the rules use to judge an order of events
-- on this host against another host: how far its clock is seen to be behind (0 when
-- causal order holds, i.e. clocks are taken as synchronised unless the logs disagree).
CREATE OR REPLACE TEMP TABLE pf_host_skew AS
SELECT host,
       min(margin_ms) AS offset_max_ms,
       greatest(0, -min(margin_ms)) AS uncertainty_ms,
       count(*) FILTER (WHERE margin_ms < 0) AS contradictions
FROM pf_causal
GROUP BY host;

-- The clock uncertainty of a host in ms (0 for hosts with no skew evidence).
CREATE OR REPLACE TEMP MACRO pf_unc(h) AS
    coalesce((SELECT max(uncertainty_ms) FROM pf_host_skew k WHERE k.host = h), 0);

-- Does a conclusion rest on the order of two events on different hosts that are
-- closer together than the clock uncertainty of the two hosts? (Equal times on two
-- hosts are always uncertain.)
CREATE OR REPLACE TEMP MACRO pf_order_uncertain(h1, t1, h2, t2) AS
    coalesce(h1 IS DISTINCT FROM h2
             AND abs(pf_secs(t1, t2)) * 1000 <= pf_unc(h1) + pf_unc(h2), false);
