"""Gaps in the causes: DNS failing with no control-plane cause before it or recovering
with nothing to explain it (``dns_failure_without_cause``, ``dns_recovery_unexplained``),
DNS evidence that contradicts the cause (``dns_contradicts_cause``), and conclusions
resting on an order closer than the clocks' bound (``order_uncertain``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb

from .. import timefmt
from ..findings import Finding
from ..queries import query
from .rows import GapOptions, locations


def dns_gaps(
    con: duckdb.DuckDBPyConnection, F: str, opts: GapOptions, tz: str
) -> list[dict[str, Any]]:
    rows = []
    windows = query("gaps/dns_cause_and_recovery").run(con, F, dns_tolerance_s=opts.dns_tolerance_s)
    for d in windows.pl().to_dicts():
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
                    "evidence": locations(*ev[:1]),
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
                    "evidence": locations(*ev[-1:], d["recovered_ev"]),
                    "finding_id": d["id"],
                }
            )
    return rows


def order_gaps(found: list[Finding], tz: str) -> list[dict[str, Any]]:
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


def contradiction_gaps(con: duckdb.DuckDBPyConnection, F: str, tz: str) -> list[dict[str, Any]]:
    rows = []
    for c in query("gaps/dns_contradicts_cause").run(con, F).pl().to_dicts():
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
                "evidence": locations(c["dns_ev"], c["ev"]),
                "finding_id": c["id"],
            }
        )
    return rows
