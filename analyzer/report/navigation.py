"""What both renderers need to make a long report navigable and consistent: section
anchors, the link target of each evidence line, gaps ordered by what they leave
unexplained, and times inside sentences shown in the report's zone."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from . import timefmt

SECTIONS = (
    ("summary", "Summary"),
    ("timeline", "Timeline"),
    ("root-cause-gaps", "Root-cause gaps"),
    ("findings", "Findings"),
    ("inputs-chain-of-custody", "Inputs (chain of custody)"),
    ("parameters-and-versions", "Parameters and versions"),
)
"""(anchor, heading) of each ``##`` section; the anchors are GitHub's for the headings."""

FIGURES_AFTER = {"impact": ("generations", "dns_ratio"), "timeline": ("swimlane",)}
"""Each figure sits next to the part of the story it illustrates."""

FULLY_EXPLAINED = 0.005
"""A gap whose unexplained share is below this (it rounds to 0%) is fully explained."""

_RFC3339_Z = re.compile(r"\b(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?)Z\b")


def localize(text: Any, tz: str) -> str:
    """``text`` with each RFC 3339 UTC time (``2025-10-20T06:48:00.512Z``, as rules write
    them into summaries) rewritten in ``tz`` (``2025-10-19 23:48:00.512 PDT``)."""
    if text is None:
        return ""

    def local(m: re.Match[str]) -> str:
        t = dt.datetime.fromisoformat(m.group(1)).replace(tzinfo=dt.UTC)
        return timefmt.local(t, tz, ms="." in m.group(1))

    return _RFC3339_Z.sub(local, str(text))


def figure_slots(names: Sequence[str] | Mapping[str, Any]) -> dict[str, list[str]]:
    """The figures shown after the impact table and after the timeline (any other figure
    goes after the timeline too), in that order."""
    present = list(names)
    slots = {k: [n for n in v if n in present] for k, v in FIGURES_AFTER.items()}
    placed = {n for v in FIGURES_AFTER.values() for n in v}
    slots["timeline"] += [n for n in present if n not in placed]
    return slots


def finding_anchor(finding_id: str) -> str:
    return f"f-{finding_id}"


def evidence_anchor(finding_id: str) -> str:
    return f"ev-{finding_id}"


def evidence_targets(findings: Sequence[Mapping[str, Any]]) -> dict[tuple[str, int], str]:
    """(file, line) -> the id of the first finding whose evidence block quotes it."""
    out: dict[tuple[str, int], str] = {}
    for f in findings:
        for e in f.get("evidence") or []:
            out.setdefault((str(e["file"]), int(e["line"])), f["id"])
    return out


def evidence_link(
    ref: Mapping[str, Any],
    targets: Mapping[tuple[str, int], str],
    own: str | None,
    *,
    block: bool,
) -> str | None:
    """The anchor a timeline's ``file:line`` links to: the evidence block quoting that
    line (``ev-ID`` when ``block``, else the finding's ``f-ID``), else the finding the
    event comes from (``own``), else None."""
    quoted = targets.get((str(ref["file"]), int(ref["line"])))
    if quoted:
        return evidence_anchor(quoted) if block else finding_anchor(quoted)
    return finding_anchor(own) if own else None


def unexplained_s(gap: Mapping[str, Any]) -> float | None:
    """Seconds the gap leaves unexplained: measured where the gap measures it, else its
    whole span; None when it has no span (a missing plan, an unknown cause)."""
    numbers = gap.get("numbers") or {}
    if numbers.get("unexplained_s") is not None:
        return float(numbers["unexplained_s"])
    start, end = gap.get("start"), gap.get("end")
    if start and end:
        return (_t(end) - _t(start)).total_seconds()
    return None


def fully_explained(gap: Mapping[str, Any]) -> bool:
    numbers = gap.get("numbers") or {}
    total, left = numbers.get("duration_s"), numbers.get("unexplained_s")
    return bool(total) and left is not None and left / total < FULLY_EXPLAINED


def ordered_gaps(
    gaps: Sequence[Mapping[str, Any]],
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """(gaps that leave something unexplained, fully explained gaps): the first by
    importance (``high`` first), then by the seconds they leave unexplained, most first;
    gaps without a time span (nothing to measure) after those that have one."""

    def key(g: Mapping[str, Any]) -> tuple[int, bool, float]:
        left = unexplained_s(g)
        return (0 if g.get("importance") == "high" else 1, left is None, -(left or 0.0))

    open_ = sorted((g for g in gaps if not fully_explained(g)), key=key)
    return open_, [g for g in gaps if fully_explained(g)]


def explained_line(gap: Mapping[str, Any]) -> str:
    """The one line a fully explained gap gets."""
    n = gap.get("numbers") or {}
    what = str(gap["kind"]).replace("_", " ")
    who = ", ".join(str(gap[k]) for k in ("host", "endpoint") if gap.get(k))
    gen = f" generation {gap['generation']}" if gap.get("generation") is not None else ""
    return (
        f"{what} ({who}{gen}): fully explained by the logs, "
        f"{timefmt.duration(n.get('accounted_s'))} of {timefmt.duration(n.get('duration_s'))} "
        f"accounted for ({timefmt.duration(n.get('unexplained_s'))} left)."
    )


def _t(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
