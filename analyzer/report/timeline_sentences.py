"""The timeline's sentences: what each key event says, in plain words, from its facts."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from . import change_history, timefmt


# -- sentences ------------------------------------------------------------------------------
def _t(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(dt.UTC)


def _q(text: Any) -> str:
    """Log-derived free text, quoted (escaping is the renderer's job)."""
    return "“" + str(text) + "”"


def sentence(r: Mapping[str, Any], facts: Mapping[str, Any], tz: str) -> str:
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
