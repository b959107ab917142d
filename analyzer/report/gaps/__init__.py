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

Every check is one set-based query over the canonical tables and the findings, a query
file of ``queries/gaps/`` (``analyzer/report/queries.py``); the modules of this package
turn their rows into gaps: ``hosts`` (stall, silence), ``causes`` (DNS, order), ``sources``
(missing plans and sources), ``rows`` (the columns and thresholds).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import duckdb
import polars as pl

from ...rules.runner import ensure_ordering
from .. import change_history, timefmt
from ..findings import normalize, registered, rfc3339
from .causes import contradiction_gaps, dns_gaps, order_gaps
from .hosts import silence_gaps, stall_gaps
from .rows import GAP_KINDS, GAP_SCHEMA, GapOptions
from .sources import missing_plan_gaps, source_gaps, unmentioned_gaps

__all__ = ["GAP_KINDS", "GAP_SCHEMA", "GapOptions", "find_gaps", "gap_records"]


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
            lambda: stall_gaps(con, F, opts, tz),
            lambda: silence_gaps(con, F, opts, tz),
            lambda: missing_plan_gaps(con, F, tz),
            lambda: dns_gaps(con, F, opts, tz),
            lambda: order_gaps(found, tz),
            lambda: contradiction_gaps(con, F, tz),
            lambda: source_gaps(con, F, found),
            lambda: unmentioned_gaps(getattr(findings, "unmentioned", ())),
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
