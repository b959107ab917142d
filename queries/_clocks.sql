-- The ordering model: one clock-corrected time for every event, defined once.
--
-- Not a rule: run first (files starting with "_" run in name order, before the
-- rules), on the case's connection; every object is TEMP. docs/ordering.md explains
-- the model with a worked example.
--
-- Every row was stamped by one clock: an Enactor's or planner's host, the operator
-- log (its file), a resolver (dns_queries.server, else its file), CloudTrail. Each clock c reads
-- true time plus an offset o(c). The reference clock is the planner (offset 0 by
-- definition): corrected time = ts - o(c).
--
-- The logs give causal constraints "event x (clock a) happened before event y
-- (clock b)": ts_x - o(a) < ts_y - o(b), i.e. o(b) - o(a) < w with w = ts_y - ts_x.
-- Per ordered pair of clocks only the tightest w matters, so each family below is an
-- equi-join or an ASOF join aggregated per pair (linear; no event meets every plan):
--   created   a plan is checked, applied, read as current, cleaned up after, deleted
--             or restored after the planner created it;
--   newest    an Enactor picks up the newest plan (log-formats.md), so its plan_check
--             of g came before the planner created g + 1;
--   deleted   a successful update of g came before the delete of g (a deleted plan
--             cannot be applied: the update fails with PlanNotFound);
--   active    an update failing with "active plan G not found" came after the delete
--             of G and after the endpoint's last successful write of G;
--   reads     a freshness check that read current_generation c came after the apply
--             of c started (when one host applied c): whoever recorded c as applied
--             did so at or after its apply_start;
--   change    the same change id in two sources is one instant (both directions);
--   recovery  an operator's restore of an endpoint came before the DNS recovery it
--             caused (the first answered query after failed ones).
-- An Enactor's own events keep their file order, and its apply_done follows its
-- updates: those orders are within one clock, which the correction shifts as a whole,
-- so they hold by construction (the rules order one host's events by file and line).
--
-- Offsets: the bounds are shortest paths in the graph of constraints (Bellman-Ford
-- in a recursive CTE over the few clocks): upper(c) = d(ref, c), lower(c) =
-- -d(c, ref). The estimate (host_clocks below) satisfies every constraint, and is 0
-- for every clock when the raw times contradict none. A clock that drifted or stepped
-- gives contradicting constraints (a pair whose two directions sum below zero): both
-- directions are widened by the contradiction, so the interval covers the offsets the
-- clock went through. Clocks are taken as within pf_clock_prior_s() of synchronised
-- (NTP-close) unless the logs show otherwise.

-- How far from synchronised a clock is assumed to be unless the logs show otherwise
-- (NTP-synchronised fleets stay well within it; 3x the jitter clock_skew ignores).
CREATE OR REPLACE TEMP MACRO pf_clock_prior_s() AS 0.3;

-- How long a clock's offset is taken as constant (seconds): it drifts slowly.
CREATE OR REPLACE TEMP MACRO pf_clock_window_s() AS 1800;

-- Seconds between two instants (b - a), with microsecond precision.
CREATE OR REPLACE TEMP MACRO pf_secs(a, b) AS (epoch_us(b) - epoch_us(a)) / 1e6;

-- The clock that stamped a row of each table.
CREATE OR REPLACE TEMP MACRO pf_operator_clock(f) AS 'operator:' || f;
CREATE OR REPLACE TEMP MACRO pf_dns_clock(server, f) AS 'dns:' || coalesce(server, f);

-- Plans as the planner wrote them (raw time): the first plan_created of a generation.
CREATE OR REPLACE TEMP TABLE pf_clock_plans AS
SELECT generation, min(ts) AS ts, arg_min(host, (ts, file, line)) AS host,
       arg_min(file, (ts, file, line)) AS file, arg_min(line, (ts, file, line)) AS line
FROM planner_events
WHERE event = 'plan_created' AND generation IS NOT NULL AND ts IS NOT NULL
GROUP BY generation;

CREATE OR REPLACE TEMP TABLE pf_clock_ok_updates AS
SELECT host, ts, endpoint, generation, file, line
FROM enactor_events
WHERE event = 'endpoint_update' AND status = 'ok' AND endpoint IS NOT NULL
  AND generation IS NOT NULL;

CREATE OR REPLACE TEMP TABLE pf_clock_deletes AS
SELECT generation, min(ts) AS ts, arg_min(host, (ts, file, line)) AS host,
       arg_min(file, (ts, file, line)) AS file, arg_min(line, (ts, file, line)) AS line
FROM enactor_events
WHERE event = 'plan_delete' AND generation IS NOT NULL
GROUP BY generation;

-- The DNS side of the recovery constraint: per resolver and name, an answered query
-- right after a failed one, of the endpoints an operator restored. The only table of
-- the model that reads dns_queries, and it is by name (each name's rows alone give its
-- rows): on Spark it is computed per name bucket and the buckets' rows are the whole
-- table (docs/scale.md). Only the rows a failure can precede are sorted: those from a
-- stream's first failed query to its last, and the stream's first after that (the
-- window over every query of the restored names spilled 4 GB at 100M DNS lines).
CREATE OR REPLACE TEMP TABLE pf_clock_recoveries AS
WITH q AS NOT MATERIALIZED (
    SELECT qname, ts, failed, file, line, server FROM dns_queries
    WHERE qname IN (SELECT endpoint FROM operator_actions
                    WHERE action = 'restore_endpoint' AND endpoint IS NOT NULL)
      AND ts IS NOT NULL AND failed IS NOT NULL),
spans AS (
    SELECT server, file, qname, min(ts) AS lo, max(ts) AS hi FROM q WHERE failed
    GROUP BY server, file, qname),
spans_next AS (
    SELECT s.server, s.file, s.qname, s.lo, s.hi, min(q.ts) AS next_ts
    FROM spans s
    LEFT JOIN q ON q.server IS NOT DISTINCT FROM s.server AND q.file = s.file
               AND q.qname = s.qname AND q.ts > s.hi
    GROUP BY s.server, s.file, s.qname, s.lo, s.hi)
SELECT qname, ts, file, line, pf_dns_clock(server, file) AS clock FROM (
    SELECT q.qname, q.ts, q.failed, q.file, q.line, q.server,
           lag(q.failed) OVER (PARTITION BY q.server, q.file, q.qname ORDER BY q.ts, q.line)
               AS prev_failed
    FROM q JOIN spans_next s
      ON q.server IS NOT DISTINCT FROM s.server AND q.file = s.file AND q.qname = s.qname
     AND (q.ts BETWEEN s.lo AND s.hi OR q.ts = s.next_ts))
WHERE NOT failed AND prev_failed;

-- Every constraint "x on clock a before y on clock b", w = ts_y - ts_x (seconds).
CREATE OR REPLACE TEMP TABLE pf_clock_constraints AS
WITH refs AS (
    SELECT host AS clock, ts, file, line,
           unnest(list_distinct(list_filter([generation, current_generation, applied_generation],
                                            lambda g: g IS NOT NULL))) AS generation
    FROM enactor_events
    UNION ALL
    SELECT pf_operator_clock(file), ts, file, line, generation
    FROM operator_actions WHERE action = 'restore_endpoint' AND generation IS NOT NULL
), created AS (
    SELECT 'created' AS kind, p.host AS a, r.clock AS b, pf_secs(p.ts, r.ts) AS w,
           p.file AS file_a, p.line AS line_a, r.file AS file_b, r.line AS line_b,
           p.ts AS ts_a, r.ts AS ts_b
    FROM refs r JOIN pf_clock_plans p USING (generation)
), newest AS (
    SELECT 'newest', c.host, p.host, pf_secs(c.ts, p.ts), c.file, c.line, p.file, p.line,
           c.ts, p.ts
    FROM enactor_events c JOIN pf_clock_plans p ON p.generation = c.generation + 1
    WHERE c.event = 'plan_check'
), deleted AS (
    SELECT 'deleted', u.host, d.host, pf_secs(u.ts, d.ts), u.file, u.line, d.file, d.line,
           u.ts, d.ts
    FROM pf_clock_ok_updates u JOIN pf_clock_deletes d USING (generation)
), failures AS (
    -- the first failure of each host naming the active plan G of an endpoint
    SELECT host, endpoint, active, min(ts) AS ts,
           arg_min(file, (ts, file, line)) AS file, arg_min(line, (ts, file, line)) AS line
    FROM (SELECT *, TRY_CAST(regexp_extract(error, 'active plan (\d+) not found', 1) AS BIGINT)
                        AS active
          FROM enactor_events WHERE event = 'endpoint_update' AND status = 'error')
    WHERE active IS NOT NULL AND endpoint IS NOT NULL
    GROUP BY host, endpoint, active
), failed_after_write AS (
    -- with the endpoint's last successful write of G
    SELECT f.*, arg_max(u.host, (u.ts, u.file, u.line)) AS w_host, max(u.ts) AS w_ts,
           arg_max(u.file, (u.ts, u.file, u.line)) AS w_file,
           arg_max(u.line, (u.ts, u.file, u.line)) AS w_line
    FROM failures f
    JOIN pf_clock_ok_updates u ON u.endpoint = f.endpoint AND u.generation = f.active
    GROUP BY ALL
), active_write AS (
    SELECT 'active', w_host, host, pf_secs(w_ts, ts), w_file, w_line, file, line, w_ts, ts
    FROM failed_after_write
), active_delete AS (
    SELECT 'active', d.host, f.host, pf_secs(d.ts, f.ts), d.file, d.line, f.file, f.line,
           d.ts, f.ts
    FROM failures f JOIN pf_clock_deletes d ON d.generation = f.active
), starts AS (
    -- generations whose apply was started by one host only
    SELECT generation, any_value(host) AS host, min(ts) AS ts,
           arg_min(file, (ts, file, line)) AS file, arg_min(line, (ts, file, line)) AS line
    FROM enactor_events WHERE event = 'apply_start' AND generation IS NOT NULL
    GROUP BY generation HAVING count(DISTINCT host) = 1
), reads AS (
    SELECT 'reads', s.host, c.host, pf_secs(s.ts, c.ts), s.file, s.line, c.file, c.line,
           s.ts, c.ts
    FROM enactor_events c JOIN starts s ON s.generation = c.current_generation
    WHERE c.event IN ('plan_check', 'plan_skip')
), changes AS (
    SELECT host AS clock, ts, change_id, file, line
    FROM enactor_events WHERE change_id IS NOT NULL
    UNION ALL
    SELECT pf_operator_clock(file), ts, extra->>'change_id', file, line
    FROM operator_actions WHERE extra->>'change_id' IS NOT NULL
    UNION ALL
    -- CloudTrail's eventTime is the DNS service's clock: one clock for its documents
    SELECT DISTINCT 'cloudtrail', ts, change_id, file, line
    FROM record_changes WHERE change_id IS NOT NULL
), change AS (
    SELECT 'change', x.clock, y.clock, pf_secs(x.ts, y.ts), x.file, x.line, y.file, y.line,
           x.ts, y.ts
    FROM changes x JOIN changes y ON x.change_id = y.change_id AND x.clock <> y.clock
), restores AS (
    SELECT pf_operator_clock(file) AS clock, ts, endpoint, file, line
    FROM operator_actions WHERE action = 'restore_endpoint' AND endpoint IS NOT NULL
), recovery AS (
    SELECT 'recovery', r.clock, q.clock, pf_secs(r.ts, q.ts), r.file, r.line, q.file, q.line,
           r.ts, q.ts
    FROM pf_clock_recoveries q
    ASOF JOIN restores r ON r.endpoint = q.qname AND q.ts >= r.ts
)
SELECT * FROM created
UNION ALL SELECT * FROM newest
UNION ALL SELECT * FROM deleted
UNION ALL SELECT * FROM active_write
UNION ALL SELECT * FROM active_delete
UNION ALL SELECT * FROM reads
UNION ALL SELECT * FROM change
UNION ALL SELECT * FROM recovery;

-- Clocks drift, so offsets are estimated per window of pf_clock_window_s() seconds
-- (each constraint belongs to the window of its later event): within a window the
-- offset is taken as constant. Per window and ordered pair of clocks: o(b) - o(a) <= w,
-- the tightest constraint, how many there are and the two lines of the tightest.
CREATE OR REPLACE TEMP TABLE pf_clock_edges AS
WITH pairs AS (
    SELECT time_bucket(to_seconds(pf_clock_window_s()), greatest(ts_a, ts_b)) AS win,
           a, b, min(w) AS w, count(*) AS n,
           arg_min(kind, (w, kind, file_a, line_a, file_b, line_b)) AS kind,
           arg_min({'file_a': file_a, 'line_a': line_a, 'file_b': file_b, 'line_b': line_b},
                   (w, kind, file_a, line_a, file_b, line_b)) AS tightest
    FROM pf_clock_constraints WHERE a <> b
    GROUP BY ALL
)
-- a pair whose two directions contradict (w_ab + w_ba < 0: the clock drifted or
-- stepped within the window) is widened in both directions by the contradiction
SELECT p.*, p.w + greatest(0, -(p.w + coalesce(q.w, 'inf'::DOUBLE))) AS w_used
FROM pairs p LEFT JOIN pairs q ON q.win = p.win AND q.a = p.b AND q.b = p.a;

-- Every clock, and the reference: the planner host that created the most plans (else
-- the clock with the most constraints).
CREATE OR REPLACE TEMP TABLE pf_clock_nodes AS
WITH stamped AS (
    SELECT host AS clock, count(*) AS events, count(*) FILTER (WHERE event = 'plan_created')
               AS plans
    FROM planner_events WHERE host IS NOT NULL GROUP BY host
    UNION ALL
    SELECT host, count(*), 0 FROM enactor_events GROUP BY host
    UNION ALL
    SELECT pf_operator_clock(file), count(*), 0 FROM operator_actions GROUP BY file
    UNION ALL
    SELECT unnest([a, b]), 0, 0 FROM pf_clock_constraints  -- resolvers that are constrained
), ends AS (
    SELECT unnest([a, b]) AS clock FROM pf_clock_constraints WHERE a <> b
), n AS (
    SELECT clock, sum(events) AS events, sum(plans) AS plans FROM stamped GROUP BY clock
)
SELECT n.*, coalesce(c.constraints, 0) AS constraints,
       row_number() OVER (ORDER BY plans DESC, coalesce(c.constraints, 0) DESC, events DESC,
                                   n.clock) = 1 AS reference
FROM n LEFT JOIN (SELECT clock, count(*) AS constraints FROM ends GROUP BY clock) c
    USING (clock);

-- Shortest paths between clocks within each window (Bellman-Ford: each round extends
-- the paths changed in the round before by one edge; at most one round per clock, so a
-- contradiction the widening above left in a longer cycle cannot loop).
CREATE OR REPLACE TEMP TABLE pf_clock_paths AS
WITH RECURSIVE p(win, src, dst, w, step) USING KEY (win, src, dst) AS (
    SELECT win, a, b, w_used, 1 FROM pf_clock_edges
    UNION
    SELECT p.win, p.src, e.b, min(p.w + e.w_used), min(p.step) + 1
    FROM p JOIN pf_clock_edges e ON e.win = p.win AND e.a = p.dst
    LEFT JOIN recurring.p AS old ON old.win = p.win AND old.src = p.src AND old.dst = e.b
    WHERE p.src <> e.b AND p.step < (SELECT count(*) FROM pf_clock_nodes)
    GROUP BY p.win, p.src, e.b, old.w
    HAVING old.w IS NULL OR min(p.w + e.w_used) < old.w - 1e-9
)
SELECT win, src, dst, w FROM p;

-- Per window, each clock's offset against the reference (seconds; positive: the clock
-- is ahead), its bounds (null: no constraint bounds that side) and bound_s, how far
-- the estimate may be from the truth.
--
-- The estimate starts from each clock's own interval clamped to 0 (synchronised where
-- the logs allow it), x(c) = clamp(0, lower, upper), and is made to satisfy every
-- constraint between clocks: the largest solution <= x (min of x(c) and of x(u) +
-- d(u, c)) and the smallest solution >= x (max of x(c) and of x(u) - d(c, u)), each
-- shifted so that the reference reads 0, are solutions, and so is every point between
-- them; the estimate is the point of that segment with the least total |offset| (most
-- clocks synchronised: a fault is on few hosts), at its ends or where an offset
-- crosses 0. When the raw times contradict no constraint, every offset is 0. bound_s:
-- clocks are taken as within the prior of synchronised unless the logs disagree: the
-- interval is [lower, upper] cut to [-prior, prior] when they overlap and no
-- constraint of the clock is contradicted by more than two priors (two clocks within
-- the prior contradict each other by less); a clock bounded on one side only, beyond
-- the prior, gets twice the prior past its bound.
CREATE OR REPLACE TEMP TABLE host_clock_windows AS
WITH clocks AS (
    SELECT DISTINCT win, unnest([a, b]) AS clock FROM pf_clock_edges
), disagree AS (
    SELECT DISTINCT unnest([a, b]) AS clock FROM pf_clock_constraints
    WHERE a <> b AND w < -2 * pf_clock_prior_s()
), b AS (
    SELECT c.win, c.clock, r.clock IS NOT NULL AS reference,
           c.clock IN (SELECT clock FROM disagree) AS disagrees,
           CASE WHEN r.clock IS NOT NULL THEN 0.0 ELSE -down.w END AS lo,
           CASE WHEN r.clock IS NOT NULL THEN 0.0 ELSE up.w END AS hi,
           (SELECT count(*) FROM pf_clock_edges e WHERE e.win = c.win
               AND (e.a = c.clock OR e.b = c.clock)) AS pairs
    FROM clocks c
    CROSS JOIN (SELECT clock AS ref FROM pf_clock_nodes WHERE reference) g
    LEFT JOIN pf_clock_nodes r ON r.reference AND r.clock = c.clock
    LEFT JOIN pf_clock_paths up ON up.win = c.win AND up.src = g.ref AND up.dst = c.clock
    LEFT JOIN pf_clock_paths down ON down.win = c.win AND down.src = c.clock AND down.dst = g.ref
), x AS (
    SELECT win, clock, greatest(coalesce(lo, 0), least(coalesce(hi, 0), 0)) AS x FROM b
), solved AS (
    SELECT b.*,
           least(x.x, (SELECT min(u.x + p.w) FROM pf_clock_paths p
                       JOIN x u ON u.win = p.win AND u.clock = p.src
                       WHERE p.win = b.win AND p.dst = b.clock)) AS below,
           greatest(x.x, (SELECT max(u.x - p.w) FROM pf_clock_paths p
                          JOIN x u ON u.win = p.win AND u.clock = p.dst
                          WHERE p.win = b.win AND p.src = b.clock)) AS above
    FROM b JOIN x USING (win, clock)
), ends AS (
    SELECT b.*, b.below - coalesce(r.below, 0) AS lo_sol, b.above - coalesce(r.above, 0) AS hi_sol
    FROM solved b LEFT JOIN solved r ON r.win = b.win AND r.reference
), candidates AS (
    SELECT win, 0.0 AS t FROM ends UNION SELECT win, 1.0 FROM ends
    UNION SELECT win, 0.5 FROM ends
    UNION SELECT win, -lo_sol / (hi_sol - lo_sol) FROM ends
    WHERE hi_sol - lo_sol > 0 AND -lo_sol / (hi_sol - lo_sol) BETWEEN 0 AND 1
), t AS (
    -- where along the segment (0: lo_sol, 1: hi_sol) the total |offset| is least, in
    -- whole microseconds: a sum of doubles depends on the order of its rows (threads),
    -- and equal costs must tie exactly for abs(t - 0.5) to decide
    SELECT win, arg_min(t, (cost, abs(t - 0.5))) AS t FROM (
        SELECT c.win, c.t,
               sum(round(abs(e.lo_sol + c.t * (e.hi_sol - e.lo_sol)) * 1e6)::BIGINT) AS cost
        FROM candidates c JOIN ends e USING (win) GROUP BY c.win, c.t)
    GROUP BY win
), e AS (
    SELECT b.*,
           b.lo_sol + t.t * (b.hi_sol - b.lo_sol) AS offset_s,
           CASE WHEN greatest(coalesce(b.lo, -p.s), -p.s) <= least(coalesce(b.hi, p.s), p.s)
                     AND NOT (b.disagrees AND b.lo IS NOT NULL AND b.hi IS NOT NULL)
                THEN greatest(coalesce(b.lo, -p.s), -p.s)
                WHEN b.lo IS NOT NULL AND b.hi IS NOT NULL THEN least(b.lo, b.hi)
                WHEN b.hi IS NOT NULL THEN b.hi - 2 * p.s
                ELSE b.lo END AS lo_used,
           CASE WHEN greatest(coalesce(b.lo, -p.s), -p.s) <= least(coalesce(b.hi, p.s), p.s)
                     AND NOT (b.disagrees AND b.lo IS NOT NULL AND b.hi IS NOT NULL)
                THEN least(coalesce(b.hi, p.s), p.s)
                WHEN b.lo IS NOT NULL AND b.hi IS NOT NULL THEN greatest(b.lo, b.hi)
                WHEN b.lo IS NOT NULL THEN b.lo + 2 * p.s
                ELSE b.hi END AS hi_used
    FROM ends b JOIN t USING (win) CROSS JOIN (SELECT pf_clock_prior_s() AS s) p
)
SELECT win AS window_start, clock AS host, coalesce(offset_s, 0.0) AS offset_s,
       lo AS lower_s, hi AS upper_s,
       CASE WHEN reference THEN 0.0
            ELSE greatest(hi_used - coalesce(offset_s, 0.0), coalesce(offset_s, 0.0) - lo_used)
       END AS bound_s,
       pairs
