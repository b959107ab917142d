"""The argument of each rule's proof: from the finding and the lines its query found
(``queries/proofs/<rule>.sql``), the steps, what follows (``then``), the conclusion
(``therefore``) and the lines that would be needed and are missing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import timefmt
from .findings import Finding
from .proof_steps import Proof, Step, at, gap, loc, skeleton


def _non_monotonic(f: Finding, r: Mapping[str, Any], tz: str) -> Proof:
    p = skeleton(f)
    ep, g, host = f["endpoint"], f["generation"], f["host"]
    prev, restore, upd = r["prev"], r["restore"], r["upd"]
    if restore and (not prev or restore["tc"] > prev["tc"]):
        prev, prev_what = restore, f"operator {restore['host']} restored {ep} to generation"
    else:
        prev_what = f"{prev['host']} set {ep} to generation" if prev else ""
    if prev:
        p.steps.append(
            Step("U1", f"{prev_what} {prev['generation']} at {at(prev['ts'], tz)}", loc(prev))
        )
    else:
        p.missing.append(
            f"an endpoint_update status=ok line setting {ep} to a generation above {g} "
            f"before {at(f['start'], tz)}: no earlier change of {ep} is logged"
        )
    upd_ts = upd["ts"] if upd else f["start"]
    upd_tc = upd["tc"] if upd else f["start"]
    p.steps.append(Step("U2", f"{host} set {ep} to generation {g} at {at(upd_ts, tz)}", loc(upd)))
    if not upd:
        p.missing.append(
            f"{host}'s endpoint_update line for generation {g} at {at(f['start'], tz)}"
        )
    if prev:
        g1 = prev["generation"]
        p.then = (
            f"U1 is the last change of {ep} before U2 ({gap(prev['tc'], upd_tc)} earlier), so "
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
    p = skeleton(f)
    ep, g, host = f["endpoint"], f["generation"], f["host"]
    chk, newer, upd = r["chk"], r["newer"], r["upd"]
    if chk:
        p.steps.append(
            Step(
                "C",
                f"{host}'s freshness check at {at(chk['ts'], tz)}: plan {g} "
                + (
                    f"found newer than the current generation {chk['current']}"
                    if chk["verdict"] == "newer"
                    else f"checked against generation {chk['current']}: {chk['verdict']}"
                ),
                loc(chk),
            )
        )
    else:
        p.missing.append(f"{host}'s plan_check line for generation {g}")
    if newer:
        p.steps.append(
            Step(
                "N",
                f"{newer['host']} set {ep} to generation {newer['generation']} at "
                f"{at(newer['ts'], tz)}",
                loc(newer),
            )
        )
    else:
        p.missing.append(
            f"an update by another Enactor setting {ep} above generation {g} between the check "
            "and the use"
        )
    upd_ts = upd["ts"] if upd else f["start"]
    p.steps.append(
        Step("X", f"{host} updated {ep} with generation {g} at {at(upd_ts, tz)}", loc(upd))
    )
    if chk and newer:
        p.then = (
            f"C < N < X: the check's premise (plan {g} is newer than what {ep} holds) was true "
            f"at C and false from N on, {gap(chk['tc'], newer['tc'])} later; {host} did not "
            f"check again in the {gap(chk['ts'], upd_ts)} between C and X, while the planner "
            f"wrote {r['plans_since']} newer plan(s)."
        )
        p.therefore = (
            f"the check was stale when used: time of check to time of use "
            f"({gap(chk['ts'], upd_ts)})."
        )
    else:
        p.then = "the order C < N < X cannot be established from the lines found."
        p.therefore = "the staleness of the check rests on lines that are missing."
    return p


def _cleanup(f: Finding, r: Mapping[str, Any], tz: str) -> Proof:
    p = skeleton(f)
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
                f"{who} {ep} to generation {live['generation']} at {at(live['ts'], tz)}",
                loc(live),
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
                f"{at(run['ts'], tz)}{limit}",
                loc(run),
            )
        )
    else:
        p.missing.append(f"{host}'s cleanup_start line before the deletion")
    del_ts = dele["ts"] if dele else f["start"]
    del_tc = dele["tc"] if dele else f["start"]
    p.steps.append(Step("D", f"{host} deleted plan {g} at {at(del_ts, tz)}", loc(dele)))
    if not dele:
        p.missing.append(f"{host}'s plan_delete line for generation {g}")
    others = [e for e in f["details"].get("endpoints") or [] if e != ep]
    also = f" (and {', '.join(others)})" if others else ""
    if live and live["generation"] == g:
        p.then = (
            f"A is the last change of {ep} before D ({gap(live['tc'], del_tc)} earlier), so "
            f"{ep}{also} pointed to plan {g} when D deleted it"
            + (
                f"; the clean-up judged plan {g} old by its own applied generation "
                f"({run['applied']}), not by what endpoints still used."
                if run
                else "."
            )
        )
        p.therefore = (
            f"the clean-up deleted a live plan: from {at(del_ts, tz)} on, {ep} had no records."
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
    p = skeleton(f)
    ep, g = f["endpoint"], f["generation"]
    dele = r["del"]
    p.steps.append(
        Step(
            "D",
            f"plan {g} was deleted at {at(dele['ts'] if dele else f['start'], tz)}"
            + (f" by {dele['host']}" if dele else "")
            + f" while {ep} pointed to it",
            loc(dele),
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
                    f"{restore['generation']} at {at(restore['ts'], tz)}",
                    loc(restore),
                )
            )
        elif upd:
            p.steps.append(
                Step(
                    "R",
                    f"{upd['host']} set {ep} to generation {upd['generation']} at "
                    f"{at(upd['ts'], tz)}",
                    loc(upd),
                )
            )
        else:
            p.missing.append(f"the restore or update of {ep} at {at(end, tz)}")
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
            f"logs ({at(r['logs_end'], tz)})"
            + (f"; {r['failed']} update(s) failed." if r["failed"] else ".")
        )
        p.therefore = f"{ep} was still empty where the logs end."
        p.missing.append(
            f"a restore_endpoint or endpoint_update status=ok line for {ep} after D: either the "
            "outage outlasts the logs or that line is missing"
        )
    return p


def _emptied(ep: str, how: str, row: Mapping[str, Any], tz: str) -> Step:
    """Step D: the endpoint emptied by a deleted plan (``row``: its time, generation and
    the first line of its evidence)."""
    return Step(
        "D",
        f"{ep} {how} {at(row['ts'], tz)} (plan {row['generation']} deleted)",
        loc((row["ev"] or [None])[0]),
    )


def _dns(f: Finding, r: Mapping[str, Any], tz: str) -> Proof:
    p = skeleton(f)
    ep = f["endpoint"]
    q0, q1, qn, qr, cause = r["q0"], r["q1"], r["qn"], r["qr"], r["cause"]

    def how(q: Mapping[str, Any]) -> str:
        if q["rcode"] == "NOERROR":
            return "NOERROR with no answer" if not q["n"] else "NOERROR"
        return str(q["rcode"])

    if q0:
        p.steps.append(Step("Q0", f"a query for {ep} answered at {at(q0['ts'], tz)}", loc(q0)))
    if cause:
        p.steps.append(_emptied(ep, "went empty at", cause, tz))
    if q1:
        p.steps.append(
            Step("Q1", f"the first failed query at {at(q1['ts'], tz)} ({how(q1)})", loc(q1))
        )
    else:
        p.missing.append(f"the failed query for {ep} at {at(f['start'], tz)}")
    if qn and (not q1 or qn["line"] != q1["line"] or qn["file"] != q1["file"]):
        p.steps.append(
            Step("Qn", f"the last failed query at {at(qn['ts'], tz)} ({how(qn)})", loc(qn))
        )
    if qr:
        p.steps.append(Step("Qr", f"the next answered query at {at(qr['ts'], tz)}", loc(qr)))
    else:
        p.missing.append(
            f"a successful query for {ep} after the last failure: the logs end before "
            "resolution is seen to recover"
        )
    first = q1["ts"] if q1 else f["start"]
    last = qn["ts"] if qn else (f["end"] or f["start"])
    p.then = f"{r['failed']} of {r['total']} queries for {ep} between Q1 and Qn failed" + (
        f"; D precedes Q1 by {gap(cause['ts'], first)}." if cause else "."
    )
    p.therefore = f"clients could not resolve {ep} for {gap(first, last)} (Q1 to Qn)" + (
        ", because the endpoint had no records (D)." if cause else "."
    )
    if not cause:
        p.missing.append(
            f"a control-plane line that changed {ep} before Q1 (none is in the logs: an "
            "out-of-band change, or missing control-plane logs)"
        )
    return p


def _blocked(f: Finding, r: Mapping[str, Any], tz: str) -> Proof:
    p = skeleton(f)
    ep = f["endpoint"]
    f1, fn, plan, empty = r["f1"], r["fn"], r["plan"], r["empty"]
    if empty:
        p.steps.append(_emptied(ep, "empty since", empty, tz))
    if f1:
        p.steps.append(
            Step(
                "F1",
                f"{f1['host']} failed to update {ep} to generation {f1['generation']} at "
                f"{at(f1['ts'], tz)}: “{f1['error'] or 'no error text'}”",
                loc(f1),
            )
        )
    else:
        p.missing.append(f"the failed endpoint_update lines of {ep}")
    if fn and f1 and (fn["file"], fn["line"]) != (f1["file"], f1["line"]):
        p.steps.append(
            Step(
                "Fn",
                f"{fn['host']} failed to update {ep} to generation {fn['generation']} at "
                f"{at(fn['ts'], tz)}",
                loc(fn),
            )
        )
    if plan:
        p.steps.append(
            Step(
                "P",
                f"the planner wrote generation {plan['generation']} at {at(plan['ts'], tz)}",
                loc(plan),
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


def generic(f: Finding, tz: str) -> Proof:
    p = skeleton(f)
    for i, ev in enumerate(f["evidence"][:4], 1):
        p.steps.append(Step(f"L{i}", f"the log line {ev['file']}:{ev['line']}", None))
        p.steps[-1].evidence = ev
    p.then = f"rule {f['rule']} matched these lines at {at(f['start'], tz)}."
    p.therefore = (f["summary"] or f["rule"]).rstrip(".") + "."
    if not f["evidence"]:
        p.missing.append("the log lines the finding rests on: it names no evidence")
    return p


# rule -> the builder of its argument, from the row of queries/proofs/<rule>.sql
BUILDERS: dict[str, Callable[[Finding, Mapping[str, Any], str], Proof]] = {
    "non_monotonic_apply": _non_monotonic,
    "stale_plan_check": _stale_check,
    "cleanup_deleted_live_plan": _cleanup,
    "endpoint_empty": _empty,
    "dns_resolution_failure": _dns,
    "blocked_updates": _blocked,
}
