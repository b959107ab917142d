"""The DNS change history (CloudTrail) in the report: timeline steps, proofs, gaps.

Additive to the timeline, proofs and gaps of the control-plane logs: the steps of the
change-history rules (a name emptied, put back, fought over, changed out of band), each
with the CloudTrail line and, where an Enactor line names the same change id, that
line too (the same write, seen from both sides); proofs for the critical and high
change-history findings; and the gap of a write an Enactor logged as ``ok`` that the
trail does not hold (or holds as failed) while it covers that time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import duckdb
import polars as pl

from . import timefmt
from .findings import Finding
from .proof_steps import Proof, Step
from .queries import query

# kind -> phase (the timeline's KINDS holds them, in its tie-break order)
KINDS: dict[str, str] = {
    "conflicting_writers": "trigger",
    "record_set_emptied": "trigger",
    "unlogged_change": "detection and mitigation",
    "record_set_restored": "recovery",
}


def with_steps(con: duckdb.DuckDBPyConnection, F: str, raw: pl.DataFrame) -> pl.DataFrame:
    """The timeline's candidate rows plus the change-history steps (unchanged without a
    change history)."""
    if not con.execute("SELECT count(*) FROM record_changes").fetchall()[0][0]:
        return raw
    steps = query("timeline/change_history_steps").run(con, F).pl().to_arrow()
    # the names queries/timeline/change_history_evidence.sql reads
    name = "_pf_timeline_raw"
    con.register(name, raw.to_arrow())
    con.register(name + "_steps", steps)
    try:
        out = query("timeline/change_history_evidence").run(con).pl()
    finally:
        con.unregister(name)
        con.unregister(name + "_steps")
    return _records_to_facts(out.select(*raw.columns, "_records"))


# The timeline frame's evidence is (file, line); the record of a CloudTrail line rides in
# the row's facts (``evidence_records``, aligned with the evidence) and is put back into
# the evidence items of ``Timeline.records()`` (so the report quotes the record itself).
def _records_to_facts(rows: pl.DataFrame) -> pl.DataFrame:
    facts = []
    for recs, fx in zip(rows["_records"].to_list(), rows["facts"].to_list(), strict=True):
        if any(r is not None for r in recs or []):
            fx = json.dumps(json.loads(fx or "{}") | {"evidence_records": recs}, default=str)
        facts.append(fx)
    return rows.with_columns(pl.Series("facts", facts, dtype=pl.String)).drop("_records")


def records_into_evidence(row: dict[str, Any]) -> None:
    """Put ``facts.evidence_records`` back into a timeline record's evidence items."""
    facts = row.get("facts")
    recs = facts.pop("evidence_records", None) if isinstance(facts, dict) else None
    if recs:
        row["evidence"] = [
            dict(e) | ({"record": r} if r is not None else {})
            for e, r in zip(row.get("evidence") or [], recs, strict=False)
        ]


def _who(actor: str | None) -> str:
    """An actor, shortly: the IAM user, or role/session."""
    if not actor:
        return "an unknown actor"
    if ":user/" in actor:
        return actor.rsplit(":user/", 1)[1] + " (IAM user)"
    return actor.rsplit(":role/", 1)[-1]


def is_person(actor: str | None) -> bool:
    """An IAM user: a person (at the console or with their own keys), not automation."""
    return bool(actor) and ":user/" in str(actor)


def sentence(kind: str, r: Mapping[str, Any], facts: Mapping[str, Any], tz: str) -> str:
    d = facts.get("details") or {}
    if isinstance(d, str):
        d = json.loads(d)
    ep, ts = r["endpoint"], r["ts"]
    linked = (
        f" (the same write as {facts['enactor']}'s endpoint_update)" if facts.get("enactor") else ""
    )
    if kind == "record_set_emptied":
        values = ", ".join(d.get("deleted_values") or []) or "no values"
        made = f", created by {_who(d['created_by'])}" if d.get("created_by") else ""
        return (
            f"{_who(r['host'])} deletes the last {d.get('type')} record set of {ep} ({values}"
            f"{made}; change {d.get('change_id')}){linked}: {ep} no longer resolves."
        )
    if kind == "record_set_restored":
        since = facts.get("since")
        gone = ""
        if since:
            start = dt.datetime.fromisoformat(str(since).replace("Z", "+00:00"))
            gone = f" after {timefmt.duration((ts - start).total_seconds())} without it"
        how = " at the console" if is_person(r["host"]) else ""
        return (
            f"{_who(r['host'])} re-creates {ep}'s {d.get('type')} record set{how} "
            f"(change {d.get('restored_change_id')}){linked}{gone}."
        )
    if kind == "conflicting_writers":
        actors = ", ".join(_who(a) for a in d.get("actors") or [])
        return (
            f"Writers fight over {ep}: {actors} replace each other's {d.get('type')} values "
            f"{d.get('flips')} times in {timefmt.duration(d.get('duration_s'))}."
        )
    if kind == "unlogged_change":
        return (
            f"{_who(r['host'])} changes {ep} ({', '.join(d.get('actions') or [])}, change "
            f"{d.get('change_id')}) with no Enactor line for it: an out-of-band change."
        )
    return f"{kind} {ep or ''}."


# -- proofs ---------------------------------------------------------------------------------
PROVEN = ("record_set_emptied", "conflicting_writers")


def proof(f: Finding, tz: str) -> Proof:
    """The ``Proof`` of a critical or high change-history finding (``PROVEN``)."""
    build = prove_emptied if f["rule"] == "record_set_emptied" else prove_fight
    steps, then, therefore, missing = build(f, tz)
    return Proof(f["id"], f["rule"], f["severity"], steps, then, therefore, missing)