FROM e;

-- host_clocks: one row per clock over the whole case: the offset (the mean of its
-- windows', weighted by their constraints), the extreme bounds, bound_s (covering
-- every window's estimate and bound, so a drifting clock's drift; one sparse window
-- can make it wide), window_bound_s (the median window's bound: how well a typical
-- half hour pins it) and the number of constraints. Clocks no constraint touches are
-- not listed (taken as synchronised).
CREATE OR REPLACE TEMP TABLE host_clocks AS
WITH w AS (
    -- (the weighted sum in exact decimals: a sum of doubles depends on the row order)
    SELECT host, sum((offset_s * pairs)::DECIMAL(38, 9)) / sum(pairs) AS offset_s,
           min(lower_s) AS lower_s,
           max(upper_s) AS upper_s, median(bound_s) AS window_bound_s, count(*) AS windows
    FROM host_clock_windows GROUP BY host
)
SELECT n.clock AS host, coalesce(w.offset_s, 0.0) AS offset_s, w.lower_s, w.upper_s,
       CASE WHEN n.reference THEN 0.0
            ELSE coalesce((SELECT max(abs(k.offset_s - w.offset_s) + k.bound_s)
                           FROM host_clock_windows k WHERE k.host = n.clock),
                          pf_clock_prior_s()) END AS bound_s,
       coalesce(w.window_bound_s, pf_clock_prior_s()) AS window_bound_s,
       n.constraints, coalesce(w.windows, 0) AS windows, n.reference
