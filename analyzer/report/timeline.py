"""The reconstructed timeline: the ordered chain of key events of an incident.

Built from the findings (what the rules concluded) and SQL over the canonical tables
(the plans written meanwhile, the update a stale plan overwrote, the clean-up run that
deleted it, the operators' actions). Each entry has its time, the time since the
trigger, the host, a sentence and its evidence (file:line); the entries fall into four
phases: trigger, impact, detection and mitigation, recovery. See findings.md
("Timeline").
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl

from ..rules.runner import ensure_ordering
from . import change_history, timefmt
from .findings import Finding, normalize, registered, rfc3339

PHASES = ("trigger", "impact", "detection and mitigation", "recovery")

KINDS: dict[str, str] = {
    # kind -> phase; the order is the tie-break for events at the same instant
    "stall_begins": "trigger",
    "newer_plans": "trigger",
    "fast_apply": "trigger",
    "cleanup_start": "trigger",
    "stale_overwrite": "trigger",
    "live_plan_deleted": "trigger",
    **{k: v for k, v in change_history.KINDS.items() if v == "trigger"},
    "endpoint_empty": "impact",
    "blocked_updates": "impact",
    "first_failed_query": "impact",
    "operator_action": "detection and mitigation",
    "unlogged_change": change_history.KINDS["unlogged_change"],
    "endpoint_restored": "recovery",
    "record_set_restored": change_history.KINDS["record_set_restored"],
    "last_failed_query": "recovery",
}
RECOVERY_ACTIONS = ("restore_endpoint", "enable_automation", "rollback", "restore")
CAUSE_RULES = ("endpoint_empty", "cleanup_deleted_live_plan", "non_monotonic_apply")

EVENT_SCHEMA: dict[str, Any] = {
    "ts": pl.Datetime("us", "UTC"),
    "time": pl.String,
    "since_trigger_s": pl.Float64,
    "since_trigger": pl.String,
    "phase": pl.String,
    "kind": pl.String,
    "host": pl.String,
    "endpoint": pl.String,
    "generation": pl.Int64,
    "sentence": pl.String,
    "evidence": pl.List(pl.Struct({"file": pl.String, "line": pl.Int64})),
    "rule": pl.String,
    "finding_id": pl.String,
    "facts": pl.String,
}


@dataclass
class Timeline:
    """The timeline of a case: ``events`` (one row per key event), ``impact`` (one row per
    affected endpoint) and ``phases`` (their spans), all polars frames."""

    events: pl.DataFrame
    impact: pl.DataFrame
    phases: pl.DataFrame
    trigger: dt.datetime | None
    tz: str
    chain: list[str] = field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        """The events as JSON-ready records (times RFC 3339 UTC, plus the local time)."""
        return [_jsonable(r) for r in self.events.to_dicts()]

    def impact_records(self) -> list[dict[str, Any]]:
        return [_jsonable(r) for r in self.impact.to_dicts()]

    def phase_records(self) -> list[dict[str, Any]]:
        return [_jsonable(r) for r in self.phases.to_dicts()]


def _jsonable(row: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: rfc3339(v) if isinstance(v, dt.datetime) else v for k, v in row.items()}

    facts = out.get("facts")
    if isinstance(facts, str):
        out["facts"] = json.loads(facts)
        change_history.records_into_evidence(out)
    return out


# One row per candidate event. {F} is the findings table, {F}_ev its evidence lines.
_EVENTS_SQL = """
WITH ev_at AS (
    SELECT id, date_trunc('millisecond', ts) AS ts,
           list({{'file': file, 'line': line}} ORDER BY ord) AS ev
    FROM {F}_ev WHERE ts IS NOT NULL GROUP BY ALL
),
fx AS (
    SELECT f.*,
           coalesce(s.ev, f.evidence[1:1]) AS ev_start,
           coalesce(e.ev, list_slice(f.evidence, -1, -1)) AS ev_end
    FROM {F} f
    LEFT JOIN ev_at s ON s.id = f.id AND s.ts = date_trunc('millisecond', f.start)
    LEFT JOIN ev_at e ON e.id = f.id AND e.ts = date_trunc('millisecond', f."end")
),
-- the stale overwrites, with the freshness check that let the stale plan through
nm AS (
    SELECT f.*,
        (SELECT max(e.ts) FROM enactor_events e
         WHERE e.event = 'plan_check' AND e.host = f.host AND e.generation = f.generation
           AND e.ts <= f.start) AS check_ts
    FROM fx f WHERE f.rule = 'non_monotonic_apply'
),
-- the update each stale overwrite replaced: the newest successful update before it
overwritten AS (
    SELECT n.id, arg_max({{'ts': e.ts, 'host': e.host, 'generation': e.generation,
                          'file': e.file, 'line': e.line}}, e.ts) AS prev
    FROM nm n JOIN enactor_events e
      ON e.event = 'endpoint_update' AND e.status = 'ok' AND e.endpoint = n.endpoint
     AND e.ts < n.start AND e.generation > n.generation
    GROUP BY n.id
),
-- the plans the planner wrote while the stale plan waited to be applied
newer AS (
    SELECT n.id, count(DISTINCT p.generation) AS n_plans,
           min(p.generation) AS g_first, max(p.generation) AS g_last,
           min(p.ts) AS t_first, max(p.ts) AS t_last,
           arg_min({{'file': p.file, 'line': p.line}}, p.ts) AS ev_first,
           arg_max({{'file': p.file, 'line': p.line}}, p.ts) AS ev_last
    FROM nm n JOIN planner_events p
      ON p.event = 'plan_created' AND p.generation > n.generation
     AND p.ts > coalesce(n.check_ts, n.start - INTERVAL 1 HOUR) AND p.ts <= n.start
    GROUP BY n.id
),
cx AS (SELECT * FROM fx WHERE rule = 'cleanup_deleted_live_plan'),
-- the clean-up run that deleted a live plan, and who had applied that plan
cleanup AS (
    SELECT c.id, arg_max({{'ts': e.ts, 'applied_generation': e.applied_generation,
                          'keep': e.keep, 'file': e.file, 'line': e.line}}, e.ts) AS run
    FROM cx c JOIN enactor_events e
      ON e.event = 'cleanup_start' AND e.host = c.host AND e.ts <= c.start
    GROUP BY c.id
),
applied AS (
    SELECT c.id, arg_max({{'ts': e.ts, 'host': e.host}}, e.ts) AS upd
    FROM cx c JOIN enactor_events e
      ON e.event = 'endpoint_update' AND e.status = 'ok' AND e.endpoint = c.endpoint
     AND e.generation = c.generation AND e.ts <= c.start
    GROUP BY c.id
),
dnsf AS (SELECT * FROM fx WHERE rule = 'dns_resolution_failure'),
dns_counts AS (
    SELECT f.id,
           count(*) FILTER (WHERE q.failed AND q.ts <= coalesce(f."end", f.start)) AS failed,
           count(*) FILTER (WHERE q.ts <= coalesce(f."end", f.start)) AS total,
           arg_min(q.rcode, q.ts) FILTER (WHERE q.failed) AS first_rcode,
           min(q.ts) FILTER (WHERE q.ts > f."end" AND NOT q.failed) AS recovered_at
    FROM dnsf f JOIN dns_queries q ON q.qname = f.endpoint AND q.ts >= f.start
    GROUP BY f.id
),
blocked AS (
    SELECT f.id, count(*) AS attempts, count(DISTINCT e.host) AS hosts,
           arg_min(e.error, e.ts) AS first_error
    FROM fx f JOIN enactor_events e
      ON e.event = 'endpoint_update' AND e.status = 'error' AND e.endpoint = f.endpoint
     AND e.ts BETWEEN f.start AND coalesce(f."end", f.start)
    WHERE f.rule = 'blocked_updates'
    GROUP BY f.id
),
restores AS (
    SELECT f.id, f.endpoint, f."end" AS ts, f.start AS empty_since
    FROM fx f WHERE f.rule = 'endpoint_empty' AND f."end" IS NOT NULL
),
empty_end_by AS (
    SELECT r.id,
        (SELECT arg_min({{'host': e.host, 'generation': e.generation}}, e.ts)
         FROM enactor_events e WHERE e.event = 'endpoint_update' AND e.status = 'ok'
           AND e.endpoint = r.endpoint
           AND date_trunc('millisecond', e.ts) = date_trunc('millisecond', r.ts)) AS upd,
        (SELECT count(*) FROM operator_actions o WHERE o.endpoint = r.endpoint
           AND date_trunc('millisecond', o.ts) = date_trunc('millisecond', r.ts)) AS by_operator
    FROM restores r
),
stalls AS (
    SELECT f.* FROM fx f WHERE f.rule = 'enactor_stall' AND (
        NOT EXISTS (SELECT 1 FROM {F} g WHERE g.rule IN ('non_monotonic_apply', 'stale_plan_check'))
        OR EXISTS (SELECT 1 FROM {F} g WHERE g.rule IN ('non_monotonic_apply', 'stale_plan_check')
                   AND g.host = f.host AND g.generation = f.generation))
)
SELECT s.start AS ts, 'stall_begins' AS kind, s.host, s.endpoint, s.generation, s.rule,
       s.id AS finding_id, s.ev_start AS evidence,
       to_json({{'until': s."end", 'duration_s': epoch(s."end" - s.start)}}) AS facts
