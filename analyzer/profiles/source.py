"""A profile as an ingest ``Source``: recognised by ``detect``, loaded by its query."""

from __future__ import annotations

import functools
from collections.abc import Callable

import duckdb

from ..ingest.base import LoadContext, Source, insert_parsed
from .model import EVENT_KEY, Profile
from .sql import Compiled, compile_profile

TABLE = {"enactor": "enactor_events", "operator": "operator_actions", "planner": "planner_events"}


@functools.lru_cache(maxsize=1)
def _regex_con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def matcher(pattern: str) -> Callable[[str], bool]:
    """``detect`` as a test of one line, with RE2 (DuckDB's engine, as everywhere)."""

    def sniff(line: str) -> bool:
        row = _regex_con().execute("SELECT regexp_matches(?, ?)", [line, pattern]).fetchone()
        return bool(row and row[0])

    return sniff


def _row_sql(profile: Profile) -> str:
    cols = ", ".join(f"c_{k} AS {k}" for k in profile.keys if k != "endpoints")
    return f"{cols}, extra, line, $file AS file"


def _params(compiled: Compiled, sql: str, **more: object) -> dict[str, object]:
    every = {**compiled.params, **more}
    return {k: v for k, v in every.items() if f"${k}" in sql}


def _note_unmatched(ctx: LoadContext, profile: Profile) -> None:
    """Say which ``[events.*]`` tables no line of the file has matched (so far)."""
    names = [ev.name for ev in profile.events if ev.when is not None]
    if not names or profile.role == "operator":
        return
    column = EVENT_KEY[profile.role]
    seen: set[str] = ctx.state.setdefault("seen", set())
    rows = ctx.con.execute(
        f"SELECT DISTINCT {column} FROM {TABLE[profile.role]} WHERE file = ? "
        f"AND list_contains(?, {column})",
        [ctx.file, [n for n in names if n not in seen]],
    ).fetchall()
    seen.update(r[0] for r in rows)
    note = f"profile {profile.id}: no line matched "
    ctx.notes[:] = [n for n in ctx.notes if not n.startswith(note)]
    missing = [ev for ev in profile.events if ev.when is not None and ev.name not in seen]
    if missing:
        what = "; ".join(
            f"[events.{ev.name}] ({profile.where(f'events.{ev.name}.when')}: "
            f"{ev.when.field} {'equals' if ev.when.equals is not None else 'matches'} "
            f"{ev.when.equals if ev.when.equals is not None else ev.when.matches!r})"
            for ev in missing
            if ev.when is not None
        )
        ctx.notes.append(note + what)


def _tz(profile: Profile, ctx: LoadContext) -> str:
    return profile.tz or ctx.assume_tz


def _assumed_zone(profile: Profile) -> bool:
    """Whether every time is read in the assumed zone (a strptime pattern with no %z)."""
    fmt = profile.time_format
    return profile.tz is None and "%" in fmt and "%z" not in fmt and "%Z" not in fmt


def to_source(profile: Profile) -> Source:
    compiled = compile_profile(profile)
    table = TABLE[profile.role]

    def load_events(ctx: LoadContext) -> tuple[int, int]:
        row = _row_sql(profile)
        params = _params(compiled, compiled.sql + row, tz=_tz(profile, ctx), file=ctx.file)
        loaded, quarantined = insert_parsed(ctx, compiled.sql, table, row, params)
        if _assumed_zone(profile):
            ctx.zoneless += loaded
        _note_unmatched(ctx, profile)
        return loaded, quarantined

    def load_planner(ctx: LoadContext) -> tuple[int, int]:
        sql = compiled.sql.replace("_LINES_", "_good")
        ctx.stage(sql, _params(compiled, sql, tz=_tz(profile, ctx)))
        con = ctx.con
        con.execute(
            """INSERT INTO planner_events BY NAME
               SELECT c_ts AS ts, c_host AS host, c_event AS event, c_generation AS generation,
                      len(c_endpoints) AS endpoint_count, extra, $file AS file, line
               FROM _staged WHERE reason IS NULL""",
            {"file": ctx.file},
        )
        item = compiled.plan_item
        con.execute(
            f"""INSERT INTO plans BY NAME
                SELECT c_generation AS generation, pf_name({item("name")}) AS endpoint,
                       c_ts AS created_at, c_host AS host,
                       try_cast(pf_int({item("lbs")}) AS INTEGER) AS lbs, {item("ips")} AS ips,
                       pf_int({item("weight")}) AS weight, $file AS file, line
                FROM (SELECT *, unnest(c_endpoints) AS e FROM _staged
                      WHERE reason IS NULL AND c_event = 'plan_created')""",
            {"file": ctx.file},
        )
        con.execute(
            "INSERT INTO quarantine SELECT $file, line, reason, raw FROM _staged "
            "WHERE reason IS NOT NULL",
            {"file": ctx.file},
        )
        loaded, quarantined = con.execute(
            "SELECT count(*) FILTER (reason IS NULL), count(*) FILTER (reason IS NOT NULL) "
            "FROM _staged"
        ).fetchall()[0]
        if _assumed_zone(profile):
            ctx.zoneless += loaded
        elif profile.time_format == "rfc3339" and profile.tz is None:
            ctx.zoneless += ctx.count(
                "SELECT count(*) FROM _staged WHERE reason IS NULL AND zoneless"
            )
        _note_unmatched(ctx, profile)
        return loaded, quarantined

    planner = profile.role == "planner"
    return Source(
        profile.id,
        ("planner_events", "plans") if planner else (table,),
        matcher(profile.detect),
        load_planner if planner else load_events,
        f"profile {profile.id} ({profile.role}, {profile.format}; {profile.where()})",
        single_scan=not planner,
    )