def _loc(e: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return dict(e) if e else None


def prove_emptied(f: Finding, tz: str) -> tuple[list[Step], str, str, list[str]]:
    """Let/Then/Therefore of a ``record_set_emptied`` finding, from its details and evidence."""
    d, ev, ep = f["details"], f["evidence"], f["endpoint"]

    def at(t: dt.datetime) -> str:
        return timefmt.local(t, tz)

    out, missing = [], []
    if d.get("created_by"):
        values = ", ".join(d["deleted_values"])
        made = f"{_who(d['created_by'])} created {ep}'s {d['type']} record set ({values})"
        out.append(Step("C", made, _loc(ev[1] if len(ev) > 1 else None)))
    else:
        missing.append(f"the change that created {ep}'s {d['type']} record set (before the trail)")
    deleted = f"{_who(f['host'])} deleted it at {at(f['start'])} (change {d['change_id']})"
    out.append(Step("D", deleted, _loc(ev[0])))
    if f["end"] is not None:
        again = f"{_who(d.get('restored_by'))} created {ep}'s {d['type']} record set again"
        out.append(Step("R", f"{again} at {at(f['end'])}", _loc(ev[-1])))
        then = (
            f"D leaves {ep} with no {d['type']} record set (no change of D's batch creates one) "
            f"and no successful change of {ep} between D and R creates one."
        )
        therefore = (
            f"{ep} served no {d['type']} records for "
            f"{timefmt.duration((f['end'] - f['start']).total_seconds())}: clients asking for it "
            "got no answer."
        )
    else:
        then = f"D leaves {ep} with no {d['type']} record set, and no later change creates one."
        therefore = f"{ep} serves no {d['type']} records where the trail ends."
    return out, then, therefore, missing


def prove_fight(f: Finding, tz: str) -> tuple[list[Step], str, str, list[str]]:
    d, ev, ep = f["details"], f["evidence"], f["endpoint"]
    first = f"{_who(f['host'])} set {ep}'s {d['type']} record set"
    last = f"the last of {d['flips']} replacements came"
    out = [
        Step("W1", f"{first} at {timefmt.local(f['start'], tz)}", _loc(ev[0])),
        Step("Wn", f"{last} at {timefmt.local(f['end'], tz)}", _loc(ev[-1])),
    ]
    then = (
        f"between W1 and Wn {len(d['actors'])} actors ({', '.join(_who(a) for a in d['actors'])}) "
        f"replaced each other's values {d['flips']} times, one putting back its own value."
    )
    therefore = f"automation is fighting over {ep}: its answer depends on who wrote last."
    return out, then, therefore, []


# -- gaps -----------------------------------------------------------------------------------
def write_gaps(con: duckdb.DuckDBPyConnection, tz: str) -> list[dict[str, Any]]:
    rows = []
    for r in query("gaps/write_not_in_trail").run(con).pl().to_dicts():
        failed = r["failed"]
        held = (
            f"it holds a failed call ({failed['error']}) for {r['endpoint']} at "
            f"{timefmt.local(failed['ts'], tz)}"
            if failed
            else "it holds no change with that id"
        )
        rows.append(
            {
                "kind": "write_not_in_trail",
                "importance": "high",
                "start": r["ts"],
                "end": None,
                "host": r["host"],
                "endpoint": r["endpoint"],
                "statement": (
                    f"{r['host']} logged its write of {r['endpoint']} (change {r['change_id']}) as "
                    f"ok at {timefmt.local(r['ts'], tz)}, but the CloudTrail trail, which covers "
                    f"that time, does not show it succeed: {held}."
                ),
                "missing": f"the CloudTrail ChangeResourceRecordSets record of change "
                f"{r['change_id']} (a gap in the trail, or a write that never reached Route 53)",
                "numbers": {"change_id": r["change_id"], "failed_call": bool(failed)},
                "evidence": [
                    e
                    for e in (
                        {"file": r["file"], "line": r["line"]},
                        {"file": failed["file"], "line": failed["line"]} if failed else None,
                    )
                    if e
                ],
                "finding_id": None,
            }
        )
    return rows


# -- the summary's sentences ---------------------------------------------------------------
def what_happened(found: list[Finding], tz: str) -> str | None:
    """The summary's first sentence when a change-history finding starts the story."""
    emptied = [f for f in found if f["rule"] == "record_set_emptied" and f["start"]]
    if not emptied:
        return None
    f = min(emptied, key=lambda x: x["start"])
    d, ep = f["details"], f["endpoint"]
    text = (
        f"At {timefmt.local(f['start'], tz, ms=False)}, {_who(f['host'])} deleted the last "
        f"{d.get('type')} record set of {ep} (change {d.get('change_id')}, CloudTrail)"
    )
    dns = [g for g in found if g["rule"] == "dns_resolution_failure" and g["endpoint"] == ep]
    if dns:
        first = min(g["start"] for g in dns)
        text += f"; queries for {ep} failed from {timefmt.local(first, tz, ms=False)}"
    return text + "."


def how_it_ended(timeline: Any, tz: str) -> str | None:
    """The change that put an emptied record set back, and the last failed query after it."""
    events = timeline.events
    back = events.filter(pl.col("kind") == "record_set_restored")
    if not back.height:
        return None
    r = back.sort("ts").row(0, named=True)
    how = " at the console" if is_person(r["host"]) else ""
    text = (
        f"{_who(r['host'])} re-created the record set of {r['endpoint']}{how} at "
        f"{timefmt.local(r['ts'], tz, ms=False)}"
    )
    last = events.filter(
        (pl.col("kind") == "last_failed_query") & (pl.col("endpoint") == r["endpoint"])
    )
    if last.height:
        lf = last.sort("ts").row(-1, named=True)
        text += f"; its last failed query was at {timefmt.local(lf['ts'], tz, ms=False)}"
    return text
