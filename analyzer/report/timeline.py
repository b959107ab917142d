"""The reconstructed timeline: the ordered chain of key events of an incident.

Built from the findings (what the rules concluded) and SQL over the canonical tables
(``queries/timeline/``: the plans written meanwhile, the update a stale plan overwrote,
the clean-up run that deleted it, the operators' actions); the sentences are written by
``timeline_sentences``. Each entry has its time, the time since the
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
from .queries import query
from .timeline_sentences import sentence

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
        raw = query("timeline/key_events").run(con, F).pl()
        raw = change_history.with_steps(con, F, raw)
        impact = query("timeline/impact").run(con, F, dns_tolerance_s=dns_tolerance_s).pl()
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
    shown stay those its evidence lines say. The clock is looked up once per file (per
    event it joins each event with every line of its file)."""
    con.register("_timeline_raw", raw.to_arrow())
    try:
        return con.sql(
            "WITH r AS (SELECT *, row_number() OVER () AS _i FROM _timeline_raw), "
            "c AS (SELECT f, pf_file_clock(f) AS clock FROM "
            "(SELECT DISTINCT evidence[1].file AS f FROM _timeline_raw)) "
            "SELECT r.* EXCLUDE (_i), pf_corrected_at(c.clock, r.ts) AS tc "
            "FROM r LEFT JOIN c ON c.f = r.evidence[1].file ORDER BY r._i"
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
                "sentence": sentence(r, facts, tz),
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
