"""The report's three-sentence summary: what happened, what it did, how it ended.

Built from the findings and the reconstructed timeline; when the freshness check
refused the stale update (no outage), or nothing serious was found, it says that
instead.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import polars as pl

from . import change_history, timefmt
from .findings import Finding, parse_time, severity_rank
from .timeline import Timeline

_FAR = dt.datetime.max.replace(tzinfo=dt.UTC)  # a finding without a start comes last


def _first(found: list[Finding], rule: str, **match: Any) -> Finding | None:
    for f in found:
        if f["rule"] == rule and all(f.get(k) == v for k, v in match.items() if v is not None):
            return f
    return None


def summary_sentences(found: list[Finding], timeline: Timeline, tz: str) -> list[str]:
    serious = [f for f in found if severity_rank(f["severity"]) >= severity_rank("high")]
    if not serious:
        n = len(found)
        return [
            "No critical or high finding: the logs show no endpoint emptied, overwritten "
            "backwards or failing to resolve."
            + (f" {n} lower-severity finding(s) are listed below." if n else ""),
        ]
    worked = _check_worked(found, tz)
    if worked:
        return worked
    return [
        _what_happened(found, timeline, tz),
        _what_it_did(found, timeline, tz),
        _how_it_ended(found, timeline, tz),
    ]


def _check_worked(found: list[Finding], tz: str) -> list[str] | None:
    """No outage because the freshness check refused the stale update: say so."""
    if any(f["severity"] == "critical" or f["rule"] == "non_monotonic_apply" for f in found):
        return None
    refused = [
        f
        for f in found
        if f["rule"] == "stale_plan_check" and f["details"].get("update_status") == "error"
    ]
    if not refused:
        return None
    f, d = refused[0], refused[0]["details"]
    check = d.get("check_time")
    checked = f" at {timefmt.local(parse_time(check), tz, ms=False)}" if check else ""
    age = timefmt.duration(d.get("check_age_s"))
    newer = d.get("newer_generation")
    by = f" ({d['newer_host']})" if d.get("newer_host") else ""
    stall = _first(found, "enactor_stall", host=f["host"], generation=f["generation"])
    slow = (
        f", after a {timefmt.duration((stall['end'] - stall['start']).total_seconds())} stall"
        if stall and stall["end"]
        else ""
    )
    more = f" ({len(refused) - 1} more such refusals below)" if len(refused) > 1 else ""
    return [
        f"{f['host']} checked generation {f['generation']}{checked} and tried to apply it "
        f"{age} later{slow}, when {f['endpoint']} was already at the newer generation "
        f"{newer}{by}.",
        f"The update was refused at {timefmt.local(f['start'], tz, ms=False)}: the freshness "
        f"check at update time worked, and the stale plan never reached the endpoint{more}.",
        "No endpoint went empty and no DNS failure window was found.",
    ]


def _what_happened(found: list[Finding], timeline: Timeline, tz: str) -> str:
    at = timefmt.local(timeline.trigger, tz, ms=False)
    dele = _first(found, "cleanup_deleted_live_plan")
    if dele:
        ep, g = dele["endpoint"], dele["generation"]
        text = (
            f"At {at}, {dele['host']}'s clean-up deleted plan {g} while {ep} still pointed to "
            "it, leaving the endpoint with no DNS records"
        )
        over = _first(found, "non_monotonic_apply", endpoint=ep, generation=g)
        if over:
            prev = _stale_overwrite_prev(timeline, over["id"])
            stall = _first(found, "enactor_stall", host=over["host"], generation=g)
            gap = timefmt.duration((dele["start"] - over["start"]).total_seconds())
            delay = (
                f", delayed {timefmt.duration((stall['end'] - stall['start']).total_seconds())}"
                if stall and stall["end"]
                else ""
            )
            newer = f" over the newer generation {prev}" if prev is not None else ""
            text += f"; {gap} earlier {over['host']}{delay}, had applied that stale plan{newer}"
        return text + "."
    over = _first(found, "non_monotonic_apply")
    if over:
        return (
            f"At {timefmt.local(over['start'], tz, ms=False)}, {over['host']} applied the stale "
            f"generation {over['generation']} to {over['endpoint']} over a newer one."
        )
    emptied = change_history.what_happened(found, tz)  # the DNS change history (CloudTrail)
    if emptied:
        return emptied
    dns = _first(found, "dns_resolution_failure")
    if dns:
        return (
            f"From {timefmt.local(dns['start'], tz, ms=False)}, queries for {dns['endpoint']} "
            "failed; the logs show no control-plane change that caused it."
        )
    f = min(found, key=lambda x: x["start"] or _FAR)
    return f"At {timefmt.local(f['start'], tz, ms=False)}: {f['summary'] or f['rule']}."


def _stale_overwrite_prev(timeline: Timeline, finding_id: str) -> int | None:
    rows = timeline.events.filter(
        (pl.col("kind") == "stale_overwrite") & (pl.col("finding_id") == finding_id)
    )
    if not rows.height:
        return None
    facts = json.loads(rows["facts"][0] or "{}")
    return facts.get("prev_generation")


def _what_it_did(found: list[Finding], timeline: Timeline, tz: str) -> str:
    rows = timeline.impact.to_dicts()
    if not rows:
        blocked = _first(found, "blocked_updates")
        return (
            f"Updates of {blocked['endpoint']} kept failing until "
            f"{timefmt.local(blocked['end'], tz, ms=False)}."
            if blocked
            else "No endpoint went empty and no DNS failure window was found."
        )
    worst = max(
        rows,
        key=lambda r: (r["failed"] or 0, r["empty_s"] or 0, r["endpoint"]),
    )
    ep = worst["endpoint"]
    if worst["first_failed"] is not None:
        text = (
            f"Clients failed to resolve {ep} from "
            f"{timefmt.local(worst['first_failed'], tz, ms=False)}"
            f" to {timefmt.local(worst['last_failed'], tz, ms=False)} "
            f"({timefmt.duration(worst['impact_s'])}; {worst['failed']} of {worst['total']} "
            "queries failed)"
        )
    else:
        text = (
            f"{ep} was empty for {timefmt.duration(worst['empty_s'])}"
            if worst["empty_s"] is not None
            else f"{ep} was still empty where the logs end"
        ) + " (no DNS query logs show what clients saw)"
    blocked = _first(found, "blocked_updates", endpoint=ep)
    if blocked:
        n = blocked["details"].get("failed_attempts")
        text += ", and the Enactors could not repair it" + (
            f" ({n} failed updates)" if n is not None else ""
        )
    others = len(rows) - 1
    if others:
        text += f"; {others} other endpoint(s) were affected"
    return text + "."


def _how_it_ended(found: list[Finding], timeline: Timeline, tz: str) -> str:
    events = timeline.events
    restores = events.filter(
        (pl.col("kind") == "operator_action")
        & (pl.col("phase") == "recovery")
        & pl.col("endpoint").is_not_null()
    )
    last_failed = events.filter(pl.col("kind") == "last_failed_query")
    still_empty = sorted(
        {
            f["endpoint"]
            for f in found
            if f["rule"] == "endpoint_empty" and f["end"] is None and f["endpoint"]
        }
    )
    parts = []
    restore = restores.row(0, named=True) if restores.height else None
    if restore:
        ep = restore["endpoint"]
        gen = f" to generation {restore['generation']}" if restore["generation"] is not None else ""
        parts.append(
            f"Operator {restore['host']} restored {ep}{gen} at "
            f"{timefmt.local(restore['ts'], tz, ms=False)}"
        )
        mine = last_failed.filter(pl.col("endpoint") == ep)
        if mine.height:
            lf = mine.sort("ts").row(-1, named=True)
            after = timefmt.duration((lf["ts"] - restore["ts"]).total_seconds())
            parts.append(
                f"its last failed query was at {timefmt.local(lf['ts'], tz, ms=False)}, "
                f"{after} after the restore"
            )
    elif (restored := change_history.how_it_ended(timeline, tz)) is not None:
        parts.append(restored)
    elif last_failed.height:
        lf = last_failed.sort("ts").row(-1, named=True)
        parts.append(
            f"The last failed query ({lf['endpoint']}) was at "
            f"{timefmt.local(lf['ts'], tz, ms=False)}, with no restore in the logs"
        )
    if still_empty:
        parts.append(f"{', '.join(still_empty)} was still empty where the logs end")
    if not parts:
        return "The logs show no restore and no recovery."
    return "; ".join(parts) + "."
