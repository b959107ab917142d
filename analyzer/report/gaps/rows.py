"""What a gap row is: its columns, its kinds, the thresholds of the checks, its evidence."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import polars as pl

GAP_SCHEMA: dict[str, Any] = {
    "kind": pl.String,
    "importance": pl.String,
    "start": pl.Datetime("us", "UTC"),
    "end": pl.Datetime("us", "UTC"),
    "host": pl.String,
    "endpoint": pl.String,
    "generation": pl.Int64,
    "statement": pl.String,
    "missing": pl.String,
    "numbers": pl.String,
    "evidence": pl.List(pl.Struct({"file": pl.String, "line": pl.Int64})),
    "finding_id": pl.String,
}


GAP_KINDS = (
    "stall_delay",
    "silent_host",
    "missing_plan",
    "dns_failure_without_cause",
    "dns_recovery_unexplained",
    "order_uncertain",
    "dns_contradicts_cause",
    "missing_source",
    "no_dns_for_endpoint",
    "no_control_plane",
    "endpoint_not_in_logs",
    "write_not_in_trail",
)


@dataclass(frozen=True)
class GapOptions:
    """Thresholds of the gap checks (reported with the report's parameters)."""

    silence_factor: float = 6.0
    """A host is silent when a pause exceeds this many times its usual interval..."""
    min_silence_s: float = 30.0
    """...and at least this long."""
    dns_tolerance_s: float = 60.0
    """How far resolver and control-plane clocks may disagree when matching causes."""
    unexplained_fraction: float = 0.5
    """A stall is "unexplained" when the log lines account for less than this share."""

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def locations(*items: Any) -> list[dict[str, Any]]:
    """A gap's evidence: the ``file:line`` of each item, missing ones and repeats left out."""
    out = []
    for e in items:
        if e and e.get("file") is not None and e not in out:
            out.append({"file": e["file"], "line": e["line"]})
    return out
