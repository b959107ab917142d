"""Points in time as people type them: ``--since``/``--until`` of detect, report, sql
and audit.

An RFC 3339 time (``2025-10-20T06:48:00Z``; without a zone: UTC), a duration before
now (``2h``, ``90m``, ``7d``, ``2w``, ``3600s``), ``now``, ``today`` or ``yesterday``
(midnight at the start of that day in the chosen zone, so ``--since yesterday --until
today`` is the whole of yesterday).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import duckdb

from .errors import InputError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DAYS = {"today": 0, "yesterday": 1}


def parse_when(
    value: str, now: dt.datetime, tz: str = "UTC", *, option: str = "--since"
) -> dt.datetime:
    """The aware UTC time ``value`` names, relative to ``now``; an input error otherwise."""
    text = value.strip()
    m = _DURATION.match(text)
    if m:
        try:
            return now - dt.timedelta(seconds=float(m.group(1)) * _UNIT_S[m.group(2).lower()])
        except OverflowError as exc:
            raise InputError(f"{option}: {value!r} reaches before year 1") from exc
    word = text.lower()
    if word == "now":
        return now
    if word in _DAYS:
        try:
            local = now.astimezone(zoneinfo.ZoneInfo(tz))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise InputError(f"unknown time zone: {tz!r}") from exc
        day = local.date() - dt.timedelta(days=_DAYS[word])
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=local.tzinfo)
        return midnight.astimezone(dt.UTC)
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(
            f"{option}: expected an RFC 3339 time, a duration before now (2h, 90m, 7d), "
            f"'today' or 'yesterday', not {value!r}"
        ) from exc
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


def parse_window(
    since: str | None, until: str | None, now: dt.datetime | None = None, tz: str = "UTC"
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``(start, end)`` of ``--since``/``--until`` (None where not given); start after
    end is an input error."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    start = parse_when(since, now, tz, option="--since") if since else None
    end = parse_when(until, now, tz, option="--until") if until else None
    if start is not None and end is not None and start > end:
        raise InputError(f"--since {since} is after --until {until}")
    return start, end


def restrict_to_window(
    con: duckdb.DuckDBPyConnection, start: dt.datetime | None, end: dt.datetime | None
) -> list[str]:
    """Shadow each event table by a TEMP view of its rows in [start, end] (by ``ts``, or
    ``created_at`` for plans), so any query over the case sees only the window. The
    full tables stay reachable as ``<database>.main.<table>``. Returns the views made."""
    from .schema import EVENT_TABLES

    if start is None and end is None:
        return []
    database = con.execute("SELECT current_database()").fetchall()[0][0].replace('"', '""')
    made = []
    for table in EVENT_TABLES:
        names = table.column_names
        column = "ts" if "ts" in names else "created_at" if "created_at" in names else None
        if column is None:
            continue
        # the bounds are parsed datetimes, written back as ISO literals (never user text)
        where = [f"{column} >= TIMESTAMPTZ '{start.isoformat()}'"] if start else []
        where += [f"{column} <= TIMESTAMPTZ '{end.isoformat()}'"] if end else []
        con.execute(
            f'CREATE OR REPLACE TEMP VIEW {table.name} AS SELECT * FROM "{database}".main.'
            f"{table.name} WHERE {' AND '.join(where)}"
        ).fetchall()
        made.append(table.name)
    return made
