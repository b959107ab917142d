"""What the text DNS formats (BIND, CoreDNS, Zeek, Route 53 public) share.

The failure rules of log-formats.md 4a, the time prefixes that daemons and
collectors put before a message (RFC 3339, syslog without a year, BIND's
``print-time``), the year those year-less times are read in, and the accounting
notes a source leaves on its file. All of it is SQL text built once; nothing here
loops over lines.
"""

from __future__ import annotations

import time

from .base import LoadContext
from .route53_resolver import FAILED_SQL

NO_TIME = "no timestamp: cannot be placed on a timeline"

# Formats that log the answers use the spec's rule as route53_resolver defines it;
# formats that log no answers decide from the rcode alone (NOERROR resolved).
ANSWERS_FAILED_SQL = FAILED_SQL
RCODE_FAILED_SQL = "CASE WHEN {rcode} IS NULL THEN NULL ELSE upper({rcode}) <> 'NOERROR' END"


def sql_str(s: str) -> str:
    """A SQL string literal (regular expressions are inlined so DuckDB compiles them once)."""
    return "'" + s.replace("'", "''") + "'"


def json_compact(pairs: dict[str, str]) -> str:
    """SQL: a JSON object of the pairs whose value is not null (NULL when none is).

    ``json_merge_patch`` onto ``{}`` drops the null members (RFC 7386): much cheaper
    than filtering a list of entries per row.
    """
    args = ", ".join(f"{sql_str(k)}, {v}" for k, v in pairs.items())
    return f"nullif(json_merge_patch('{{}}'::JSON, json_object({args})), '{{}}'::JSON)"


# -- time prefixes ---------------------------------------------------------------------
_ISO = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:[Zz]|[+-]\d\d:?\d\d)?"
_BSD = r"[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d(?:\.\d+)?"  # RFC 3164: no year, no zone
_BIND = r"\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d(?:\.\d+)?"  # print-time: no zone
# kubectl --prefix, then <PRI>, a time, a CRI stream tag, and a syslog tag:
# "host prog[pid]: ", "host prog: " or, without a host, "prog[pid]: ".
PREFIX_RE = (
    r"^(?:\[pod/([^/\]]+)/[^\]]*\] )?(?:<\d{1,3}>)?"
    rf"(?:(?:({_ISO})|({_BSD})|({_BIND}))(?: (stdout|stderr) [FP])? +"
    r"(?:(?:(\S*[^\s:]) ([\w./-]+)(?:\[(\d+)\])?|([\w./-]+)\[(\d+)\]): )?)?"
    r"(.*)$"
)
PREFIX_FIELDS = ["pod", "iso", "bsd", "bind", "stream", "host", "prog", "pid", "prog_", "pid_",
                 "msg"]  # fmt: skip


def extract(expr: str, pattern: str, fields: list[str]) -> str:
    """SQL: the groups of ``pattern`` in ``expr`` as a struct of ``fields`` ('' when absent)."""
    names = ", ".join(sql_str(f) for f in fields)
    return f"regexp_extract({expr}, {sql_str(pattern)}, [{names}])"


def prefix_struct(text: str = "text") -> str:
    """SQL: the prefix of ``text`` split into a struct of PREFIX_FIELDS ('' when absent).

    The syslog program and pid are ``program_sql(p)`` and ``pid_sql(p)`` (two groups each).
    """
    return extract(text, PREFIX_RE, PREFIX_FIELDS)


def program_sql(p: str = "p") -> str:
    return f"nullif({p}.prog || {p}.prog_, '')"


def pid_sql(p: str = "p") -> str:
    return f"try_cast(nullif({p}.pid || {p}.pid_, '') AS INTEGER)"


