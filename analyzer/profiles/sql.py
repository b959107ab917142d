"""A profile compiled to one set-based DuckDB query over the lines of a chunk.

The query reads ``_LINES_`` (``line``, ``text``) in stages: the format's parse gives
each source field as text (JSON paths in one ``json_extract_string``, logfmt by the
grammar of ``ingest/logfmt.py``, a regex by one ``regexp_extract``); ``when`` picks
each line's event (a ``CASE`` in table order, so a line is tested only against the
events not yet matched); a ``matches`` extracts its groups on its own lines only; each
canonical key is then ``set`` > group > field, mapped by ``[values.*]``, converted to
its type, and checked. Every value from the profile is a query parameter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import ProfileError
from ..ingest import logfmt
from .model import ALWAYS, EVENT_KEY, PLAN_ITEM, REQUIRED, UNMATCHED, Profile

_TYPE_WORD = {"BIGINT": "an integer", "INTEGER": "an integer", "DOUBLE": "a number"}


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Compiled:
    """The parse query of a profile and its parameters (all ending in ``_``)."""

    sql: str
    params: dict[str, Any]
    plan_items: dict[str, str] = field(default_factory=dict)  # [plan] key -> e."a"."b"
    sources: list[str] = field(default_factory=list)  # the source fields in ``_sources``

    def plan_item(self, key: str) -> str:
        return self.plan_items[key]


@dataclass
class _Builder:
    profile: Profile
    params: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)  # source fields, s_0, s_1, ...

    def param(self, value: Any) -> str:
        name = f"p{len(self.params)}_"
        self.params[name] = value
        return f"${name}"

    def source(self, name: str) -> str:
        if name not in self.sources:
            self.sources.append(name)
        return f"s_{self.sources.index(name)}"

    # -- stage 1: the format's parse -------------------------------------------------
    def parse(self) -> str:
        p = self.profile
        cols = "".join(f", nullif(_v[{i + 1}], '') AS s_{i}" for i in range(len(self.sources)))
        if p.format == "json":
            paths = "[" + ", ".join(self.param(_json_path(s)) for s in self.sources) + "]"
            return f"""
            SELECT line, text{cols},
                CASE WHEN _v IS NULL THEN 'invalid JSON'
                     WHEN NOT starts_with(text, '{{')
                          AND coalesce(try(json_type(text)), '') <> 'OBJECT'
                         THEN 'not a JSON object' END AS perr
            FROM (SELECT line, text, try(json_extract_string(text, {paths})) AS _v FROM _LINES_)"""
        if p.format == "logfmt":
            values = "[" + ", ".join(f"raw_{i}" for i in range(len(self.sources))) + "]"
            inner = logfmt.parse_sql(self.sources)
            renamed = ", ".join(
                f"{_ident('raw_' + s)} AS raw_{i}" for i, s in enumerate(self.sources)
            )
            return f"""
            SELECT line, text{cols}, logfmt_error AS perr
            FROM (SELECT line, text, logfmt_error, {values} AS _v
                  FROM (SELECT line, text, logfmt_error, {renamed} FROM ({inner})))"""
        assert p.pattern is not None
        # No wrapping group to tell a match (it doubles RE2's work): a line all of whose
        # groups are empty is tested again, and quarantined if it really does not match.
        names = [g or f"__g{i}" for i, g in enumerate(p.groups)]
        pattern = self.param(p.pattern)
        picks = ", ".join(f"_m.{_ident(s)}" for s in self.sources)
        empty = " AND ".join(f"_m.{_ident(n)} = ''" for n in names)
        return f"""
            SELECT line, text{cols},
                CASE WHEN {empty} AND NOT regexp_matches(text, {pattern})
                     THEN 'does not match the pattern' END AS perr
            FROM (SELECT line, text, _m, [{picks}] AS _v
                  FROM (SELECT line, text,
                            regexp_extract(text, {pattern}, {_list(names)}) AS _m FROM _LINES_))"""

    # -- stage 2: the event of each line -------------------------------------------
    def select_event(self) -> str:
        branches = []
        for ev in self.profile.events:
            name = self.param(ev.name)
            if ev.when is None:
                branches.append(f"WHEN true THEN {name}")
                continue
            s = self.source(ev.when.field)
            if ev.when.equals is not None:
                branches.append(f"WHEN {s} = {self.param(ev.when.equals)} THEN {name}")
            else:
                branches.append(
                    f"WHEN regexp_matches({s}, {self.param(ev.when.matches)}) THEN {name}"
                )
        return f"CASE {' '.join(branches)} END" if branches else "NULL::VARCHAR"

    def groups(self) -> list[str]:
        """For each event with a ``matches`` that names groups: its groups, on its lines."""
        out = []
        for i, ev in enumerate(self.profile.events):
            if ev.when is None or ev.when.matches is None or not any(ev.when.groups):
                continue
            names = [g or f"__g{j}" for j, g in enumerate(ev.when.groups)]
            s = self.source(ev.when.field)
            out.append(
                f"CASE WHEN _ev = {self.param(ev.name)} THEN regexp_extract({s}, "
                f"{self.param(ev.when.matches)}, {_list(names)}) END AS m_{i}"
            )
        return out

    # -- stage 3: each canonical key's value -----------------------------------------
    def raw_value(self, key: str) -> str:
        p = self.profile
        by_event = []
        for i, ev in enumerate(p.events):
            if key in ev.set:
                by_event.append(f"WHEN _ev = {self.param(ev.name)} THEN {self.param(ev.set[key])}")
            elif ev.when and ev.when.matches and key in ev.when.groups:
                by_event.append(
                    f"WHEN _ev = {self.param(ev.name)} THEN nullif(m_{i}.{_ident(key)}, '')"
                )
        src = p.source_field(key)
        from_field = self.source(src) if src is not None else "NULL::VARCHAR"
        value = f"coalesce(CASE {' '.join(by_event)} END, {from_field})" if by_event else from_field
        mapping = p.values.get(key)
        if mapping:
            whens = " ".join(
                f"WHEN {self.param(a)} THEN {self.param(b)}" for a, b in mapping.items()
            )
            value = f"(CASE {value} {whens} ELSE {value} END)"
        if key == EVENT_KEY[p.role]:
            if p.role == "operator":
                return f"coalesce({value}, _ev)"
            fallback = self.param(UNMATCHED) if p.role == "enactor" else "NULL::VARCHAR"
            return f"coalesce(_ev, {value}, {fallback})"
        return value

    def time(self) -> tuple[str, str]:
        """The typed time of ``r_ts``, and whether it was read in an assumed zone."""
        fmt = self.profile.time_format
        # Every branch is NULL for a time out of range (1970-2200) or with an offset no
        # zone has, as ``pf_ts`` is for the native sources.
        if fmt in ("epoch_s", "epoch_ms"):
            x = "try_cast(r_ts AS DOUBLE)"
            return (f"pf_epoch({x})" if fmt == "epoch_s" else f"pf_epoch({x} / 1000)"), "false"
        if fmt == "rfc3339":
            zoneless = "false" if self.profile.tz else "NOT coalesce(pf_has_zone(r_ts), true)"
            return "pf_ts(r_ts, $tz)", zoneless
        f = self.param(fmt)
        if fmt.endswith("%z"):
            return (
                f"CASE WHEN pf_offset_ok(r_ts) THEN pf_in_range(try_strptime(r_ts, {f})) END",
                "false",
            )
        if "%z" in fmt or "%Z" in fmt:
            return f"pf_in_range(try_strptime(r_ts, {f}))", "false"
        return f"pf_in_range(timezone($tz, try_strptime(r_ts, {f})))", "false"

    def typed(self, key: str, typ: str) -> str:
        if typ == "TS":
            return self.time()[0]
        if key == "endpoints":
            return f"try(from_json(r_endpoints, {self.param(self.plan_struct())}))"
        if typ == "VARCHAR":
            return f"pf_name(r_{key})" if key == "endpoint" else f"r_{key}"
        if typ in ("BIGINT", "INTEGER"):  # strictly: 118234.6 is no generation
            return f"try_cast(pf_int(r_{key}) AS {typ})"
        return f"try_cast(r_{key} AS {typ})"

    def plan_struct(self) -> str:
        """The JSON structure of an item of the endpoints list, from the item paths."""
        root: dict[str, Any] = {}
        for key, typ in PLAN_ITEM.items():
            path = self.profile.plan.get(key, key).split(".")
            node = root
            for part in path[:-1]:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise ProfileError(
                        f"plan.{key}: {'.'.join(path)} crosses another item field",
                        file=self.profile.path,
                        line=self.profile.lines.get(f"plan.{key}"),
                    )
            if path[-1] in node:
                raise ProfileError(
                    f"plan.{key}: {'.'.join(path)} is also another item field",
                    file=self.profile.path,
                    line=self.profile.lines.get(f"plan.{key}"),
                )
            node[path[-1]] = ["VARCHAR"] if typ == "VARCHAR[]" else "VARCHAR"
        return json.dumps([root])

    def plan_item(self, key: str) -> str:
        path = ".".join(_ident(p) for p in self.profile.plan.get(key, key).split("."))
        return f"e.{path}"

    # -- stage 4: reasons --------------------------------------------------------------
    def checks(self) -> list[str]:
        p = self.profile
        pid = self.param(f"profile {p.id}: ")
        out = [f"WHEN perr IS NOT NULL THEN {pid} || perr"]
        event = EVENT_KEY[p.role]
        if p.role == "operator" and p.events:
            why = self.param("not an action: no [events.*] when holds")
            out.append(f"WHEN _ev IS NULL THEN {pid} || {why}")
        for key in ALWAYS[p.role]:
            out.append(f"WHEN r_{key} IS NULL THEN {pid} || {self.param(self.lacks(key))}")
            if key == "ts":
                what = self.param(f"unparseable time (time_format {p.time_format}): ")
                out.append(f"WHEN c_ts IS NULL THEN {pid} || {what} || r_ts")
        for ev, keys in REQUIRED[p.role].items():
            for key in keys:
                out.append(
                    f"WHEN c_{event} = {self.param(ev)} AND r_{key} IS NULL "
                    f"THEN {pid} || {self.param(self.lacks(key, ev))}"
                )
        for key, typ in p.keys.items():
            if typ in _TYPE_WORD:
                what = self.param(f"{key} is not {_TYPE_WORD[typ]}: ")
                out.append(
                    f"WHEN r_{key} IS NOT NULL AND c_{key} IS NULL THEN {pid} || {what} || r_{key}"
                )
        if p.role == "planner":
            lst = self.param("endpoints is not a list of objects: ")
            out.append(
                "WHEN r_endpoints IS NOT NULL AND c_endpoints IS NULL "
                f"THEN {pid} || {lst} || left(r_endpoints, 200)"
            )
            noname = self.param(f"an endpoint has no name ({p.plan.get('name', 'name')})")
            out.append(
                f"WHEN c_event = 'plan_created' AND len(list_filter(c_endpoints, "
                f"lambda e: {self.plan_item('name')} IS NULL)) > 0 THEN {pid} || {noname}"
            )
            for key in ("lbs", "weight"):
                bad = self.param(f"an endpoint's {key} is not an integer")
                item = self.plan_item(key)
                out.append(
                    f"WHEN len(list_filter(c_endpoints, lambda e: {item} IS NOT NULL "
                    f"AND try_cast(pf_int({item}) AS {PLAN_ITEM[key]}) IS NULL)) > 0 "
                    f"THEN {pid} || {bad}"
                )
        return out

    def lacks(self, key: str, event: str | None = None) -> str:
        src = self.profile.source_field(key)
        field = f" (field {src})" if src else " (no field gives it)"
        return f"{event + ' ' if event else ''}lacks {key}{field}"


def _json_path(path: str) -> str:
    return "$." + ".".join('"' + part + '"' for part in path.split("."))


def _list(names: list[str]) -> str:
    return "[" + ", ".join("'" + n.replace("'", "''") + "'" for n in names) + "]"


def compile_profile(profile: Profile) -> Compiled:
    """The parse of ``_LINES_`` for ``profile`` (see ``base.insert_parsed``).

    Yields ``line``, ``reason``, ``raw``, ``zoneless`` and ``c_<key>`` for every
    canonical key of its role (typed), plus ``extra``.
    """
    b = _Builder(profile)
    keys = profile.keys
    select = b.select_event()
    groups = b.groups()
    raws = [f"{b.raw_value(k)} AS r_{k}" for k in keys]
    typed = [f"{b.typed(k, t)} AS c_{k}" for k, t in keys.items()]
    zoneless = b.time()[1]
    checks = "\n".join(b.checks())
    if profile.role == "enactor":
        extra = "NULL::MAP(VARCHAR, VARCHAR)"
    elif profile.format == "json":
        extra = "CASE WHEN reason IS NULL THEN text::JSON END"
    else:
        pairs = ", ".join(f"{b.param(s)}, s_{i}" for i, s in enumerate(b.sources))
        extra = f"CASE WHEN reason IS NULL THEN json_object({pairs}) END"
    parse = b.parse()  # last: every source field is known by now
    group_cols = "".join(f", {g}" for g in groups)
    sql = f"""
    WITH src AS ({parse}
    ), sel AS (
        SELECT *, {select} AS _ev FROM src
    ), grp AS (
        SELECT *{group_cols} FROM sel
    ), val AS (
        SELECT *, {", ".join(raws)} FROM grp
    ), conv AS (
        SELECT *, {", ".join(typed)} FROM val
    ), checked AS (
        SELECT *, CASE {checks} END AS reason FROM conv
    )
    SELECT line, reason, CASE WHEN reason IS NOT NULL THEN text END AS raw,
        {zoneless} AS zoneless, {", ".join(f"c_{k}" for k in keys)}, {extra} AS extra,
        _ev AS _event, [{", ".join(f"s_{i}" for i in range(len(b.sources)))}] AS _sources
    FROM checked"""
    items = {k: b.plan_item(k) for k in PLAN_ITEM} if profile.role == "planner" else {}
    return Compiled(sql, b.params, items, list(b.sources))