FROM stalls s
UNION ALL
SELECT w.t_first, 'newer_plans', n.host, n.endpoint, n.generation, NULL, n.id,
       [w.ev_first, w.ev_last],
       to_json({{'n_plans': w.n_plans, 'g_first': w.g_first, 'g_last': w.g_last,
                't_last': w.t_last}})
FROM nm n JOIN newer w USING (id)
UNION ALL
SELECT (o.prev).ts, 'fast_apply', (o.prev).host, n.endpoint, (o.prev).generation, NULL, n.id,
       [{{'file': (o.prev).file, 'line': (o.prev).line}}],
       to_json({{'stale_generation': n.generation, 'stale_host': n.host}})
FROM nm n JOIN overwritten o USING (id)
UNION ALL
SELECT (r.run).ts, 'cleanup_start', c.host, c.endpoint, (r.run).applied_generation, NULL, c.id,
       [{{'file': (r.run).file, 'line': (r.run).line}}],
       to_json({{'keep': (r.run).keep}})
FROM cx c JOIN cleanup r USING (id)
UNION ALL
SELECT n.start, 'stale_overwrite', n.host, n.endpoint, n.generation, n.rule, n.id, n.ev_start,
       to_json({{'prev_generation': coalesce((o.prev).generation,
                    TRY_CAST(json_extract(n.details, '$.previous_generation') AS BIGINT)),
                'prev_host': (o.prev).host, 'prev_ts': (o.prev).ts,
                'check_ts': n.check_ts}})
