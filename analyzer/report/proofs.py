"""Proofs: a short argument for each critical or high finding, in the style of Elle.

Jepsen's Elle does not just say "G1c"; it says "Let T1 = ..., T2 = ... Then T1 < T2
because ... Therefore a cycle". Here each critical or high finding gets the same: the
log lines it rests on (``Let U1 = ... (file:line)``), what follows from their order
(``Then``) and the conclusion (``Therefore``). Where the chain has a hole, the proof
names the log line that would be needed and is missing.

The lines are looked up with one set-based query per rule over the canonical tables,
from the finding's contract fields (endpoint, generation, host, start, end) only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl

from ..rules.runner import ensure_ordering
from . import change_history, timefmt
from .findings import Finding, normalize, registered, severity_rank

PROVEN_MIN_RANK = severity_rank("high")


@dataclass
class Step:
    """``Let <label> = <text>`` resting on one log line (None when the line is missing)."""

    label: str
    text: str
    evidence: dict[str, Any] | None = None

    def render(self) -> str:
        where = f" ({self.evidence['file']}:{self.evidence['line']})" if self.evidence else ""
        return f"Let {self.label} = {self.text}{where}."


@dataclass
class Proof:
    finding_id: str
    rule: str
    severity: str
    steps: list[Step]
    then: str
    therefore: str
    missing: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The whole argument as one paragraph."""
        parts = [s.render() for s in self.steps]
        parts.append(f"Then {self.then}")
        parts.append(f"Therefore {self.therefore}")
        parts += [f"Missing: {m}." for m in self.missing]
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "finding_id": self.finding_id,
            "rule": self.rule,
            "severity": self.severity,
            "steps": [
                {"label": s.label, "text": s.text, "evidence": s.evidence} for s in self.steps
            ],
            "then": self.then,
            "therefore": self.therefore,
            "missing": list(self.missing),
            "text": self.text(),
        }


_ROW = (
    "{{'ts': {a}.ts, 'host': {a}.host, 'generation': {a}.generation, "
    "'file': {a}.file, 'line': {a}.line}}"
)
_E = _ROW.format(a="e")
# Cross-host lookups ("the last change of the endpoint before this one") go by the
# clock-corrected time of queries/_clocks.sql; a row shows its line's own time.
_EC = _E[:-1] + ", 'tc': e.ts_corrected}"
_OC = (
    "{'ts': o.ts, 'tc': o.ts_corrected, 'host': o.actor, 'generation': o.generation, "
    "'file': o.file, 'line': o.line}"
)
_AT = "pf_corrected_at(f.host, f.start)"

