"""Root-cause gaps: what the logs cannot explain (findings.md, "Root-cause gaps").

A report does not stop at what happened. Each gap states, plainly, a place where the
chain of evidence has a hole, and what evidence is missing:

- ``stall_delay``: how much of a stall retries, lock contention and logged transaction
  latency account for, and how much is unexplained;
- ``silent_host``: a host silent far longer than its usual interval (a missing log?);
- ``missing_plan``: a generation used or deleted that no planner log created;
- ``dns_failure_without_cause`` / ``dns_recovery_unexplained``: DNS failing with no
  control-plane finding before it, or recovering with no control-plane or operator
  event to explain it (an out-of-band change?);
- ``order_uncertain``: a conclusion resting on an event order closer than the
  bound of the clocks' order (queries/_clocks.sql);
- ``dns_contradicts_cause``: the endpoint's queries fail before the control-plane
  cause emptied it, by more than the clocks' bound: the cause is not accepted;
- ``missing_source`` / ``no_dns_for_endpoint``: a whole source absent.
- ``write_not_in_trail``: an Enactor write logged ``ok`` that the CloudTrail trail does
  not hold as a successful change (``change_history.py``).

Every check is one set-based query over the canonical tables and the findings.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import duckdb
import polars as pl

from ..rules.runner import ensure_ordering
from . import change_history, timefmt
from .findings import Finding, normalize, registered, rfc3339

GAP_SCHEMA: dict[str, Any] = {
    "kind": pl.String,
    "importance": pl.String,
    "start": pl.Datetime("us", "UTC"),
    "end": pl.Datetime("us", "UTC"),
    "host": pl.String,
    "endpoint": pl.String,
    "generation": pl.Int64,
    "statement": pl.String,
    "missing": pl.String,
    "numbers": pl.String,
    "evidence": pl.List(pl.Struct({"file": pl.String, "line": pl.Int64})),
    "finding_id": pl.String,
}
GAP_KINDS = (
    "stall_delay",
    "silent_host",
    "missing_plan",
    "dns_failure_without_cause",
    "dns_recovery_unexplained",
    "order_uncertain",
    "dns_contradicts_cause",
    "missing_source",
    "no_dns_for_endpoint",
    "no_control_plane",
    "endpoint_not_in_logs",
    "write_not_in_trail",
)


@dataclass(frozen=True)
class GapOptions:
    """Thresholds of the gap checks (reported with the report's parameters)."""

    silence_factor: float = 6.0
    """A host is silent when a pause exceeds this many times its usual interval..."""
    min_silence_s: float = 30.0
    """...and at least this long."""
    dns_tolerance_s: float = 60.0
    """How far resolver and control-plane clocks may disagree when matching causes."""
    unexplained_fraction: float = 0.5
    """A stall is "unexplained" when the log lines account for less than this share."""

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


_STALLS_SQL = """
-- Each stall, with what the host logged inside it: lock contention (and back-off),
-- failed or retried updates, successful updates (their logged latency), anything else.
WITH s AS (SELECT * FROM {F} WHERE rule = 'enactor_stall' AND "end" IS NOT NULL),
inside AS (
    SELECT s.id, e.ts, e.event, e.status, e.backoff_ms, e.latency_ms, e.file, e.line
    FROM s JOIN enactor_events e ON e.host = s.host AND e.ts > s.start AND e.ts <= s."end"
),
bounds AS (
    SELECT s.id, e.ts, e.file, e.line
    FROM s JOIN enactor_events e ON e.host = s.host AND e.ts >= s.start AND e.ts <= s."end"
),
silence AS (
    SELECT id, max_by({{'from': prev_ts, 'to': ts, 'from_file': prev_file,
                       'from_line': prev_line, 'to_file': file, 'to_line': line}},
                      epoch(ts - prev_ts)) AS longest
    FROM (SELECT id, ts, file, line,
                 lag(ts) OVER w AS prev_ts, lag(file) OVER w AS prev_file,
                 lag(line) OVER w AS prev_line
          FROM bounds WINDOW w AS (PARTITION BY id ORDER BY ts, line))
    WHERE prev_ts IS NOT NULL
    GROUP BY id
),
acc AS (
    SELECT id,
        count(*) FILTER (WHERE event = 'lock_acquire' AND status = 'contended') AS contended,
        coalesce(sum(backoff_ms) FILTER (WHERE event = 'lock_acquire'
                                         AND status = 'contended'), 0) / 1000 AS backoff_s,
        count(*) FILTER (WHERE event = 'endpoint_update' AND status IN ('retry', 'error'))
            AS retries,
        coalesce(sum(latency_ms) FILTER (WHERE event = 'endpoint_update'
                                         AND status IN ('retry', 'error')), 0) / 1000
            AS retry_latency_s,
        count(*) FILTER (WHERE event = 'endpoint_update' AND status = 'ok') AS updates,
        coalesce(sum(latency_ms) FILTER (WHERE event = 'endpoint_update'
                                         AND status = 'ok'), 0) / 1000 AS update_latency_s,
        count(*) AS lines
    FROM inside GROUP BY id
)
SELECT s.id, s.host, s.endpoint, s.generation, s.start, s."end",
       epoch(s."end" - s.start) AS duration_s,
       coalesce(a.contended, 0) AS contended, coalesce(a.backoff_s, 0) AS backoff_s,
       coalesce(a.retries, 0) AS retries, coalesce(a.retry_latency_s, 0) AS retry_latency_s,
       coalesce(a.updates, 0) AS updates, coalesce(a.update_latency_s, 0) AS update_latency_s,
       coalesce(a.lines, 0) AS lines, l.longest,
       s.evidence
FROM s LEFT JOIN acc a USING (id) LEFT JOIN silence l USING (id)
ORDER BY s.start, s.host
"""

_SILENCE_SQL = """
-- Pauses in each host's log far longer than its usual interval (the median of its pauses
-- of a second or more), while other hosts of the same source kept logging and no
-- operator had disabled automation. A pause the log announced is not silence: the
-- back-off of a contended lock before it and the latency of the update that ends it
-- are subtracted.
WITH ev AS (
    SELECT 'enactor' AS source, host, ts, file, line,
           CASE WHEN event = 'lock_acquire' AND status = 'contended'
                THEN coalesce(backoff_ms, 0) ELSE 0 END / 1000 AS announced_s,
           CASE WHEN event = 'endpoint_update' THEN coalesce(latency_ms, 0) ELSE 0 END
               / 1000 AS latency_s
    FROM enactor_events
    UNION ALL
    SELECT 'planner', host, ts, file, line, 0, 0 FROM planner_events WHERE host IS NOT NULL
),
gaps AS (
    SELECT source, host, ts, file, line,
           lag(ts) OVER w AS prev_ts, lag(file) OVER w AS prev_file, lag(line) OVER w AS prev_line,
           epoch(ts - lag(ts) OVER w) - coalesce(lag(announced_s) OVER w, 0) - latency_s
               AS quiet_s
    FROM ev WINDOW w AS (PARTITION BY host ORDER BY ts, file, line)
),
host_usual AS (
    SELECT source, host, median(quiet_s) AS usual_s, count(*) AS pauses
    FROM gaps WHERE prev_ts IS NOT NULL AND quiet_s >= 1
    GROUP BY ALL
),
source_usual AS (
    SELECT source, median(quiet_s) AS usual_s
    FROM gaps WHERE prev_ts IS NOT NULL AND quiet_s >= 1
    GROUP BY source
),
hosts AS (SELECT source, count(DISTINCT host) AS hosts FROM ev GROUP BY source),
candidates AS (
    SELECT g.*, epoch(g.ts - g.prev_ts) AS silent_s,
           CASE WHEN coalesce(u.pauses, 0) >= 3 THEN u.usual_s ELSE su.usual_s END AS usual_s,
           h.hosts
    FROM gaps g
    LEFT JOIN host_usual u USING (source, host)
    LEFT JOIN source_usual su USING (source)
    JOIN hosts h USING (source)
    WHERE g.prev_ts IS NOT NULL
      AND g.quiet_s > greatest(?, ? * coalesce(
            CASE WHEN coalesce(u.pauses, 0) >= 3 THEN u.usual_s ELSE su.usual_s END, 0))
),
-- The peers' lines inside a pause, without comparing each pause with every line (a
-- range join): a running count of each source's lines per time, read at both ends of
-- the pause by two ASOF joins. The host's own lines are none (its pause is between two
-- consecutive lines of its own), so the source's lines inside are the peers'.
marks AS (
    SELECT source, ts, (sum(count(*)) OVER (PARTITION BY source ORDER BY ts))::BIGINT AS upto
    FROM ev WHERE host IS NOT NULL AND ts IS NOT NULL GROUP BY source, ts
),
counted AS (
    SELECT c.*,
           CASE WHEN c.host IS NOT NULL
                THEN coalesce(before_end.upto, 0) - coalesce(at_start.upto, 0)
                ELSE 0 END AS peer_lines
    FROM candidates c
    ASOF LEFT JOIN marks before_end ON before_end.source = c.source AND c.ts > before_end.ts
    ASOF LEFT JOIN marks at_start ON at_start.source = c.source AND c.prev_ts >= at_start.ts
)
SELECT c.source, c.host, c.prev_ts AS start, c.ts AS "end", c.silent_s, c.quiet_s, c.usual_s,
       c.prev_file, c.prev_line, c.file, c.line, c.peer_lines,
       (SELECT count(*) FROM {F} s WHERE s.rule = 'enactor_stall' AND s.host = c.host
          AND s.start <= c.prev_ts AND s."end" >= c.ts) AS in_stall
FROM counted c
WHERE (c.hosts = 1 OR c.peer_lines > 0)
  AND NOT EXISTS (SELECT 1 FROM operator_actions o WHERE o.action = 'disable_automation'
                    AND o.ts BETWEEN c.prev_ts - INTERVAL 1 MINUTE AND c.ts)
ORDER BY c.prev_ts, c.host
"""

_MISSING_PLAN_SQL = """
-- Generations the Enactors or operators used or deleted that no planner log created.
WITH used AS (
    SELECT generation, CASE WHEN event = 'plan_delete' THEN 'deleted' ELSE 'used' END AS how,
           ts, file, line
    FROM enactor_events
    WHERE generation IS NOT NULL
      AND event IN ('plan_check', 'plan_skip', 'apply_start', 'endpoint_update', 'apply_done',
                    'plan_delete')
    UNION ALL
    SELECT generation, 'used', ts, file, line FROM operator_actions WHERE generation IS NOT NULL
),
created AS (
    SELECT generation FROM plans
    UNION SELECT generation FROM planner_events
          WHERE event = 'plan_created' AND generation IS NOT NULL
),
logged AS (SELECT min(generation) AS lo, max(generation) AS hi, count(*) AS n FROM created),
orphans AS (
    SELECT u.generation, bool_or(u.how = 'used') AS used, bool_or(u.how = 'deleted') AS deleted,
           min(u.ts) AS first_ts, max(u.ts) AS last_ts,
           arg_min({{'file': u.file, 'line': u.line}}, (u.ts, u.line)) AS ev
    FROM used u ANTI JOIN created c USING (generation)
    GROUP BY u.generation
)
SELECT CASE WHEN l.n = 0 THEN 'no_planner_log'
            WHEN o.generation < l.lo THEN 'before_log'
            WHEN o.generation > l.hi THEN 'after_log'
            ELSE 'inside_log' END AS position,
       list(o.generation ORDER BY o.generation) AS generations,
       list(o.generation ORDER BY o.generation) FILTER (WHERE o.used) AS used,
       list(o.generation ORDER BY o.generation) FILTER (WHERE o.deleted) AS deleted,
       min(o.first_ts) AS start, max(o.last_ts) AS "end",
       list(o.ev ORDER BY o.generation)[1:10] AS evidence,
       any_value(l.lo) AS lo, any_value(l.hi) AS hi,
       bool_or(EXISTS (SELECT 1 FROM {F} f WHERE f.generation = o.generation
                       AND f.sev_rank >= 4)) AS used_by_finding
FROM orphans o, logged l
GROUP BY ALL
ORDER BY start
"""

_DNS_SQL = """
-- DNS failure windows: is there a control-plane finding for the name at or before the first
-- failure (and not over long before it)? Is there a control-plane or operator event that
-- explains the recovery: after the failure began and before the first good answer (give
-- or take the clock tolerance)?
WITH d AS (SELECT * FROM {F} WHERE rule = 'dns_resolution_failure'),
cp AS (
    SELECT id, rule, start, "end", endpoint FROM {F}
    WHERE rule IN ('endpoint_empty', 'non_monotonic_apply', 'blocked_updates',
                   'record_set_emptied')
    UNION ALL
    SELECT id, rule, start, "end",
           unnest(coalesce(TRY_CAST(json_extract(details, '$.endpoints') AS VARCHAR[]),
                           [endpoint]))
    FROM {F} WHERE rule = 'cleanup_deleted_live_plan'
),
cp_end AS (SELECT max(ts) AS t FROM enactor_events),
caused AS (
    SELECT d.id, count(c.id) AS causes
    FROM d LEFT JOIN cp c
      ON c.endpoint = d.endpoint AND c.start <= d.start + to_seconds(?)
     AND coalesce(c."end", CASE WHEN c.rule IN ('endpoint_empty', 'record_set_emptied')
                                 THEN 'infinity'::TIMESTAMPTZ
                                 ELSE c.start END) >= d.start - to_seconds(?)
    GROUP BY d.id
),
recovered AS (
    SELECT d.id, min(q.ts) AS at,
           arg_min({{'file': q.file, 'line': q.line}}, (q.ts, q.line)) AS ev
    FROM d JOIN dns_queries q
      ON q.qname = d.endpoint AND q.ts > d."end" AND NOT q.failed
    GROUP BY d.id
),
explained AS (
    SELECT r.id,
        (SELECT count(*) FROM enactor_events e, d
         WHERE d.id = r.id AND e.event = 'endpoint_update' AND e.status = 'ok'
           AND e.endpoint = d.endpoint
           AND e.ts BETWEEN d.start AND r.at + to_seconds(?))
      + (SELECT count(*) FROM operator_actions o, d
         WHERE d.id = r.id AND (o.endpoint = d.endpoint OR
                                (o.endpoint IS NULL AND o.action LIKE 'restore%'))
           AND o.ts BETWEEN d.start AND r.at + to_seconds(?))
      + (SELECT count(*) FROM {F} f, d
         WHERE d.id = r.id AND f.rule = 'endpoint_empty' AND f.endpoint = d.endpoint
           AND f."end" BETWEEN d.start AND r.at + to_seconds(?))
      -- a successful change of the name in the change history (CloudTrail): a console fix
      + (SELECT count(*) FROM record_changes c, d
         WHERE d.id = r.id AND c.name = d.endpoint AND c.error_code IS NULL
           AND c.action <> 'DELETE' AND c.ts BETWEEN d.start AND r.at + to_seconds(?)) AS events
    FROM recovered r
)
SELECT d.id, d.endpoint, d.start, d."end", d.evidence, c.causes, r.at AS recovered_at,
       r.ev AS recovered_ev, x.events AS recovery_events
FROM d JOIN caused c USING (id) LEFT JOIN recovered r USING (id)
LEFT JOIN explained x USING (id)
ORDER BY d.start, d.endpoint
"""

_CONTRADICTION_SQL = """
-- An emptied endpoint whose DNS failure window began before the deletion (both in
-- corrected time) by more than the bound of the two clocks' order plus a second (DNS
-- logs stamp whole seconds): the DNS evidence contradicts the control-plane cause.
WITH empty AS (
    SELECT id, endpoint, start, json_extract_string(details, '$.deleted_by') AS clock,
           evidence[1] AS ev
    FROM {F} WHERE rule = 'endpoint_empty'
), dns AS (
    SELECT f.id, f.endpoint, f.start, f."end", f.evidence[1] AS ev,
           (SELECT pf_dns_clock(any_value(q.server), any_value(q.file)) FROM dns_queries q
            WHERE q.file = f.evidence[1].file AND q.line = f.evidence[1].line) AS clock
    FROM {F} f WHERE f.rule = 'dns_resolution_failure'
), pairs AS (
    SELECT e.id, e.endpoint, e.start AS empty_start, d.start AS first_failed, e.ev, d.ev AS dns_ev,
           pf_secs(pf_corrected_at(d.clock, d.start), pf_corrected_at(e.clock, e.start))
               AS lead_s,
           pf_order_bound_s(e.clock, d.clock, pf_corrected_at(e.clock, e.start)) AS bound_s
    FROM empty e JOIN dns d ON d.endpoint = e.endpoint
     AND d.start <= e.start AND coalesce(d."end", d.start) >= e.start
)
SELECT * FROM pairs WHERE lead_s > bound_s + 1 ORDER BY empty_start, endpoint
"""

_SOURCES_SQL = """
SELECT (SELECT count(*) FROM planner_events) AS planner,
       (SELECT count(*) FROM enactor_events) AS enactor,
       (SELECT count(*) FROM operator_actions) AS operator,
       (SELECT count(*) FROM dns_queries) AS dns
"""

# The few emptied names are the hash table; the DNS queries stream past it (a
# correlated NOT EXISTS built its table from the queries: out of memory at 30M).
_NO_DNS_SQL = """
WITH emptied AS (
    SELECT endpoint, min(start) AS start FROM {F}
    WHERE rule = 'endpoint_empty' AND endpoint IS NOT NULL GROUP BY endpoint
), seen AS (
    SELECT DISTINCT q.qname FROM dns_queries q SEMI JOIN emptied e ON q.qname = e.endpoint
)
SELECT endpoint, start FROM emptied ANTI JOIN seen ON seen.qname = emptied.endpoint
ORDER BY start, endpoint
"""


def find_gaps(
    case: Any,
    findings: Iterable[Mapping[str, Any]] | pl.DataFrame,
    *,
    options: GapOptions | None = None,
    tz: str = "UTC",
) -> pl.DataFrame:
    """The root-cause gaps of ``case`` given its ``findings``, one row per gap.

    Columns: kind, importance (``high``: a conclusion depends on it; ``note``: a limit of
    the evidence), start, end, host, endpoint, generation, statement, missing (the log
    line or source that would close the gap), numbers (JSON), evidence, finding_id.
    """
    opts = options or GapOptions()
    timefmt.zone(tz)
    found = normalize(findings)
    con: duckdb.DuckDBPyConnection = case.con
    ensure_ordering(con)
    rows: list[dict[str, Any]] = []
    with registered(con, found) as F:
        checks: list[Callable[[], list[dict[str, Any]]]] = [
            lambda: _stall_gaps(con, F, opts, tz),
            lambda: _silence_gaps(con, F, opts, tz),
            lambda: _missing_plan_gaps(con, F, tz),
            lambda: _dns_gaps(con, F, opts, tz),
            lambda: _order_gaps(found, tz),
            lambda: _contradiction_gaps(con, F, tz),
            lambda: _source_gaps(con, F),
            lambda: _unmentioned_gaps(getattr(findings, "unmentioned", ())),
            lambda: change_history.write_gaps(con, tz),
        ]
        for check in checks:
            rows.extend(check())
    far = "9999"
    rows.sort(
        key=lambda r: (
            0 if r["importance"] == "high" else 1,
            rfc3339(r.get("start")) or far,
            GAP_KINDS.index(r["kind"]),
            r.get("host") or "",
            r.get("endpoint") or "",
        )
    )
    for r in rows:
        r["numbers"] = json.dumps(r.get("numbers") or {}, sort_keys=True, default=str)
        for key in GAP_SCHEMA:
            r.setdefault(key, None)
    return pl.DataFrame(rows, schema=GAP_SCHEMA)


def gap_records(gaps: pl.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready records of :func:`find_gaps` (times RFC 3339, numbers as a dict)."""
    out = []
    for r in gaps.to_dicts():
        r["start"], r["end"] = rfc3339(r["start"]), rfc3339(r["end"])
        r["numbers"] = json.loads(r["numbers"]) if r["numbers"] else {}
        out.append(r)
    return out


def _ev(*items: Any) -> list[dict[str, Any]]:
    out = []
    for e in items:
        if e and e.get("file") is not None and e not in out:
            out.append({"file": e["file"], "line": e["line"]})
    return out


def _stall_gaps(
    con: duckdb.DuckDBPyConnection, F: str, opts: GapOptions, tz: str
) -> list[dict[str, Any]]:
    rows = []
    for s in con.sql(_STALLS_SQL.format(F=F)).pl().to_dicts():
        dur = s["duration_s"] or 0.0
        accounted = min(dur, s["backoff_s"] + s["retry_latency_s"] + s["update_latency_s"])
        unexplained = dur - accounted
        parts = []
        if s["contended"]:
            parts.append(
                f"{s['contended']} contended lock attempt(s) with "
                f"{timefmt.duration(s['backoff_s'])} of back-off"
            )
        if s["retries"]:
            parts.append(
                f"{s['retries']} retried or failed update(s) taking "
                f"{timefmt.duration(s['retry_latency_s'])}"
            )
        if s["updates"]:
            parts.append(
                f"{s['updates']} successful update(s) with "
                f"{timefmt.duration(s['update_latency_s'])} of logged latency"
            )
        longest = s["longest"] or {}
        what = f"{s['host']}'s stall on generation {s['generation']}" + (
            f" ({s['endpoint']})" if s["endpoint"] else ""
        )
        if not parts:
            statement = (
                f"{what} lasted {timefmt.duration(dur)} and nothing in its log explains it: "
                "no retry, lock contention, error or other line in the gap. The delay is "
                "unexplained."
            )
        else:
            statement = (
                f"{what} lasted {timefmt.duration(dur)}. The log accounts for "
                f"{timefmt.duration(accounted)} of it ({'; '.join(parts)}); "
                f"{timefmt.duration(unexplained)} ({unexplained / dur:.0%}) is unexplained."
                if dur
                else f"{what} has no duration."
            )
        if longest.get("from") is not None:
            statement += (
                " The host logged nothing for "
                + timefmt.duration((longest["to"] - longest["from"]).total_seconds())
                + f" between {timefmt.local(longest['from'], tz)} and "
                + f"{timefmt.local(longest['to'], tz)}."
            )
        explained = dur > 0 and unexplained / dur < opts.unexplained_fraction
        rows.append(
            {
                "kind": "stall_delay",
                "importance": "note" if explained else "high",
                "start": s["start"],
                "end": s["end"],
                "host": s["host"],
                "endpoint": s["endpoint"],
                "generation": s["generation"],
                "statement": statement,
                "missing": (
                    "what the host was doing: a log line (retry, lock contention, error, "
                    f"progress) between {timefmt.local(longest.get('from'), tz)} and "
                    f"{timefmt.local(longest.get('to'), tz)}, or the host's own metrics"
                    if not explained
                    else ""
                ),
                "numbers": {
                    "duration_s": round(dur, 3),
                    "accounted_s": round(accounted, 3),
                    "unexplained_s": round(unexplained, 3),
                    "contended_locks": s["contended"],
                    "backoff_s": round(s["backoff_s"], 3),
                    "retries": s["retries"],
                    "retry_latency_s": round(s["retry_latency_s"], 3),
                    "updates": s["updates"],
                    "update_latency_s": round(s["update_latency_s"], 3),
                    "lines_in_gap": s["lines"],
                },
                "evidence": _ev(
                    *(s["evidence"] or [])[:1],
                    {"file": longest.get("from_file"), "line": longest.get("from_line")},
                    {"file": longest.get("to_file"), "line": longest.get("to_line")},
                ),
                "finding_id": s["id"],
            }
        )
    return rows


def _silence_gaps(
    con: duckdb.DuckDBPyConnection, F: str, opts: GapOptions, tz: str
) -> list[dict[str, Any]]:
    rows = []
    params = [opts.min_silence_s, opts.silence_factor]
    for s in con.sql(_SILENCE_SQL.format(F=F), params=params).pl().to_dicts():
        usual = s["usual_s"]
        statement = (
            f"{s['host']} ({s['source']}) logged nothing for {timefmt.duration(s['silent_s'])} "
            f"from {timefmt.local(s['start'], tz)} to {timefmt.local(s['end'], tz)}"
            + (f", against a usual interval of {timefmt.duration(usual)}" if usual else "")
            + (f", while its peers logged {s['peer_lines']} line(s)" if s["peer_lines"] else "")
            + "."
        )
        if s["in_stall"]:
            statement += " The silence lies inside the host's stall (see the stall above)."
        rows.append(
            {
                "kind": "silent_host",
                "importance": "high" if s["in_stall"] else "note",
                "start": s["start"],
                "end": s["end"],
                "host": s["host"],
                "statement": statement,
                "missing": f"{s['host']}'s log lines for that interval, if it wrote any "
                "(a rotated or lost log file?)",
                "numbers": {
                    "silent_s": round(s["silent_s"], 3),
                    "unannounced_s": round(s["quiet_s"], 3),
                    "usual_s": None if usual is None else round(usual, 3),
                    "peer_lines": s["peer_lines"],
                },
                "evidence": _ev(
                    {"file": s["prev_file"], "line": s["prev_line"]},
                    {"file": s["file"], "line": s["line"]},
                ),
            }
        )
    return rows


def _gen_list(gens: list[int], limit: int = 12) -> str:
    text = ", ".join(str(g) for g in gens[:limit])
    return text + (f" and {len(gens) - limit} more" if len(gens) > limit else "")


def _missing_plan_gaps(con: duckdb.DuckDBPyConnection, F: str, tz: str) -> list[dict[str, Any]]:
    rows = []
    for m in con.sql(_MISSING_PLAN_SQL.format(F=F)).pl().to_dicts():
        gens = m["generations"]
        used, deleted = m["used"] or [], m["deleted"] or []
        verb = "used or deleted" if used and deleted else "used" if used else "deleted"
        n = len(gens)
        subject = f"{n} generation(s) {verb} by the control plane ({_gen_list(gens)})"
        position = m["position"]
        if position == "no_planner_log":
            statement = f"{subject} have no planner log at all: there is no planner log."
            missing = "the planner log (plan_created lines)"
            importance = "high"
        elif position == "before_log":
            statement = (
                f"{subject} are older than the first plan in the planner log "
                f"({m['lo']}): the log probably starts later than they were written."
            )
            missing = f"the planner log before generation {m['lo']}"
            importance = "high" if m["used_by_finding"] else "note"
        elif position == "after_log":
            statement = (
                f"{subject} are newer than the last plan in the planner log ({m['hi']}): "
                "the planner log ends too early or is missing lines."
            )
            missing = f"the planner log after generation {m['hi']}"
            importance = "high"
        else:
            statement = (
                f"{subject} were never created in the planner log, although it covers "
                f"generations {m['lo']}–{m['hi']}: the planner log has holes."
            )
            missing = (
                "the plan_created line of "
                + ", ".join(f"generation {g}" for g in gens[:5])
                + (" …" if n > 5 else "")
            )
            importance = "high"
        rows.append(
            {
                "kind": "missing_plan",
                "importance": importance,
                "start": m["start"],
                "end": m["end"],
                "generation": gens[0] if n == 1 else None,
                "statement": statement,
                "missing": missing,
                "numbers": {"count": n, "used": used[:100], "deleted": deleted[:100]},
                "evidence": _ev(*m["evidence"]),
            }
        )
    return rows


def _dns_gaps(
    con: duckdb.DuckDBPyConnection, F: str, opts: GapOptions, tz: str
) -> list[dict[str, Any]]:
    rows = []
    tol = opts.dns_tolerance_s
    for d in con.sql(_DNS_SQL.format(F=F), params=[tol] * 6).pl().to_dicts():
        ev = d["evidence"] or []
        if not d["causes"]:
            rows.append(
                {
                    "kind": "dns_failure_without_cause",
                    "importance": "high",
                    "start": d["start"],
                    "end": d["end"],
                    "endpoint": d["endpoint"],
                    "statement": (
                        f"Queries for {d['endpoint']} fail from {timefmt.local(d['start'], tz)} "
                        "but no control-plane finding precedes them: the logs do not show "
                        "what changed the name (an out-of-band change, or missing "
                        "control-plane logs)."
                    ),
                    "missing": f"a control-plane line changing {d['endpoint']} (an update, a "
                    "deletion of its plan or an operator action) before the first failure",
                    "numbers": {},
                    "evidence": _ev(*ev[:1]),
                    "finding_id": d["id"],
                }
            )
        if d["recovered_at"] is not None and not d["recovery_events"]:
            rows.append(
                {
                    "kind": "dns_recovery_unexplained",
                    "importance": "high",
                    "start": d["end"],
                    "end": d["recovered_at"],
                    "endpoint": d["endpoint"],
                    "statement": (
                        f"Resolution of {d['endpoint']} recovers at "
                        f"{timefmt.local(d['recovered_at'], tz)} with no control-plane or "
                        "operator event that explains it: an out-of-band change?"
                    ),
                    "missing": f"the change that repaired {d['endpoint']}: an endpoint_update "
                    "status=ok or an operator action before the recovery",
                    "numbers": {},
                    "evidence": _ev(*ev[-1:], d["recovered_ev"]),
                    "finding_id": d["id"],
                }
            )
    return rows


def _order_gaps(found: list[Finding], tz: str) -> list[dict[str, Any]]:
    rows = []
    for f in found:
        flag = f["details"].get("order_uncertain")
        if not flag:
            continue
        extra = ""
        bound = f["details"].get("order_bound_s")
        if isinstance(flag, Mapping):
            extra = " (" + ", ".join(f"{k}: {v}" for k, v in sorted(flag.items())) + ")"
        elif isinstance(flag, (str, int, float)) and not isinstance(flag, bool):
            extra = f" ({flag})"
        elif isinstance(bound, (int, float)):
            extra = f" ({bound * 1000:.0f} ms)"
        rows.append(
            {
                "kind": "order_uncertain",
                "importance": "high",
                "start": f["start"],
                "end": f["end"],
                "host": f["host"],
                "endpoint": f["endpoint"],
                "generation": f["generation"],
                "statement": (
                    f"The {f['rule']} conclusion at {timefmt.local(f['start'], tz)} rests on the "
                    "order of events on different hosts that are closer together than the "
                    f"bound of their clocks' order{extra}: the other order is possible."
                ),
                "missing": "a common clock: events ordered by one source (e.g. the DNS "
                "service's change log) or hosts' clock-sync logs",
                "numbers": dict(flag)
                if isinstance(flag, Mapping)
                else {"order_uncertain": flag, "order_bound_s": bound},
                "evidence": f["evidence"][:4],
                "finding_id": f["id"],
            }
        )
    return rows


def _contradiction_gaps(con: duckdb.DuckDBPyConnection, F: str, tz: str) -> list[dict[str, Any]]:
    rows = []
    for c in con.sql(_CONTRADICTION_SQL.format(F=F)).pl().to_dicts():
        rows.append(
            {
                "kind": "dns_contradicts_cause",
                "importance": "high",
                "start": c["first_failed"],
                "end": c["empty_start"],
                "endpoint": c["endpoint"],
                "statement": (
                    f"Queries for {c['endpoint']} fail from "
                    f"{timefmt.local(c['first_failed'], tz)}, {c['lead_s']:.1f} s before the "
                    "deletion that emptied it, beyond what the clocks allow "
                    f"({c['bound_s']:.3f} s): that deletion does not explain the first failures."
                ),
                "missing": f"what broke {c['endpoint']} before the deletion (another change, "
                "or the control-plane logs of that time)",
                "numbers": {"lead_s": c["lead_s"], "order_bound_s": c["bound_s"]},
                "evidence": _ev(c["dns_ev"], c["ev"]),
                "finding_id": c["id"],
            }
        )
    return rows


_SOURCE_TEXT = {
    "planner": ("no planner log", "which plans were written and when"),
    "enactor": ("no Enactor log", "what the control plane applied and deleted"),
    "operator": ("no operator log", "what people did by hand (mitigation, restores)"),
    "dns": ("no DNS query log", "what clients saw: the impact cannot be measured"),
}


def _source_gaps(con: duckdb.DuckDBPyConnection, F: str) -> list[dict[str, Any]]:
    counts = con.sql(_SOURCES_SQL).fetchall()[0]
    # a change history (CloudTrail) is control-plane evidence: not "DNS query logs only"
    changes = con.sql("SELECT count(*) FROM record_changes").fetchall()[0][0]
    if counts[3] and not any(counts[:3]) and not changes:
        return [_dns_only_gap(con, F)]
    rows = []
    for name, n in zip(("planner", "enactor", "operator", "dns"), counts, strict=True):
        if n:
            continue
        title, what = _SOURCE_TEXT[name]
        rows.append(
            {
                "kind": "missing_source",
                "importance": "note",
                "statement": f"The case holds {title}: the report cannot say {what}.",
                "missing": title.replace("no ", "the "),
                "numbers": {"source": name},
                "evidence": [],
            }
        )
    if counts[3]:
        for endpoint, start in con.sql(_NO_DNS_SQL.format(F=F)).fetchall():
            rows.append(
                {
                    "kind": "no_dns_for_endpoint",
                    "importance": "note",
                    "start": start,
                    "endpoint": endpoint,
                    "statement": (
                        f"{endpoint} went empty but no DNS query log mentions it: what its "
                        "clients saw is unknown."
                    ),
                    "missing": f"resolver query logs for {endpoint}",
                    "numbers": {},
                    "evidence": [],
                }
            )
    return rows


def _dns_only_gap(con: duckdb.DuckDBPyConnection, F: str) -> dict[str, Any]:
    """DNS query logs alone: whatever failed, why it failed is not in the case."""
    (windows,) = con.sql(
        f"SELECT count(*) FROM {F} WHERE rule = 'dns_resolution_failure'"
    ).fetchall()[0]
    if windows:
        statement = (
            f"The case holds DNS query logs only: no control-plane evidence (no planner, "
            f"Enactor or operator log). The cause of the {windows} DNS failure window(s) "
            "found is a root-cause gap, not an absence of findings: the logs cannot show "
            "what changed the names."
        )
    else:
        statement = (
            "The case holds DNS query logs only: no control-plane evidence (no planner, "
            "Enactor or operator log). No outage shows in the queries, but the report "
            "cannot say what the control plane did."
        )
    return {
        "kind": "no_control_plane",
        "importance": "high" if windows else "note",
        "statement": statement,
        "missing": "the control-plane logs (planner, Enactor, operator) of the same period",
        "numbers": {"dns_failure_windows": windows},
        "evidence": [],
    }


def _unmentioned_gaps(names: Iterable[str]) -> list[dict[str, Any]]:
    """Names the user asked about (``--endpoint``) that no log mentions."""
    return [
        {
            "kind": "endpoint_not_in_logs",
            "importance": "note",
            "endpoint": name,
            "statement": (
                f"{name} was selected (--endpoint) but no log of the case mentions it: "
                "nothing can be said about it (no finding is not an all-clear)."
            ),
            "missing": f"logs that mention {name}, or the name as the logs spell it",
            "numbers": {},
            "evidence": [],
        }
        for name in names
    ]
