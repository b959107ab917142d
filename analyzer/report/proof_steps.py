"""The shape of a proof: its ``Let`` steps, the whole argument, and the small helpers
every argument uses to cite a line and say a time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import timefmt
from .findings import Finding


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


# -- helpers ------------------------------------------------------------------------------
def loc(row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not row or row.get("file") is None:
        return None
    return {"file": row["file"], "line": row["line"]}


def at(value: dt.datetime | None, tz: str) -> str:
    return timefmt.local(value, tz)


def gap(a: dt.datetime | None, b: dt.datetime | None) -> str:
    if a is None or b is None:
        return "an unknown time"
    return timefmt.duration((b - a).total_seconds())


def skeleton(f: Finding) -> Proof:
    return Proof(f["id"], f["rule"], f["severity"], [], "", "")