_SQL: dict[str, str] = {
    "non_monotonic_apply": f"""
SELECT f.id,
  (SELECT arg_min({_EC}, abs(epoch(e.ts - f.start))) FROM enactor_events_ordered e
    WHERE e.event = 'endpoint_update' AND e.status = 'ok' AND e.endpoint = f.endpoint
      AND e.host = f.host AND e.generation = f.generation) AS upd,
  (SELECT arg_max({_EC}, (e.ts_corrected, e.line)) FROM enactor_events_ordered e
    WHERE e.event = 'endpoint_update' AND e.status = 'ok' AND e.endpoint = f.endpoint
      AND e.ts_corrected < {_AT}) AS prev,
  (SELECT arg_max({_OC}, o.ts_corrected) FROM operator_actions_ordered o
    WHERE o.action = 'restore_endpoint' AND o.endpoint = f.endpoint
      AND o.generation IS NOT NULL AND o.ts_corrected < {_AT}) AS restore
FROM {{F}} f WHERE f.rule = 'non_monotonic_apply'
""",
    "stale_plan_check": f"""
WITH c AS (
  SELECT f.id, f.start, f.endpoint, f.generation, f.host,
    (SELECT arg_max({{'ts': e.ts, 'tc': e.ts_corrected, 'current': e.current_generation,
                     'verdict': e.verdict, 'file': e.file, 'line': e.line}}, e.ts)
     FROM enactor_events_ordered e WHERE e.event = 'plan_check' AND e.host = f.host
       AND e.generation = f.generation AND e.ts <= f.start) AS chk
  FROM {{F}} f WHERE f.rule = 'stale_plan_check'
)
SELECT c.id, c.chk,
  (SELECT arg_min({_EC}, e.ts_corrected) FROM enactor_events_ordered e
    WHERE e.event = 'endpoint_update' AND e.status = 'ok' AND e.endpoint = c.endpoint
      AND e.generation > c.generation AND e.host <> c.host
      AND e.ts_corrected > pf_corrected_at(c.host, coalesce((c.chk).ts,
                                                            c.start - INTERVAL 1 DAY))
      AND e.ts_corrected <= pf_corrected_at(c.host, c.start)) AS newer,
  (SELECT arg_min({_EC}, abs(epoch(e.ts - c.start))) FROM enactor_events_ordered e
    WHERE e.event = 'endpoint_update' AND e.endpoint = c.endpoint AND e.host = c.host
      AND e.generation = c.generation) AS upd,
  (SELECT count(DISTINCT p.generation) FROM planner_events p
    WHERE p.event = 'plan_created' AND p.generation > c.generation
      AND p.ts > coalesce((c.chk).ts, c.start) AND p.ts <= c.start) AS plans_since
FROM c
""",
    "cleanup_deleted_live_plan": f"""
SELECT f.id,
  (SELECT arg_min({_EC}, abs(epoch(e.ts - f.start))) FROM enactor_events_ordered e
    WHERE e.event = 'plan_delete' AND e.host = f.host AND e.generation = f.generation) AS del,
  (SELECT arg_max({{'ts': e.ts, 'applied': e.applied_generation, 'keep': e.keep,
                   'file': e.file, 'line': e.line}}, e.ts) FROM enactor_events e
    WHERE e.event = 'cleanup_start' AND e.host = f.host AND e.ts <= f.start) AS run,
  (SELECT arg_max({_EC}, (e.ts_corrected, e.line)) FROM enactor_events_ordered e
    WHERE e.event = 'endpoint_update' AND e.status = 'ok' AND e.endpoint = f.endpoint
      AND e.ts_corrected <= {_AT}) AS live,
  (SELECT arg_max({_OC}, o.ts_corrected) FROM operator_actions_ordered o
    WHERE o.action = 'restore_endpoint' AND o.endpoint = f.endpoint
      AND o.generation IS NOT NULL AND o.ts_corrected <= {_AT}) AS restore
FROM {{F}} f WHERE f.rule = 'cleanup_deleted_live_plan'
""",
    "endpoint_empty": f"""
SELECT f.id,
  (SELECT arg_min({_E}, abs(epoch(e.ts - f.start))) FROM enactor_events e
    WHERE e.event = 'plan_delete' AND e.generation = f.generation
      AND abs(epoch(e.ts - f.start)) < 1) AS del,
  (SELECT arg_min({{'ts': o.ts, 'host': o.actor, 'generation': o.generation,
                   'file': o.file, 'line': o.line}}, o.ts) FROM operator_actions o
    WHERE o.endpoint = f.endpoint AND o.ts >= f."end" - INTERVAL 1 SECOND
      AND o.ts <= f."end" + INTERVAL 1 SECOND) AS restore,
  (SELECT arg_min({_E}, e.ts) FROM enactor_events e
    WHERE e.event = 'endpoint_update' AND e.status = 'ok' AND e.endpoint = f.endpoint
      AND e.ts > f.start AND e.ts <= f."end" + INTERVAL 1 SECOND) AS upd,
  (SELECT count(*) FROM enactor_events e
    WHERE e.event = 'endpoint_update' AND e.status = 'error' AND e.endpoint = f.endpoint
      AND e.ts > f.start AND e.ts < coalesce(f."end", 'infinity'::TIMESTAMPTZ)) AS failed,
  (SELECT max(ts) FROM enactor_events) AS logs_end
FROM {{F}} f WHERE f.rule = 'endpoint_empty'
""",
    "dns_resolution_failure": """
WITH d AS (SELECT * FROM {F} WHERE rule = 'dns_resolution_failure'),
q AS (SELECT q.* FROM dns_queries q WHERE q.qname IN (SELECT endpoint FROM d))
SELECT d.id,
  (SELECT arg_max({'ts': q.ts, 'rcode': q.rcode, 'n': len(q.answers), 'file': q.file,
                   'line': q.line}, (q.ts, q.line)) FROM q
    WHERE q.qname = d.endpoint AND q.ts < d.start AND NOT q.failed) AS q0,
  (SELECT arg_min({'ts': q.ts, 'rcode': q.rcode, 'n': len(q.answers), 'file': q.file,
                   'line': q.line}, (q.ts, q.line)) FROM q
    WHERE q.qname = d.endpoint AND q.ts >= d.start AND q.failed) AS q1,
  (SELECT arg_max({'ts': q.ts, 'rcode': q.rcode, 'n': len(q.answers), 'file': q.file,
                   'line': q.line}, (q.ts, q.line)) FROM q
    WHERE q.qname = d.endpoint AND q.ts <= coalesce(d."end", d.start) AND q.failed) AS qn,
  (SELECT arg_min({'ts': q.ts, 'rcode': q.rcode, 'n': len(q.answers), 'file': q.file,
                   'line': q.line}, (q.ts, q.line)) FROM q
    WHERE q.qname = d.endpoint AND q.ts > coalesce(d."end", d.start) AND NOT q.failed) AS qr,
  (SELECT count(*) FILTER (WHERE q.failed) FROM q WHERE q.qname = d.endpoint
      AND q.ts BETWEEN d.start AND coalesce(d."end", d.start)) AS failed,
  (SELECT count(*) FROM q WHERE q.qname = d.endpoint
      AND q.ts BETWEEN d.start AND coalesce(d."end", d.start)) AS total,
  (SELECT arg_max({'ts': c.start, 'rule': c.rule, 'generation': c.generation,
                   'ev': c.evidence}, c.start) FROM {F} c
    WHERE c.rule = 'endpoint_empty' AND c.endpoint = d.endpoint
      AND c.start <= d.start + to_seconds(?)) AS cause
FROM d
""",
    "blocked_updates": """
SELECT f.id,
  (SELECT arg_min({'ts': e.ts, 'host': e.host, 'generation': e.generation, 'error': e.error,
                   'file': e.file, 'line': e.line}, (e.ts, e.line)) FROM enactor_events e
    WHERE e.event = 'endpoint_update' AND e.status = 'error' AND e.endpoint = f.endpoint
      AND e.ts BETWEEN f.start AND coalesce(f."end", f.start)) AS f1,
  (SELECT arg_max({'ts': e.ts, 'host': e.host, 'generation': e.generation, 'error': e.error,
                   'file': e.file, 'line': e.line}, (e.ts, e.line)) FROM enactor_events e
    WHERE e.event = 'endpoint_update' AND e.status = 'error' AND e.endpoint = f.endpoint
      AND e.ts BETWEEN f.start AND coalesce(f."end", f.start)) AS fn,
  (SELECT count(*) FROM enactor_events e
    WHERE e.event = 'endpoint_update' AND e.status = 'error' AND e.endpoint = f.endpoint
      AND e.ts BETWEEN f.start AND coalesce(f."end", f.start)) AS failed,
  (SELECT count(DISTINCT e.host) FROM enactor_events e
    WHERE e.event = 'endpoint_update' AND e.status = 'error' AND e.endpoint = f.endpoint
      AND e.ts BETWEEN f.start AND coalesce(f."end", f.start)) AS hosts,
  (SELECT count(*) FROM enactor_events e
    WHERE e.event = 'endpoint_update' AND e.status = 'ok' AND e.endpoint = f.endpoint
      AND e.ts BETWEEN f.start AND coalesce(f."end", f.start)) AS succeeded,
  (SELECT arg_max({'ts': p.ts, 'generation': p.generation, 'file': p.file, 'line': p.line},
                  p.generation) FROM planner_events p
    WHERE p.event = 'plan_created' AND p.ts <= coalesce(f."end", f.start)) AS plan,
  (SELECT arg_max({'ts': c.start, 'generation': c.generation, 'ev': c.evidence}, c.start)
    FROM {F} c WHERE c.rule = 'endpoint_empty' AND c.endpoint = f.endpoint
      AND c.start <= f.start) AS empty
FROM {F} f WHERE f.rule = 'blocked_updates'
""",
}


