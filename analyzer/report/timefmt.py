"""Times and durations as a person reads them, in the zone the user chose.

Internally every time is an aware UTC datetime; only what is shown is converted.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from ..errors import InputError


def zone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA zone ``name``; an unknown zone is an input error."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(f"unknown time zone: {name!r}") from exc


def local(value: dt.datetime | None, tz: str, *, ms: bool = True) -> str:
    """``2025-10-19 23:48:00.512 PDT``: the time in ``tz`` with the zone's abbreviation."""
    if value is None:
        return ""
    t = value.astimezone(zone(tz))
    text = t.strftime("%Y-%m-%d %H:%M:%S")
    if ms:
        text += f".{t.microsecond // 1000:03d}"
    return f"{text} {t.tzname()}"


def clock(value: dt.datetime | None, tz: str) -> str:
    """``11:48 PM PDT``: the short form for summaries."""
    if value is None:
        return ""
    t = value.astimezone(zone(tz))
    return f"{t.strftime('%I:%M %p').lstrip('0')} {t.tzname()}"


def duration(seconds: float | None) -> str:
    """``2h 37m``, ``7m 59s``, ``0.412 s``: short, precise where it matters."""
    if seconds is None:
        return ""
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    if s < 10:
        return f"{sign}{s:.3f} s".replace(".000 s", " s")
    if s < 60:
        return f"{sign}{s:.1f} s"
    whole = round(s)
    h, rem = divmod(whole, 3600)
    m, sec = divmod(rem, 60)
    if h:
        return f"{sign}{h}h {m:02d}m" if not sec else f"{sign}{h}h {m:02d}m {sec:02d}s"
    return f"{sign}{m}m {sec:02d}s"


def offset(seconds: float | None) -> str:
    """``+0:07:59.200`` / ``-0:08:00.000``: time since the trigger, signed."""
    if seconds is None:
        return ""
    sign = "-" if seconds < 0 else "+"
    ms_total = round(abs(seconds) * 1000)
    s, ms = divmod(ms_total, 1000)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{sign}{h}:{m:02d}:{sec:02d}.{ms:03d}"