FROM pf_clock_nodes n LEFT JOIN w ON w.host = n.clock;

-- The offset of each clock as a piecewise-linear curve through its windows' middles,
-- so that a drifting clock is corrected smoothly (and one host's own order is kept).
CREATE OR REPLACE TEMP TABLE pf_clock_curve AS
SELECT host, window_start + to_microseconds((pf_clock_window_s() * 5e5)::BIGINT) AS at,
       offset_s
FROM host_clock_windows;

-- How far the estimated o(b) - o(a) may be from the truth (seconds), per window and
-- pair of clocks: the width of the interval the paths between them give when both
-- directions are bounded (both estimates satisfy it), else the sum of bound_s.
CREATE OR REPLACE TEMP TABLE pf_clock_pair_bound AS
SELECT x.window_start AS win, x.host AS a, y.host AS b,
       least(coalesce(abs(ab.w + ba.w), 'inf'::DOUBLE), x.bound_s + y.bound_s) AS bound_s
FROM host_clock_windows x
JOIN host_clock_windows y ON y.window_start = x.window_start AND y.host <> x.host
LEFT JOIN pf_clock_paths ab ON ab.win = x.window_start AND ab.src = x.host AND ab.dst = y.host
LEFT JOIN pf_clock_paths ba ON ba.win = x.window_start AND ba.src = y.host AND ba.dst = x.host;

-- The bound of an order between events of clocks a and b around time t: the largest
-- of the windows next to t that hold both clocks, else the sum of the clocks' own
-- bound_s (the prior for a clock no constraint touches).
CREATE OR REPLACE TEMP MACRO pf_order_bound_s(ca, cb, t) AS
    CASE WHEN ca IS NOT DISTINCT FROM cb THEN 0.0
         ELSE coalesce((SELECT max(p.bound_s) FROM pf_clock_pair_bound p
                        WHERE p.a = ca AND p.b = cb
                          AND p.win BETWEEN t - 2 * to_seconds(pf_clock_window_s())
                                        AND t + to_seconds(pf_clock_window_s())),
                       coalesce((SELECT max(k.bound_s) FROM host_clocks k WHERE k.host = ca),
                                pf_clock_prior_s())
                       + coalesce((SELECT max(k.bound_s) FROM host_clocks k WHERE k.host = cb),
                                  pf_clock_prior_s())) END;

-- Does a conclusion rest on the order of two events (clock, corrected time) on
-- different clocks closer together than the bound of their order?
CREATE OR REPLACE TEMP MACRO pf_order_uncertain(ca, t1, cb, t2) AS
    coalesce(ca IS DISTINCT FROM cb AND t1 IS NOT NULL AND t2 IS NOT NULL
             AND abs(pf_secs(t1, t2)) <= pf_order_bound_s(ca, cb, t1), false);

-- The offset of clock c at raw time t (s): interpolated between its windows' middles
-- (the nearest one before or after the first and last), 0 for a clock with none.
CREATE OR REPLACE TEMP MACRO pf_offset_at(p_at, p_off, n_at, n_off, t) AS
    coalesce(CASE WHEN p_at IS NOT NULL AND n_at IS NOT NULL AND n_at > p_at
                  THEN p_off + (n_off - p_off) * pf_secs(p_at, t) / pf_secs(p_at, n_at) END,
             p_off, n_off, 0.0);

-- The canonical tables with the corrected time beside every ts (users' SQL can use
-- them too): ts_corrected = ts - offset of the clock that stamped the row, at that time.
CREATE OR REPLACE TEMP MACRO pf_corrected(t, p_at, p_off, n_at, n_off) AS
    t - to_microseconds(round(pf_offset_at(p_at, p_off, n_at, n_off, t) * 1e6)::BIGINT);

-- The clock that stamped the lines of a file. Call it on distinct files, not per row:
-- DuckDB runs each subquery as a join of the distinct arguments with every line of
-- their file, so rows citing a file multiply that file's lines (and a LIMIT here would
-- sort them: at 10M DNS lines the report's timeline had spilled 12 GB when stopped).
CREATE OR REPLACE TEMP MACRO pf_file_clock(f) AS coalesce(
    (SELECT any_value(host) FROM enactor_events WHERE file = f),
    (SELECT any_value(host) FROM planner_events WHERE file = f),
    (SELECT any_value(pf_operator_clock(file)) FROM operator_actions WHERE file = f),
    (SELECT any_value(pf_dns_clock(server, file)) FROM dns_queries WHERE file = f));

-- One raw time of clock c, corrected (for a handful of rows: reports, gaps).
CREATE OR REPLACE TEMP MACRO pf_corrected_at(c, t) AS pf_corrected(
    t,
    (SELECT max(k.at) FROM pf_clock_curve k WHERE k.host = c AND t >= k.at),
    (SELECT arg_max(k.offset_s, k.at) FROM pf_clock_curve k WHERE k.host = c AND t >= k.at),
    (SELECT min(k.at) FROM pf_clock_curve k WHERE k.host = c AND t < k.at),
    (SELECT arg_min(k.offset_s, k.at) FROM pf_clock_curve k WHERE k.host = c AND t < k.at));

CREATE OR REPLACE TEMP VIEW planner_events_ordered AS
SELECT t.*, pf_corrected(t.ts, p.at, p.offset_s, n.at, n.offset_s) AS ts_corrected
FROM planner_events t
ASOF LEFT JOIN pf_clock_curve p ON p.host = t.host AND t.ts >= p.at
ASOF LEFT JOIN pf_clock_curve n ON n.host = t.host AND t.ts < n.at;

CREATE OR REPLACE TEMP VIEW enactor_events_ordered AS
SELECT t.*, pf_corrected(t.ts, p.at, p.offset_s, n.at, n.offset_s) AS ts_corrected
FROM enactor_events t
ASOF LEFT JOIN pf_clock_curve p ON p.host = t.host AND t.ts >= p.at
ASOF LEFT JOIN pf_clock_curve n ON n.host = t.host AND t.ts < n.at;

CREATE OR REPLACE TEMP VIEW operator_actions_ordered AS
SELECT t.*, pf_corrected(t.ts, p.at, p.offset_s, n.at, n.offset_s) AS ts_corrected
FROM operator_actions t
ASOF LEFT JOIN pf_clock_curve p ON p.host = pf_operator_clock(t.file) AND t.ts >= p.at
ASOF LEFT JOIN pf_clock_curve n ON n.host = pf_operator_clock(t.file) AND t.ts < n.at;

CREATE OR REPLACE TEMP VIEW dns_queries_ordered AS
SELECT t.*, pf_corrected(t.ts, p.at, p.offset_s, n.at, n.offset_s) AS ts_corrected
FROM dns_queries t
ASOF LEFT JOIN pf_clock_curve p ON p.host = pf_dns_clock(t.server, t.file) AND t.ts >= p.at
ASOF LEFT JOIN pf_clock_curve n ON n.host = pf_dns_clock(t.server, t.file) AND t.ts < n.at;

CREATE OR REPLACE TEMP VIEW plans_ordered AS
SELECT t.*, pf_corrected(t.created_at, p.at, p.offset_s, n.at, n.offset_s)
           AS created_at_corrected
FROM plans t
ASOF LEFT JOIN pf_clock_curve p ON p.host = t.host AND t.created_at >= p.at
ASOF LEFT JOIN pf_clock_curve n ON n.host = t.host AND t.created_at < n.at;