def prove(
    case: Any,
    findings: Iterable[Mapping[str, Any]] | pl.DataFrame,
    *,
    tz: str = "UTC",
    dns_tolerance_s: float = 60.0,
) -> list[Proof]:
    """A proof for every critical or high finding, in the findings' order."""
    timefmt.zone(tz)
    found = [f for f in normalize(findings) if severity_rank(f["severity"]) >= PROVEN_MIN_RANK]
    con: duckdb.DuckDBPyConnection = case.con
    ensure_ordering(con)
    looked_up: dict[str, dict[str, Any]] = {}
    with registered(con, found) as F:
        for rule, sql in _SQL.items():
            if not any(f["rule"] == rule for f in found):
                continue
            params = [dns_tolerance_s] if "?" in sql else None
            for row in con.sql(sql.replace("{F}", F), params=params).pl().to_dicts():
                looked_up[row["id"]] = row
    builders = {
        "non_monotonic_apply": _non_monotonic,
        "stale_plan_check": _stale_check,
        "cleanup_deleted_live_plan": _cleanup,
        "endpoint_empty": _empty,
        "dns_resolution_failure": _dns,
        "blocked_updates": _blocked,
    }
    proofs = []
    for f in found:
        if f["rule"] in change_history.PROVEN:  # from the finding alone (report/change_history.py)
            proofs.append(change_history.proof(f, tz))
            continue
        build = builders.get(f["rule"])
        row = looked_up.get(f["id"])
        proofs.append(build(f, row, tz) if build and row else _generic(f, tz))
    return proofs