FROM nm n LEFT JOIN overwritten o USING (id)
UNION ALL
SELECT c.start, 'live_plan_deleted', c.host, c.endpoint, c.generation, c.rule, c.id, c.ev_start,
       to_json({{'endpoints': coalesce(json_extract(c.details, '$.endpoints'),
                                       to_json([c.endpoint])),
                'applied_by': (a.upd).host, 'applied_ts': (a.upd).ts}})
FROM cx c LEFT JOIN applied a USING (id)
UNION ALL
SELECT f.start, 'endpoint_empty', NULL, f.endpoint, f.generation, f.rule, f.id, f.ev_start,
       to_json({{'until': f."end"}})
FROM fx f WHERE f.rule = 'endpoint_empty'
UNION ALL
SELECT f.start, 'blocked_updates', NULL, f.endpoint, f.generation, f.rule, f.id,
       CASE WHEN f.ev_start = f.ev_end THEN f.ev_start
            ELSE list_concat(f.ev_start, f.ev_end) END,
       to_json({{'until': f."end", 'attempts': b.attempts, 'hosts': b.hosts,
                'error': b.first_error}})
FROM fx f LEFT JOIN blocked b USING (id) WHERE f.rule = 'blocked_updates'
UNION ALL
SELECT f.start, 'first_failed_query', NULL, f.endpoint, NULL, f.rule, f.id, f.ev_start,
       to_json({{'until': f."end", 'failed': d.failed, 'total': d.total,
                'rcode': d.first_rcode}})