def resolve_year(ctx: LoadContext) -> tuple[int, str | None]:
    """The year of year-less times, and the latest time they may have (or None).

    ``--assume-year`` when given; else the year of the file's modification time in
    the assumed zone, and then a time more than a day after that modification time
    cannot have been written into the file: it belongs to the year before (a log
    that spans New Year).
    """
    if "year" in ctx.state:
        return ctx.state["year"]
    if ctx.assume_year is not None:
        ctx.state["year"] = (ctx.assume_year, None)
        return ctx.state["year"]
    mtime_ns = ctx.mtime_ns if ctx.mtime_ns is not None else time.time_ns()
    rows = ctx.con.execute(
        """SELECT year(timezone($tz, timezone('UTC', make_timestamp($us)))),
                  strftime(make_timestamp($us) + INTERVAL 1 DAY, '%Y-%m-%dT%H:%M:%S.%fZ')""",
        {"tz": ctx.assume_tz, "us": mtime_ns // 1000},
    ).fetchall()
    year, limit = int(rows[0][0]), str(rows[0][1])
    ctx.assume_year = year
    ctx.state["year"] = (year, limit)
    return year, limit


# BIND's print-time (``20-Oct-2025 06:47:31.204``): local time, no zone.
BIND_FORMATS = "['%d-%b-%Y %H:%M:%S.%f', '%d-%b-%Y %H:%M:%S']"


def prefix_ts_sql(ctx: LoadContext, p: str = "p") -> str:
    """SQL: the UTC time of a prefix struct ``p`` (NULL when it has none or it is invalid).

    Invalid includes out of range (``pf_in_range``: before 1970 or from 2200 on).
    Zone-less times are read in ``--assume-tz``; syslog's year-less ones in the year
    of ``resolve_year``. Uses the parameters ``$tz`` (and nothing else).
    """
    year, limit = resolve_year(ctx)
    fmts = "['%Y %b %d %H:%M:%S', '%Y %b %d %H:%M:%S.%f']"
    bsd = f"regexp_replace({p}.bsd, ' +', ' ')"

    def in_year(y: int) -> str:
        return f"timezone($tz, try_strptime('{y} ' || {bsd}, {fmts}))"

    yearless = in_year(year)
    if limit is not None:
        yearless = (
            f"CASE WHEN {in_year(year)} > TIMESTAMPTZ '{limit}' "
            f"THEN {in_year(year - 1)} ELSE {in_year(year)} END"
        )
    return f"""CASE
        WHEN {p}.iso <> '' THEN pf_ts(replace({p}.iso, ',', '.'), $tz)
        WHEN {p}.bind <> '' THEN pf_in_range(timezone($tz, try_strptime({p}.bind, {BIND_FORMATS})))
        WHEN {p}.bsd <> '' THEN pf_in_range({yearless})
    END"""


def prefix_time_text(p: str = "p") -> str:
    """SQL: the time as written in the prefix (for quarantine reasons), '' when none."""
    return f"{p}.iso || {p}.bsd || {p}.bind"


def count_prefix_times(ctx: LoadContext, ts: str = "ts", p: str = "p") -> None:
    """Add the chunk's loaded zone-less and year-less times to the file's counts and notes."""
    year, limit = resolve_year(ctx)
    rows = ctx.con.execute(
        f"""SELECT count(*) FILTER ({p}.bsd <> '' OR {p}.bind <> ''
                                  OR ({p}.iso <> '' AND NOT pf_has_zone({p}.iso))),
                   count(*) FILTER ({p}.bsd <> ''),
                   count(*) FILTER ({p}.bsd <> '' AND year(timezone($tz, {ts})) < $year)
            FROM _staged WHERE reason IS NULL""",
        {"tz": ctx.assume_tz, "year": year},
    ).fetchall()
    zoneless, yearless, rolled = (int(v) for v in rows[0])
    ctx.zoneless += zoneless
    ctx.yearless += yearless
    if yearless and limit is not None:
        set_note(
            ctx,
            "year",
            f"year-less times were read in {year}, the year the file was last modified "
            "(--assume-year sets it)",
        )
    add_to_note(
        ctx,
        "rolled",
        rolled,
        f"{{n}} year-less times fell after the file's modification time and were read "
        f"in {year - 1}",
    )


def set_note(ctx: LoadContext, key: str, text: str) -> None:
    """Set (or replace) one accounting note of the file; notes end up in its message."""
    notes: dict[str, int] = ctx.state.setdefault("_notes", {})
    if key in notes:
        ctx.notes[notes[key]] = text
    else:
        notes[key] = len(ctx.notes)
        ctx.notes.append(text)


def add_to_note(ctx: LoadContext, key: str, n: int, template: str) -> None:
    """Accumulate a per-file count across chunks in a note (``template`` has ``{n}``)."""
    if n <= 0:
        return
    total = ctx.state.get(f"_count_{key}", 0) + n
    ctx.state[f"_count_{key}"] = total
    set_note(ctx, key, template.format(n=total))


def finish(ctx: LoadContext) -> tuple[int, int]:
    """Quarantine the staged rows that have a reason; returns (loaded, quarantined).

    Every line of the chunk must be staged exactly once (lines = loaded + quarantined):
    a parse that lost or doubled a line is a bug, and stops the file's load.
    """
    rows = ctx.con.execute(
        "SELECT (SELECT count(*) FROM _good), count(*), count(DISTINCT line), "
        "count(*) FILTER (reason IS NULL) FROM _staged"
    ).fetchall()
    lines, staged, distinct, loaded = (int(v) for v in rows[0])
    if not lines == staged == distinct:
        raise RuntimeError(
            f"{ctx.file}: {lines} lines in the chunk but {staged} parsed ({distinct} distinct)"
        )
    return loaded, ctx.quarantine_staged()
