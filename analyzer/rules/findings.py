"""The result of running rules: findings as a polars frame and as JSON-ready records."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import polars as pl

from .loader import SEVERITIES, SEVERITY_RANK

_TYPES: dict[str, pl.DataType] = {
    "rule": pl.String(),
    "severity": pl.String(),
    "start": pl.Datetime("us", "UTC"),
    "end": pl.Datetime("us", "UTC"),
    "endpoint": pl.String(),
    "generation": pl.Int64(),
    "host": pl.String(),
    "summary": pl.String(),
    "details": pl.String(),
    "evidence": pl.List(pl.Struct({"file": pl.String(), "line": pl.Int64(), "record": pl.Int64()})),
}
SCHEMA = pl.Schema(_TYPES)


def iso(value: dt.datetime | None) -> str | None:
    """RFC 3339 in UTC with milliseconds and ``Z`` (the output contract's time format)."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def with_ids(df: pl.DataFrame) -> pl.DataFrame:
    """Prepend the stable ``id`` column (:func:`analyzer.report.finding_id`: rule and key
    fields), the id reports, audits and ``analyzer explain`` use."""
    from ..report.findings import finding_id  # lazily: the report package imports rules

    ids = [finding_id(row) for row in df.select("rule", *KEY_FIELDS).iter_rows(named=True)]
    return df.select(pl.Series("id", ids, dtype=pl.String), pl.all())


KEY_FIELDS = ("endpoint", "generation", "host", "start")
OPEN_WHEN_NULL_END = ("endpoint_empty",)
"""Rules whose null ``end`` means "still going" (elsewhere it means "a point in time")."""


class Findings:
    """Findings of one run, ordered by start time, then severity, then rule.

    ``df`` is a polars DataFrame with the stable ``id`` and the contract columns
    (``details`` as a JSON string); ``records()`` gives the contract's JSON objects
    (times as RFC 3339 UTC strings with ``Z``, ``details`` as a dict); ``to_json()``
    the ``detect --format json`` output. ``unmentioned``: the names the run was asked to
    watch (``endpoints``) that no log of the case mentions: nothing can be said about
    them, which is not "no finding".
    """

    def __init__(self, df: pl.DataFrame, unmentioned: tuple[str, ...] = ()):
        self.df = df
        self.unmentioned = unmentioned

    @classmethod
    def from_frames(cls, frames: list[pl.DataFrame]) -> Findings:
        df = pl.concat([f.cast(SCHEMA) for f in frames]) if frames else pl.DataFrame(schema=SCHEMA)
        rank = pl.col("severity").replace_strict(SEVERITY_RANK, default=-1)
        df = df.with_columns(_rank=rank).sort(
            ["start", "_rank", "rule", "endpoint", "host"],
            descending=[False, True, False, False, False],
            nulls_last=True,
        )
        return cls(with_ids(df.drop("_rank")))

    def __len__(self) -> int:
        return self.df.height

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records())

    def __repr__(self) -> str:
        counts = self.counts()
        text = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        return f"Findings({len(self)}{': ' + text if text else ''})"

    def records(self) -> list[dict[str, Any]]:
        """The findings as JSON-ready dicts, exactly the ``detect --format json`` objects."""
        out = []
        for row in self.df.iter_rows(named=True):
            row["start"] = iso(row["start"])
            row["end"] = iso(row["end"])
            row["details"] = json.loads(row["details"]) if row["details"] else {}
            row["evidence"] = [
                {k: v for k, v in e.items() if k != "record" or v is not None}
                for e in row["evidence"] or []
            ]
            out.append(row)
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.records(), ensure_ascii=False, indent=indent)

    def counts(self) -> dict[str, int]:
        """Number of findings per severity, most severe first."""
        got = dict(self.df.group_by("severity").len().iter_rows())
        return {s: int(got.get(s, 0)) for s in SEVERITIES}

    def at_or_above(self, severity: str) -> Findings:
        """Only the findings of ``severity`` or worse."""
        floor = SEVERITY_RANK[severity]
        keep = pl.col("severity").replace_strict(SEVERITY_RANK, default=-1) >= floor
        return Findings(self.df.filter(keep), self.unmentioned)

    def touching(self, start: dt.datetime | None, end: dt.datetime | None) -> Findings:
        """Only the findings that touch [start, end] (None: unbounded on that side). A
        point finding touches it when its start is inside; an open interval (a null
        ``end`` of the rules in ``OPEN_WHEN_NULL_END``) touches every later window."""
        keep = pl.lit(True)
        if end is not None:
            keep &= pl.col("start").is_null() | (pl.col("start") <= end)
        if start is not None:
            still_open = pl.col("end").is_null() & pl.col("rule").is_in(OPEN_WHEN_NULL_END)
            last = pl.coalesce("end", "start")
            keep &= still_open | last.is_null() | (last >= start)
        return Findings(self.df.filter(keep), self.unmentioned)

    def get(self, finding_id: str) -> dict[str, Any] | None:
        """The record of the finding with this id (or a unique prefix of it), else None."""
        hits = [r for r in self.records() if r["id"].startswith(finding_id)]
        return hits[0] if len(hits) == 1 else None

    def rule(self, rule_id: str) -> Findings:
        return Findings(self.df.filter(pl.col("rule") == rule_id), self.unmentioned)