FROM dnsf f LEFT JOIN dns_counts d USING (id)
UNION ALL
SELECT f."end", 'last_failed_query', NULL, f.endpoint, NULL, f.rule, f.id, f.ev_end,
       to_json({{'recovered_at': d.recovered_at}})
FROM dnsf f LEFT JOIN dns_counts d USING (id) WHERE f."end" IS NOT NULL
UNION ALL
SELECT r.ts, 'endpoint_restored', (b.upd).host, r.endpoint, (b.upd).generation, 'endpoint_empty',
       r.id, f.ev_end,
       to_json({{'empty_s': epoch(r.ts - r.empty_since)}})
FROM restores r JOIN empty_end_by b USING (id) JOIN fx f USING (id)
WHERE b.by_operator = 0
UNION ALL
SELECT o.ts, 'operator_action', o.actor, o.endpoint, o.generation, NULL, NULL,
       [{{'file': o.file, 'line': o.line}}],
       to_json({{'action': o.action, 'note': o.note,
                'empty_s': (SELECT max(epoch(r.ts - r.empty_since)) FROM restores r
                            WHERE r.endpoint = o.endpoint
                              AND date_trunc('millisecond', r.ts)
                                  = date_trunc('millisecond', o.ts))}})
FROM operator_actions o
"""

_IMPACT_SQL = """
WITH dns AS (
    SELECT endpoint, min(start) AS first_failed, max(coalesce("end", start)) AS last_failed,
           count(*) AS windows, max(sev_rank) AS sev_rank
    FROM {F} WHERE rule = 'dns_resolution_failure' GROUP BY endpoint
),
empty AS (
    SELECT endpoint, min(start) AS empty_start,
           CASE WHEN bool_or("end" IS NULL) THEN NULL ELSE max("end") END AS empty_end,
           bool_or("end" IS NULL) AS still_empty
    FROM {F} WHERE rule = 'endpoint_empty' GROUP BY endpoint
),
counts AS (
    SELECT d.endpoint, count(*) FILTER (WHERE q.failed) AS failed, count(*) AS total
    FROM dns d JOIN dns_queries q
      ON q.qname = d.endpoint AND q.ts BETWEEN d.first_failed AND d.last_failed
    GROUP BY d.endpoint
),
-- control-plane findings that can cause a DNS failure, one row per endpoint named
causes AS (
    SELECT endpoint, rule, start FROM {F}
    WHERE rule IN ('endpoint_empty', 'non_monotonic_apply', 'record_set_emptied')
    UNION ALL
    SELECT unnest(coalesce(TRY_CAST(json_extract(details, '$.endpoints') AS VARCHAR[]),
                           [endpoint])), rule, start
    FROM {F} WHERE rule = 'cleanup_deleted_live_plan'
),
cause AS (
    SELECT d.endpoint,
           arg_max({{'rule': c.rule, 'start': c.start}},
                   (c.start, CASE c.rule WHEN 'endpoint_empty' THEN 3
                                         WHEN 'cleanup_deleted_live_plan' THEN 2 ELSE 1 END))
               AS c
    FROM dns d JOIN causes c
      ON c.endpoint = d.endpoint AND c.start <= d.first_failed + to_seconds(?)
    GROUP BY d.endpoint
),
eps AS (SELECT endpoint FROM dns UNION SELECT endpoint FROM empty)
SELECT e.endpoint,
       (c.c).rule AS cause_rule, (c.c).start AS cause_time,
       m.empty_start, m.empty_end, coalesce(m.still_empty, false) AS still_empty,
       epoch(m.empty_end - m.empty_start) AS empty_s,
       d.first_failed, d.last_failed, epoch(d.last_failed - d.first_failed) AS impact_s,
       n.failed, n.total, d.windows,
       epoch(d.first_failed - (c.c).start) AS cause_to_first_failure_s