# -- helpers ------------------------------------------------------------------------------
def _loc(row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not row or row.get("file") is None:
        return None
    return {"file": row["file"], "line": row["line"]}


def _at(value: dt.datetime | None, tz: str) -> str:
    return timefmt.local(value, tz)


def _gap(a: dt.datetime | None, b: dt.datetime | None) -> str:
    if a is None or b is None:
        return "an unknown time"
    return timefmt.duration((b - a).total_seconds())


def _skeleton(f: Finding) -> Proof:
    return Proof(f["id"], f["rule"], f["severity"], [], "", "")


# -- one builder per rule -------------------------------------------------------------------
def _non_monotonic(f: Finding, r: Mapping[str, Any], tz: str) -> Proof:
    p = _skeleton(f)
    ep, g, host = f["endpoint"], f["generation"], f["host"]
    prev, restore, upd = r["prev"], r["restore"], r["upd"]
    if restore and (not prev or restore["tc"] > prev["tc"]):
        prev, prev_what = restore, f"operator {restore['host']} restored {ep} to generation"
    else:
        prev_what = f"{prev['host']} set {ep} to generation" if prev else ""
    if prev:
        p.steps.append(
            Step("U1", f"{prev_what} {prev['generation']} at {_at(prev['ts'], tz)}", _loc(prev))
        )
    else:
        p.missing.append(
            f"an endpoint_update status=ok line setting {ep} to a generation above {g} "
            f"before {_at(f['start'], tz)}: no earlier change of {ep} is logged"
        )
    upd_ts = upd["ts"] if upd else f["start"]
    upd_tc = upd["tc"] if upd else f["start"]
    p.steps.append(Step("U2", f"{host} set {ep} to generation {g} at {_at(upd_ts, tz)}", _loc(upd)))
    if not upd:
        p.missing.append(
            f"{host}'s endpoint_update line for generation {g} at {_at(f['start'], tz)}"
        )
    if prev:
        g1 = prev["generation"]
        p.then = (
            f"U1 is the last change of {ep} before U2 ({_gap(prev['tc'], upd_tc)} earlier), so "
            f"just before U2 {ep} pointed to generation {g1}, and U2 made it {g}"
            + (f" < {g1}." if g1 is not None and g < g1 else ".")
        )
        p.therefore = (
            f"{ep} moved backwards by {g1 - g} generation(s): U2 applied an older plan over a "
            "newer one (a non-monotonic apply)."
            if g1 is not None and g < g1
            else f"the logs do not show {ep} moving backwards at U2; the finding rests on lines "
            "not found."
        )
    else:
        p.then = f"U2 set {ep} to generation {g}, but what it replaced is not in the logs."
        p.therefore = "the overwrite cannot be proved from the logs at hand."
    return p


def _stale_check(f: Finding, r: Mapping[str, Any], tz: str) -> Proof:
    p = _skeleton(f)
    ep, g, host = f["endpoint"], f["generation"], f["host"]
    chk, newer, upd = r["chk"], r["newer"], r["upd"]
    if chk:
        p.steps.append(
            Step(
                "C",
                f"{host}'s freshness check at {_at(chk['ts'], tz)}: plan {g} "
                + (
                    f"found newer than the current generation {chk['current']}"
                    if chk["verdict"] == "newer"
                    else f"checked against generation {chk['current']}: {chk['verdict']}"
                ),
                _loc(chk),
            )
        )
    else:
        p.missing.append(f"{host}'s plan_check line for generation {g}")
    if newer:
        p.steps.append(
            Step(
                "N",
                f"{newer['host']} set {ep} to generation {newer['generation']} at "
                f"{_at(newer['ts'], tz)}",
                _loc(newer),
            )
        )
    else:
        p.missing.append(
            f"an update by another Enactor setting {ep} above generation {g} between the check "
            "and the use"
        )
    upd_ts = upd["ts"] if upd else f["start"]
    p.steps.append(
        Step("X", f"{host} updated {ep} with generation {g} at {_at(upd_ts, tz)}", _loc(upd))
    )
    if chk and newer:
        p.then = (
            f"C < N < X: the check's premise (plan {g} is newer than what {ep} holds) was true "
            f"at C and false from N on, {_gap(chk['tc'], newer['tc'])} later; {host} did not "
            f"check again in the {_gap(chk['ts'], upd_ts)} between C and X, while the planner "
            f"wrote {r['plans_since']} newer plan(s)."
        )
        p.therefore = (
            f"the check was stale when used: time of check to time of use "
            f"({_gap(chk['ts'], upd_ts)})."
        )
    else:
        p.then = "the order C < N < X cannot be established from the lines found."
        p.therefore = "the staleness of the check rests on lines that are missing."
    return p


def _cleanup(f: Finding, r: Mapping[str, Any], tz: str) -> Proof:
    p = _skeleton(f)
    ep, g, host = f["endpoint"], f["generation"], f["host"]
    live, restore, run, dele = r["live"], r["restore"], r["run"], r["del"]
    if restore and (not live or restore["tc"] > live["tc"]):
        live, who = restore, f"operator {restore['host']} restored"
    else:
        who = f"{live['host']} set" if live else ""
    if live:
        p.steps.append(
            Step(
                "A",
                f"{who} {ep} to generation {live['generation']} at {_at(live['ts'], tz)}",
                _loc(live),
            )
        )
    else:
        p.missing.append(f"the endpoint_update status=ok line that set {ep} to generation {g}")
    if run:
        limit = (
            f", deleting plans older than {run['applied'] - run['keep']}"
            if run["applied"] is not None and run["keep"] is not None
            else ""
        )
        p.steps.append(
            Step(
                "C",
                f"{host} started clean-up after applying generation {run['applied']} at "
                f"{_at(run['ts'], tz)}{limit}",
                _loc(run),
            )
        )
    else:
        p.missing.append(f"{host}'s cleanup_start line before the deletion")
    del_ts = dele["ts"] if dele else f["start"]
    del_tc = dele["tc"] if dele else f["start"]
    p.steps.append(Step("D", f"{host} deleted plan {g} at {_at(del_ts, tz)}", _loc(dele)))
    if not dele:
        p.missing.append(f"{host}'s plan_delete line for generation {g}")
    others = [e for e in f["details"].get("endpoints") or [] if e != ep]
    also = f" (and {', '.join(others)})" if others else ""
    if live and live["generation"] == g:
        p.then = (
            f"A is the last change of {ep} before D ({_gap(live['tc'], del_tc)} earlier), so "
            f"{ep}{also} pointed to plan {g} when D deleted it"
            + (
                f"; the clean-up judged plan {g} old by its own applied generation "
                f"({run['applied']}), not by what endpoints still used."
                if run
                else "."
            )
        )
        p.therefore = (
            f"the clean-up deleted a live plan: from {_at(del_ts, tz)} on, {ep} had no records."
        )
    else:
        shown = live["generation"] if live else "unknown"
        p.then = f"the logs show {ep} at generation {shown} when plan {g} was deleted, not at {g}."
        p.therefore = (
            "the deletion of a live plan rests on a change of the endpoint not in the logs."
        )
        p.missing.append(f"the change that set {ep} to generation {g} before the deletion")
    return p


def _empty(f: Finding, r: Mapping[str, Any], tz: str) -> Proof:
    p = _skeleton(f)
    ep, g = f["endpoint"], f["generation"]
    dele = r["del"]
    p.steps.append(
        Step(
            "D",
            f"plan {g} was deleted at {_at(dele['ts'] if dele else f['start'], tz)}"
            + (f" by {dele['host']}" if dele else "")
            + f" while {ep} pointed to it",
            _loc(dele),
        )
    )
    if not dele:
        p.missing.append(f"the plan_delete line of generation {g}")
    end = f["end"]
    restore, upd = r["restore"], r["upd"]
    if end is not None:
        if restore:
            p.steps.append(
                Step(
                    "R",
                    f"operator {restore['host']} restored {ep} to generation "
                    f"{restore['generation']} at {_at(restore['ts'], tz)}",
                    _loc(restore),
                )
            )
        elif upd:
            p.steps.append(
                Step(
                    "R",
                    f"{upd['host']} set {ep} to generation {upd['generation']} at "
                    f"{_at(upd['ts'], tz)}",
                    _loc(upd),
                )
            )
        else:
            p.missing.append(f"the restore or update of {ep} at {_at(end, tz)}")
        p.then = f"between D and R no successful update or restore of {ep} is logged" + (
            f" ({r['failed']} failed update(s) in between)." if r["failed"] else "."
        )
        p.therefore = (
            f"{ep} was empty, publishing no DNS records, for "
            f"{timefmt.duration((end - f['start']).total_seconds())}."
        )
    else:
        p.then = (
            f"after D no successful update or restore of {ep} is logged up to the end of the "
            f"logs ({_at(r['logs_end'], tz)})"
            + (f"; {r['failed']} update(s) failed." if r["failed"] else ".")
        )
        p.therefore = f"{ep} was still empty where the logs end."
        p.missing.append(
            f"a restore_endpoint or endpoint_update status=ok line for {ep} after D: either the "
            "outage outlasts the logs or that line is missing"
        )
    return p


def _dns(f: Finding, r: Mapping[str, Any], tz: str) -> Proof:
    p = _skeleton(f)
    ep = f["endpoint"]
    q0, q1, qn, qr, cause = r["q0"], r["q1"], r["qn"], r["qr"], r["cause"]

    def how(q: Mapping[str, Any]) -> str:
        if q["rcode"] == "NOERROR":
            return "NOERROR with no answer" if not q["n"] else "NOERROR"
        return str(q["rcode"])

    if q0:
        p.steps.append(Step("Q0", f"a query for {ep} answered at {_at(q0['ts'], tz)}", _loc(q0)))
    if cause:
        ev = (cause["ev"] or [None])[0]
        p.steps.append(
            Step(
                "D",
                f"{ep} went empty at {_at(cause['ts'], tz)} (plan {cause['generation']} deleted)",
                _loc(ev),
            )
        )
    if q1:
        p.steps.append(
            Step("Q1", f"the first failed query at {_at(q1['ts'], tz)} ({how(q1)})", _loc(q1))
        )
    else:
        p.missing.append(f"the failed query for {ep} at {_at(f['start'], tz)}")
    if qn and (not q1 or qn["line"] != q1["line"] or qn["file"] != q1["file"]):
        p.steps.append(
            Step("Qn", f"the last failed query at {_at(qn['ts'], tz)} ({how(qn)})", _loc(qn))
        )
    if qr:
        p.steps.append(Step("Qr", f"the next answered query at {_at(qr['ts'], tz)}", _loc(qr)))
    else:
        p.missing.append(
            f"a successful query for {ep} after the last failure: the logs end before "
            "resolution is seen to recover"
        )
    first = q1["ts"] if q1 else f["start"]
    last = qn["ts"] if qn else (f["end"] or f["start"])
    p.then = f"{r['failed']} of {r['total']} queries for {ep} between Q1 and Qn failed" + (
        f"; D precedes Q1 by {_gap(cause['ts'], first)}." if cause else "."
    )
    p.therefore = f"clients could not resolve {ep} for {_gap(first, last)} (Q1 to Qn)" + (
        ", because the endpoint had no records (D)." if cause else "."
    )
    if not cause:
        p.missing.append(
            f"a control-plane line that changed {ep} before Q1 (none is in the logs: an "
            "out-of-band change, or missing control-plane logs)"
        )
    return p


def _blocked(f: Finding, r: Mapping[str, Any], tz: str) -> Proof:
    p = _skeleton(f)
    ep = f["endpoint"]
    f1, fn, plan, empty = r["f1"], r["fn"], r["plan"], r["empty"]
    if empty:
        ev = (empty["ev"] or [None])[0]
        p.steps.append(
            Step(
                "D",
                f"{ep} empty since {_at(empty['ts'], tz)} (plan {empty['generation']} deleted)",
                _loc(ev),
            )
        )
    if f1:
        p.steps.append(
            Step(
                "F1",
                f"{f1['host']} failed to update {ep} to generation {f1['generation']} at "
                f"{_at(f1['ts'], tz)}: “{f1['error'] or 'no error text'}”",
                _loc(f1),
            )
        )
    else:
        p.missing.append(f"the failed endpoint_update lines of {ep}")
    if fn and f1 and (fn["file"], fn["line"]) != (f1["file"], f1["line"]):
        p.steps.append(
            Step(
                "Fn",
                f"{fn['host']} failed to update {ep} to generation {fn['generation']} at "
                f"{_at(fn['ts'], tz)}",
                _loc(fn),
            )
        )
    if plan:
        p.steps.append(
            Step(
                "P",
                f"the planner wrote generation {plan['generation']} at {_at(plan['ts'], tz)}",
                _loc(plan),
            )
        )
    p.then = (
        f"{r['failed']} update(s) of {ep} by {r['hosts']} Enactor(s) failed between F1 and Fn and "
        f"{r['succeeded']} succeeded, while the planner kept writing newer plans"
        + (f" (up to {plan['generation']})." if plan else ".")
    )
    p.therefore = f"automation could not repair {ep}: newer plans failed to apply" + (
        " while it stayed empty." if empty else "."
    )
    if not empty:
        p.missing.append(f"the event that made {ep} empty or inconsistent before F1")
    return p


def _generic(f: Finding, tz: str) -> Proof:
    p = _skeleton(f)
    for i, ev in enumerate(f["evidence"][:4], 1):
        p.steps.append(Step(f"L{i}", f"the log line {ev['file']}:{ev['line']}", None))
        p.steps[-1].evidence = ev
    p.then = f"rule {f['rule']} matched these lines at {_at(f['start'], tz)}."
    p.therefore = (f["summary"] or f["rule"]).rstrip(".") + "."
    if not f["evidence"]:
        p.missing.append("the log lines the finding rests on: it names no evidence")
    return p
