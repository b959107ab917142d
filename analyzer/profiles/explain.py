"""What the first lines of a log become under a profile: how a user debugs one.

The lines run through the same query as an ingest (``sql.compile_profile``), on an
in-memory database; each line gets its event and canonical fields, or why it has none.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ..errors import InputError
from ..ingest.base import MACROS
from ..ingest.reader import GZIP_MAGIC
from .model import EVENT_KEY, PLAN_ITEM, UNMATCHED, Profile
from .source import matcher
from .sql import compile_profile


@dataclass
class LineResult:
    line: int
    text: str
    status: str  # "event", "kept" (parsed, no event), "not loaded"
    event: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)  # canonical key -> value (not null)
    reason: str | None = None


@dataclass
class Explanation:
    profile: Profile
    detected: bool  # the first non-empty line matches ``detect``
    lines: list[LineResult]
    notes: list[str]


def _first_lines(log: Path, n: int) -> list[tuple[int, str]]:
    """The first ``n`` lines (numbered, blank ones included), decoded leniently."""
    try:
        with log.open("rb") as fh:
            head = fh.read(2)
        opener: Any = gzip.open if head == GZIP_MAGIC else open
        out = []
        with opener(log, "rb") as fh:
            for i, raw in enumerate(fh, 1):
                if i > n:
                    break
                out.append((i, raw.rstrip(b"\r\n").decode("utf-8", errors="replace")))
        return out
    except OSError as exc:
        raise InputError(f"cannot read {log}: {exc.strerror or exc}") from exc


def explain(
    profile: Profile, log: str | Path, lines: int = 20, assume_tz: str = "UTC"
) -> Explanation:
    """Run ``profile`` over the first ``lines`` lines of ``log``."""
    numbered = _first_lines(Path(log), lines)
    compiled = compile_profile(profile)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for macro in MACROS:
        con.execute(macro)
    good = [(n, t) for n, t in numbered if t.strip()]
    con.register(
        "_input",
        pa.table(
            {"line": [n for n, _ in good], "text": [t for _, t in good]},
            schema=pa.schema([("line", pa.int64()), ("text", pa.string())]),
        ),
    )
    sql = compiled.sql.replace("_LINES_", "_input")
    params = {**compiled.params, "tz": profile.tz or assume_tz}
    params = {k: v for k, v in params.items() if f"${k}" in sql}
    cur = con.execute(f"SELECT * FROM ({sql}) ORDER BY line", params)
    names = [d[0] for d in cur.description]
    rows = {r[0]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}
    results = []
    event_key = EVENT_KEY[profile.role]
    for n, text in numbered:
        row = rows.get(n)
        if row is None:
            results.append(LineResult(n, text, "not loaded", reason="empty line"))
            continue
        values = {k: row[f"c_{k}"] for k in profile.keys if row[f"c_{k}"] is not None}
        if "endpoints" in values:
            values["endpoints"] = [_plan_item(profile, e) for e in values["endpoints"]]
        if row["reason"] is not None:
            results.append(LineResult(n, text, "not loaded", reason=row["reason"], fields=values))
        elif (
            row["_event"] is None and profile.events and values.get(event_key) in (None, UNMATCHED)
        ):
            why = "no [events.*] when holds"
            results.append(LineResult(n, text, "kept", values.get(event_key), values, why))
        else:
            results.append(LineResult(n, text, "event", values.get(event_key), values))
    first = next((t.strip() for _, t in numbered if t.strip()), "")
    return Explanation(
        profile,
        bool(first) and matcher(profile.detect)(first),
        results,
        _notes(profile, compiled.sources, rows),
    )


def _plan_item(profile: Profile, item: dict[str, Any]) -> dict[str, Any]:
    """An item of the endpoints list under its canonical names (name, ips, lbs, weight)."""
    out = {}
    for key in PLAN_ITEM:
        value: Any = item
        for part in profile.plan.get(key, key).split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if key in ("lbs", "weight") and isinstance(value, str) and value.isdigit():
            value = int(value)
        out[key] = value
    return out


def _notes(profile: Profile, sources: list[str], rows: dict[int, dict[str, Any]]) -> list[str]:
    """Per ``when``: a field that none of the lines has, or that no line matched."""
    notes = []
    for ev in profile.events:
        if ev.when is None:
            continue
        i = sources.index(ev.when.field)
        has = sum(1 for r in rows.values() if r["_sources"][i] is not None)
        hits = sum(1 for r in rows.values() if r["_event"] == ev.name)
        where = f"{profile.where(f'events.{ev.name}.when')}: [events.{ev.name}]"
        if not has:
            notes.append(f"{where} when field {ev.when.field!r} is in none of these lines")
        elif not hits:
            notes.append(f"{where} matched none of these lines ({has} have {ev.when.field!r})")
    return notes