FROM eps e
LEFT JOIN dns d USING (endpoint) LEFT JOIN empty m USING (endpoint)
LEFT JOIN counts n USING (endpoint) LEFT JOIN cause c USING (endpoint)
ORDER BY coalesce(d.first_failed, m.empty_start), e.endpoint
"""


def build_timeline(
    case: Any,
    findings: Iterable[Mapping[str, Any]] | pl.DataFrame,
    *,
    tz: str = "UTC",
    dns_tolerance_s: float = 60.0,
) -> Timeline:
    """Reconstruct the timeline of ``case`` from ``findings`` (contract-shaped records).

    ``dns_tolerance_s`` is how far after the first failed query a control-plane cause may
    be logged and still count as its cause (resolver and control-plane clocks differ).
    """
    timefmt.zone(tz)
    found = normalize(findings)
    con: duckdb.DuckDBPyConnection = case.con
    ensure_ordering(con)
    with registered(con, found) as F:
        raw = con.sql(_EVENTS_SQL.format(F=F)).pl()
        raw = change_history.with_steps(con, F, raw)
        impact = con.sql(_IMPACT_SQL.format(F=F), params=[dns_tolerance_s]).pl()
    raw = _corrected(con, raw)
    trigger = _trigger(found, raw)
    # measured on the reference clock, like the events: the trigger's line's correction
    shift = raw.filter(pl.col("ts") == trigger)["tc"].min() if trigger is not None else None
    trigger_tc = shift if isinstance(shift, dt.datetime) else trigger
    events = _events_frame(raw, trigger_tc, tz, {r["endpoint"]: r for r in impact.to_dicts()})
    events = _with_serious_findings(events, found, trigger_tc, tz)
    return Timeline(
        events=events,
        impact=impact,
        phases=_phases(events),
        trigger=trigger,
        tz=tz,
        chain=_chain(events),
    )


def _with_serious_findings(
    events: pl.DataFrame, found: list[Finding], trigger: dt.datetime | None, tz: str
) -> pl.DataFrame:
    """Every critical or high finding has an event: those no key event stands for (one
    of the same finding, or at the same instant on the same endpoint and generation),
    such as a stale update the freshness check refused or a rule of the user's, get one
    of kind ``finding`` at their start, saying what the finding says."""
    from .navigation import localize

    told = set(events["finding_id"].drop_nulls().to_list())
    told_at = {(r["ts"], r["endpoint"], r["generation"]) for r in events.iter_rows(named=True)}
    rows = []
    for f in found:
        if f["start"] is None or f["severity"] not in ("critical", "high"):
            continue
        at = (f["start"].replace(microsecond=f["start"].microsecond // 1000 * 1000), f["endpoint"])
        if f["id"] in told or (*at, f["generation"]) in told_at:
            continue
        since = (f["start"] - trigger).total_seconds() if trigger is not None else None
        refused = f["rule"] == "stale_plan_check" and f["details"].get("update_status") == "error"
        sentence = localize(f["summary"] or f["rule"], tz)
        phase = "trigger" if since is None or since <= 0 else "impact"
        if refused:
            d = f["details"]
            sentence = (
                f"{f['host']} tries to update {f['endpoint']} with generation {f['generation']}, "
                f"checked {timefmt.duration(d.get('check_age_s'))} earlier, but "
                f"{d.get('newer_host') or 'another Enactor'} had already set it to generation "
                f"{d.get('newer_generation')}: the update is refused; the freshness check at "
                "update time caught the stale plan."
            )
            phase = "detection and mitigation"
        rows.append(
            {
                "ts": f["start"],
                "time": timefmt.local(f["start"], tz),
                "since_trigger_s": since,
                "since_trigger": timefmt.offset(since),
                "phase": phase,
                "kind": "finding",
                "host": f["host"],
                "endpoint": f["endpoint"],
                "generation": f["generation"],
                "sentence": sentence,
                "evidence": f["evidence"][:3],
                "rule": f["rule"],
                "finding_id": f["id"],
                "facts": json.dumps({"severity": f["severity"], "refused": refused}),
            }
        )
    if not rows:
        return events
    # in corrected-time order (since the trigger) where there is a trigger
    by = ["since_trigger_s", "ts"] if trigger is not None else ["ts"]
    return pl.concat([events, pl.DataFrame(rows, schema=EVENT_SCHEMA)]).sort(
        by, maintain_order=True, nulls_last=True
    )


def _corrected(con: duckdb.DuckDBPyConnection, raw: pl.DataFrame) -> pl.DataFrame:
    """Each event with ``tc``, its time on the reference clock (queries/_clocks.sql): the
    timeline is ordered, and measured from the trigger, in corrected time; the times
    shown stay those its evidence lines say."""
    con.register("_timeline_raw", raw.to_arrow())
    try:
        return con.sql(
            "SELECT *, pf_corrected_at(pf_file_clock(evidence[1].file), ts) AS tc "
            "FROM _timeline_raw"
        ).pl()
    finally:
        con.unregister("_timeline_raw")


def _trigger(found: list[Finding], raw: pl.DataFrame) -> dt.datetime | None:
    """The moment the control plane broke the endpoint: the deletion of a live plan (the
    endpoint goes empty); else a stale overwrite; else the first failed query; else the
    first event."""
    for rules in (
        ("cleanup_deleted_live_plan", "endpoint_empty", "record_set_emptied"),
        ("non_monotonic_apply",),
        ("dns_resolution_failure",),
    ):
        starts = [f["start"] for f in found if f["rule"] in rules and f["start"] is not None]
        if starts:
            return min(starts)
    if raw.height:
        return raw["ts"].drop_nulls().min()  # type: ignore[return-value]
    return None


def _events_frame(
    raw: pl.DataFrame,
    trigger: dt.datetime | None,
    tz: str,
    impact: Mapping[str, Mapping[str, Any]],
) -> pl.DataFrame:
    order = {k: i for i, k in enumerate(KINDS)}
    rows = []
    for r in raw.filter(pl.col("ts").is_not_null()).to_dicts():
        facts = json.loads(r["facts"]) if r["facts"] else {}
        hit = impact.get(r["endpoint"] or "")
        if r["kind"] == "first_failed_query" and hit and hit["first_failed"] == r["ts"]:
            facts["cause_rule"] = hit["cause_rule"]
            facts["cause_gap_s"] = hit["cause_to_first_failure_s"]
        since = (r["tc"] - trigger).total_seconds() if trigger is not None else None
        rows.append(
            {
                "ts": r["ts"],
                "time": timefmt.local(r["ts"], tz),
                "since_trigger_s": since,
                "since_trigger": timefmt.offset(since),
                "phase": _phase(r["kind"], facts),
                "kind": r["kind"],
                "host": r["host"],
                "endpoint": r["endpoint"],
                "generation": r["generation"],
                "sentence": _sentence(r, facts, tz),
                "evidence": [e for e in (r["evidence"] or []) if e and e.get("file")],
                "rule": r["rule"],
                "finding_id": r["finding_id"],
                "facts": json.dumps(facts, sort_keys=True, default=str),
                "_order": order.get(r["kind"], 99),
                "_tc": r["tc"],
            }
        )
    rows.sort(
        key=lambda r: (r["_tc"], r["_order"], r["endpoint"] or "", r["host"] or "", r["sentence"])
    )
    # phases follow each other: an operator action once recovery has begun is recovery
    recovery = [
        r["_tc"] for r in rows if r["phase"] == "recovery" and r["kind"] != "last_failed_query"
    ]
    for r in rows:
        del r["_order"]
        tc = r.pop("_tc")
        if r["kind"] == "operator_action" and recovery and tc >= min(recovery):
            r["phase"] = "recovery"
    return pl.DataFrame(rows, schema=EVENT_SCHEMA)


def _phase(kind: str, facts: Mapping[str, Any]) -> str:
    if kind == "operator_action" and (
        facts.get("action") in RECOVERY_ACTIONS or facts.get("empty_s") is not None
    ):
        return "recovery"
    return KINDS.get(kind, "impact")


def _phases(events: pl.DataFrame) -> pl.DataFrame:
    spans = (
        events.group_by("phase")
        .agg(
            pl.col("ts").min().alias("start"),
            pl.col("ts").max().alias("end"),
            pl.len().alias("events"),
        )
        .with_columns(
            pl.col("phase").replace_strict({p: i for i, p in enumerate(PHASES)}).alias("o")
        )
        .sort("o")
        .drop("o")
    )
    return spans.select("phase", "start", "end", pl.col("events").cast(pl.Int64))


def _chain(events: pl.DataFrame) -> list[str]:
    """The root-cause chain: the trigger phase in order, then the first impact of each kind."""
    out: list[str] = []
    seen: set[tuple[str, str | None]] = set()
    for r in events.iter_rows(named=True):
        if r["phase"] == "trigger" or (
            r["phase"] == "impact" and (r["kind"], r["endpoint"]) not in seen
        ):
            seen.add((r["kind"], r["endpoint"]))
            out.append(r["sentence"])
    return out


# -- sentences ------------------------------------------------------------------------------
def _t(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(dt.UTC)


def _q(text: Any) -> str:
    """Log-derived free text, quoted (escaping is the renderer's job)."""
    return "“" + str(text) + "”"


def _sentence(r: Mapping[str, Any], facts: Mapping[str, Any], tz: str) -> str:
    kind, host, ep, g = r["kind"], r["host"], r["endpoint"], r["generation"]
    if kind in change_history.KINDS:
        return change_history.sentence(kind, r, facts, tz)
    ts: dt.datetime = r["ts"]
    if kind == "stall_begins":
        until = _t(facts.get("until"))
        what = f"generation {g}" + (f" to {ep}" if ep else "")
        if until is None:
            return f"{host} starts applying {what} and stalls."
        return (
            f"{host} starts applying {what}; it does not finish for "
            f"{timefmt.duration((until - ts).total_seconds())} (until {timefmt.local(until, tz)}): "
            "a stall."
        )
    if kind == "newer_plans":
        return (
            f"While {host} is stuck with generation {g}, the planner keeps writing newer plans: "
            f"{facts['n_plans']} of them, generations {facts['g_first']}–{facts['g_last']}, "
            f"the last at {timefmt.local(_t(facts['t_last']), tz)}."
        )
    if kind == "fast_apply":
        stale, stale_host = facts.get("stale_generation"), facts.get("stale_host")
        text = f"{host} applies generation {g} to {ep}"
        if stale is not None and stale_host:
            text += f", {g - stale} generations ahead of the plan {stale_host} is still holding"
        return text + "."
    if kind == "cleanup_start":
        keep = facts.get("keep")
        limit = f": plans older than {g - keep} are to be deleted" if keep is not None else ""
        return f"{host} has applied generation {g} and starts clean-up{limit}."
    if kind == "stale_overwrite":
        text = f"{host} applies its stale generation {g} to {ep}"
        prev_g, prev_host, prev_ts = (
            facts.get("prev_generation"),
            facts.get("prev_host"),
            _t(facts.get("prev_ts")),
        )
        if prev_g is not None:
            text += f", overwriting the newer generation {prev_g}"
            if prev_host and prev_ts:
                text += (
                    f" that {prev_host} applied "
                    f"{timefmt.duration((ts - prev_ts).total_seconds())} earlier"
                )
        check = _t(facts.get("check_ts"))
        if check is not None:
            text += (
                f"; its freshness check passed {timefmt.duration((ts - check).total_seconds())} "
                "before (time of check to time of use)"
            )
        return text + "."
    if kind == "live_plan_deleted":
        eps = facts.get("endpoints")
        if isinstance(eps, str):
            eps = json.loads(eps)
        names = ", ".join(eps or [ep or "an endpoint"])
        text = f"{host}'s clean-up deletes plan {g}, which {names} still pointed to"
        applied_ts = _t(facts.get("applied_ts"))
        if facts.get("applied_by") and applied_ts:
            text += (
                f" ({facts['applied_by']} had applied it "
                f"{timefmt.duration((ts - applied_ts).total_seconds())} earlier)"
            )
        return text + "."
    if kind == "endpoint_empty":
        until = _t(facts.get("until"))
        tail = (
            f"until {timefmt.local(until, tz)} ({timefmt.duration((until - ts).total_seconds())})"
            if until
            else "and is still empty where the logs end"
        )
        return f"{ep} is empty: it publishes no DNS records {tail}."
    if kind == "blocked_updates":
        until = _t(facts.get("until"))
        text = f"Enactors fail to update {ep}"
        if facts.get("attempts"):
            text += f": {facts['attempts']} failed attempts by {facts['hosts']} Enactor(s)"
        if until:
            text += f" until {timefmt.local(until, tz)}"
        if facts.get("error"):
            text += f", e.g. {_q(facts['error'])}"
        return text + "."
    if kind == "first_failed_query":
        rcode = facts.get("rcode")
        how = (
            " (NOERROR with an empty answer)"
            if rcode == "NOERROR"
            else f" ({rcode})"
            if rcode
            else ""
        )
        text = f"First failed DNS query for {ep}{how}"
        if facts.get("total"):
            text += f"; {facts['failed']} of {facts['total']} queries fail"
            until = _t(facts.get("until"))
            if until:
                text += f" until {timefmt.local(until, tz)}"
        if facts.get("cause_rule"):
            text += (
                f"; {timefmt.duration(facts['cause_gap_s'])} after the control-plane cause "
                f"({facts['cause_rule']})"
            )
        elif "cause_rule" in facts:
            text += "; no control-plane finding precedes it"
        return text + "."
    if kind == "last_failed_query":
        rec = _t(facts.get("recovered_at"))
        if rec:
            return (
                f"Last failed DNS query for {ep}; the next query, at {timefmt.local(rec, tz)}, "
                "resolves: clients have recovered."
            )
        return f"Last failed DNS query for {ep} in the logs; no successful query follows."
    if kind == "endpoint_restored":
        by = f" ({host} applies generation {g})" if host else ""
        return f"{ep} has records again{by} after {timefmt.duration(facts.get('empty_s'))} empty."
    if kind == "operator_action":
        text = f"Operator {host}: {facts.get('action')}"
        if ep:
            text += f" of {ep}"
        if g is not None:
            text += f" to generation {g}"
        if facts.get("note"):
            text += f" — {_q(facts['note'])}"
        if facts.get("empty_s") is not None:
            text += f"; {ep} has records again after {timefmt.duration(facts['empty_s'])} empty"
        return text + "."
    return f"{kind} {ep or ''} {host or ''}".strip() + "."
