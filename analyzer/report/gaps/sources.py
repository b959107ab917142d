"""Gaps in the sources: generations no planner log created (``missing_plan``), a whole
source absent (``missing_source``, ``no_dns_for_endpoint``, ``no_control_plane``) and
names selected that no log mentions (``endpoint_not_in_logs``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb

from ..findings import Finding
from ..queries import query
from .rows import locations


def _gen_list(gens: list[int], limit: int = 12) -> str:
    text = ", ".join(str(g) for g in gens[:limit])
    return text + (f" and {len(gens) - limit} more" if len(gens) > limit else "")


def missing_plan_gaps(con: duckdb.DuckDBPyConnection, F: str, tz: str) -> list[dict[str, Any]]:
    rows = []
    for m in query("gaps/missing_plan").run(con, F).pl().to_dicts():
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
                "evidence": locations(*m["evidence"]),
            }
        )
    return rows


_SOURCE_TEXT = {
    "planner": ("no planner log", "which plans were written and when"),
    "enactor": ("no Enactor log", "what the control plane applied and deleted"),
    "operator": ("no operator log", "what people did by hand (mitigation, restores)"),
    "dns": ("no DNS query log", "what clients saw: the impact cannot be measured"),
}


def source_gaps(
    con: duckdb.DuckDBPyConnection, F: str, found: list[Finding]
) -> list[dict[str, Any]]:
    *counts, changes = query("gaps/source_counts").run(con).fetchall()[0]
    # a change history (CloudTrail) is control-plane evidence: not "DNS query logs only"
    if counts[3] and not any(counts[:3]) and not changes:
        return [_dns_only_gap(found)]
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
        for endpoint, start in query("gaps/no_dns_for_endpoint").run(con, F).fetchall():
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


def _dns_only_gap(found: list[Finding]) -> dict[str, Any]:
    """DNS query logs alone: whatever failed, why it failed is not in the case."""
    windows = sum(f["rule"] == "dns_resolution_failure" for f in found)
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


def unmentioned_gaps(names: Iterable[str]) -> list[dict[str, Any]]:
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
