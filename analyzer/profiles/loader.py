"""Loading profiles from TOML files, validated, with ``path:line`` in every error.

``tomllib`` gives no positions, so a small scan of the text maps each table header
and key to its line (``_locate``); every check names the line of the key it concerns.
Regular expressions are compiled by DuckDB itself (RE2), the engine that runs them.
"""

from __future__ import annotations

import re
import tomllib
import zoneinfo
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from ..errors import ProfileError
from .model import (
    EVENT_KEY,
    EVENTS,
    FORMATS,
    KEYS,
    PLAN_ITEM,
    ROLES,
    TIME_FORMATS,
    Event,
    Profile,
    When,
)

BUILTIN_DIR = Path(__file__).with_name("builtin")
TOP_KEYS = ("id", "role", "format", "detect", "pattern", "time_format", "tz")
TABLES = ("fields", "values", "events", "plan")
EVENT_KEYS = ("when", "set")
WHEN_KEYS = ("field", "equals", "matches")
PLAN_KEYS = ("endpoints", *PLAN_ITEM)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+))*)\s*="""
)
_PART = re.compile(r"""\s*("[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)\s*""")


def _parts(dotted: str) -> list[str]:
    return [p.strip("\"'") for p in _PART.findall(dotted)]


def _locate(text: str) -> dict[str, int]:
    """The line of every table header and key: ``"events.plan_check.when"`` -> 12."""
    where: dict[str, int] = {}
    table: list[str] = []
    for n, raw in enumerate(text.splitlines(), 1):
        m = _HEADER.match(raw)
        if m:
            table = _parts(m.group(1))
            where.setdefault(".".join(table), n)
            continue
        m = _KEY.match(raw)
        if m:
            where.setdefault(".".join([*table, *_parts(m.group(1))]), n)
    return where


def capture_groups(pattern: str) -> tuple[str | None, ...]:
    """The capturing groups of an RE2 pattern in order: their names (None: unnamed)."""
    groups: list[str | None] = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            i += 1
            if pattern.startswith("^", i):
                i += 1
            if pattern.startswith("]", i):
                i += 1
            continue
        elif c == "(":
            m = re.match(r"\(\?P<(\w+)>", pattern[i:])
            if m:
                groups.append(m.group(1))
            elif not pattern.startswith("(?", i):
                groups.append(None)
        i += 1
    return tuple(groups)


class _Checker:
    """Validates one parsed profile file; every error carries ``path:line``."""

    def __init__(self, path: Path, data: dict[str, Any], lines: dict[str, int]):
        self.path, self.data, self.lines = path, data, lines
        self._re = duckdb.connect()

    def fail(self, key: str, message: str) -> ProfileError:
        line = self.lines.get(key)
        while line is None and "." in key:  # an inline table: the line of its key
            key = key.rsplit(".", 1)[0]
            line = self.lines.get(key)
        return ProfileError(message, file=self.path, line=line)

    def string(
        self, table: dict[str, Any], name: str, key: str, required: bool = False
    ) -> str | None:
        value = table.get(name)
        if value is None:
            if required:
                raise self.fail(key, f"{key} is required")
            return None
        if not isinstance(value, str):
            raise self.fail(key, f"{key} must be a string, not {type(value).__name__}")
        return value

    def table(self, value: Any, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"{key} must be a table")
        return value

    def unknown(self, table: dict[str, Any], allowed: Iterable[str], key: str) -> None:
        allowed = tuple(allowed)
        for name in table:
            if name not in allowed:
                where = f"{key}.{name}" if key else name
                raise self.fail(
                    where,
                    f"unknown key {name!r}{f' in [{key}]' if key else ''}; "
                    f"known: {', '.join(allowed)}",
                )

    def regex(self, pattern: str, key: str) -> tuple[str | None, ...]:
        try:
            self._re.execute("SELECT regexp_matches('', ?)", [pattern]).fetchall()
        except duckdb.Error as exc:
            detail = str(exc).split("Error: ", 1)[-1]
            raise self.fail(
                key, f"{key}: the regular expression does not compile: {detail}"
            ) from None
        return capture_groups(pattern)

    def canonical(self, role: str, name: str, key: str) -> None:
        if name not in KEYS[role]:
            raise self.fail(
                key,
                f"{name!r} is not a canonical key of the {role} role; "
                f"known: {', '.join(KEYS[role])}",
            )

    def scalar(self, value: Any, key: str) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (str, int, float)):
            return str(value)
        raise self.fail(key, f"{key} must be a string or a number, not {type(value).__name__}")

    def profile(self, builtin: bool) -> Profile:
        d = self.data
        self.unknown(d, (*TOP_KEYS, *TABLES), "")
        pid = self.string(d, "id", "id", required=True)
        assert pid is not None
        if not _ID.match(pid):
            raise self.fail("id", f"id {pid!r}: use letters, digits, '_', '-' and '.'")
        role = self.string(d, "role", "role", required=True)
        if role not in ROLES:
            raise self.fail("role", f"role must be one of {', '.join(ROLES)}, not {role!r}")
        fmt = self.string(d, "format", "format", required=True)
        if fmt not in FORMATS:
            raise self.fail("format", f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        detect = self.string(d, "detect", "detect", required=True)
        assert detect is not None
        self.regex(detect, "detect")
        pattern = self.string(d, "pattern", "pattern", required=fmt == "regex")
        groups: tuple[str | None, ...] = ()
        if pattern is not None:
            if fmt != "regex":
                raise self.fail("pattern", 'pattern is for format = "regex" only')
            groups = self.regex(pattern, "pattern")
            if not any(groups):
                raise self.fail("pattern", "pattern has no named group (?P<name>...)")
        time_format = self.string(d, "time_format", "time_format") or "rfc3339"
        if time_format not in TIME_FORMATS and "%" not in time_format:
            raise self.fail(
                "time_format",
                f"time_format must be one of {', '.join(TIME_FORMATS)} or a strptime pattern "
                f"(with % directives), not {time_format!r}",
            )
        if time_format not in TIME_FORMATS:
            try:
                self._re.execute("SELECT try_strptime('', ?)", [time_format]).fetchall()
            except duckdb.Error as exc:
                detail = str(exc).split("Error: ", 1)[-1]
                raise self.fail("time_format", f"time_format: {detail}") from None
        tz = self.string(d, "tz", "tz")
        if tz is not None:
            try:
                zoneinfo.ZoneInfo(tz)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise self.fail("tz", f"unknown time zone {tz!r}") from None
        fields = self._fields(role, fmt, groups)
        values = self._values(role)
        events = self._events(role, fmt, groups)
        plan = self._plan(role, fields)
        ts_groups = all(e.when is not None and "ts" in e.when.groups for e in events)
        if (
            fmt == "regex"
            and "ts" not in fields
            and "ts" not in groups
            and not (events and ts_groups)
        ):
            raise self.fail("pattern", "no group gives ts: name one (?P<ts>...) or map fields.ts")
        return Profile(
            id=pid,
            role=role,
            format=fmt,
            detect=detect,
            pattern=pattern,
            groups=groups,
            time_format=time_format,
            tz=tz,
            fields=fields,
            values=values,
            events=events,
            plan=plan,
            path=self.path,
            lines=self.lines,
            builtin=builtin,
        )

    def _fields(self, role: str, fmt: str, groups: tuple[str | None, ...]) -> dict[str, str]:
        table = self.table(self.data.get("fields", {}), "fields")
        out: dict[str, str] = {}
        for name in table:
            key = f"fields.{name}"
            self.canonical(role, name, key)
            source = self.string(table, name, key, required=True)
            assert source is not None
            if fmt == "regex" and source not in groups:
                raise self.fail(key, f"{key}: the pattern has no group named {source!r}")
            if fmt == "json" and (not source or '"' in source or "" in source.split(".")):
                raise self.fail(key, f"{key}: {source!r} is not a field path (a.b.c)")
            out[name] = source
        return out

    def _values(self, role: str) -> dict[str, dict[str, str]]:
        table = self.table(self.data.get("values", {}), "values")
        out: dict[str, dict[str, str]] = {}
        for name, mapping in table.items():
            key = f"values.{name}"
            self.canonical(role, name, key)
            mapping = self.table(mapping, key)
            out[name] = {src: self.scalar(v, f"{key}.{src}") for src, v in mapping.items()}
        return out

    def _events(self, role: str, fmt: str, groups: tuple[str | None, ...]) -> tuple[Event, ...]:
        table = self.table(self.data.get("events", {}), "events")
        allowed = EVENTS[role]
        events = []
        for name, spec in table.items():
            key = f"events.{name}"
            if allowed is not None and name not in allowed:
                raise self.fail(
                    key, f"unknown event {name!r} for the {role} role; known: {', '.join(allowed)}"
                )
            if allowed is None and not _ID.match(name):
                raise self.fail(key, f"event name {name!r}: use letters, digits, '_', '-', '.'")
            spec = self.table(spec, key)
            self.unknown(spec, EVENT_KEYS, key)
            when = self._when(spec.get("when"), f"{key}.when", role, fmt, groups)
            consts = self.table(spec.get("set", {}), f"{key}.set")
            for k in consts:
                self.canonical(role, k, f"{key}.set.{k}")
                if k == EVENT_KEY[role] and role != "operator":
                    raise self.fail(f"{key}.set.{k}", f"{key}.set: the event is named by its table")
                if when and when.matches and k in when.groups:
                    raise self.fail(
                        f"{key}.set.{k}", f"{key}: {k} is both set and a group of matches"
                    )
            sets = {k: self.scalar(v, f"{key}.set.{k}") for k, v in consts.items()}
            events.append(Event(name, when, sets))
        return tuple(events)

    def _when(
        self, value: Any, key: str, role: str, fmt: str, groups: tuple[str | None, ...]
    ) -> When | None:
        if value is None:
            return None
        spec = self.table(value, key)
        self.unknown(spec, WHEN_KEYS, key)
        fld = self.string(spec, "field", f"{key}.field", required=True)
        assert fld is not None
        if fmt == "regex" and fld not in groups:
            raise self.fail(key, f"{key}: the pattern has no group named {fld!r}")
        equals = self.string(spec, "equals", f"{key}.equals")
        matches = self.string(spec, "matches", f"{key}.matches")
        if (equals is None) == (matches is None):
            raise self.fail(key, f"{key} needs exactly one of equals and matches")
        found: tuple[str | None, ...] = ()
        if matches is not None:
            found = self.regex(matches, f"{key}.matches")
            for g in found:
                if g is not None:
                    self.canonical(role, g, key)
        return When(fld, equals, matches, found)

    def _plan(self, role: str, fields: dict[str, str]) -> dict[str, str]:
        if "plan" not in self.data:
            return {}
        if role != "planner":
            raise self.fail("plan", '[plan] is for role = "planner" only')
        table = self.table(self.data["plan"], "plan")
        self.unknown(table, PLAN_KEYS, "plan")
        plan = {k: v for k in PLAN_KEYS if (v := self.string(table, k, f"plan.{k}")) is not None}
        if (
            "endpoints" in plan
            and fields.setdefault("endpoints", plan["endpoints"]) != plan["endpoints"]
        ):
            raise self.fail("plan.endpoints", "plan.endpoints and fields.endpoints differ")
        return plan


def load_profile(path: str | Path, *, builtin: bool = False) -> Profile:
    """Read and validate one profile file; raises ``ProfileError`` with ``path:line``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"cannot read the profile: {exc}", file=path) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ProfileError(
            f"not valid TOML: {message}", file=path, line=int(m.group(1)) if m else None
        ) from None
    return _Checker(path, data, _locate(text)).profile(builtin)


def _files(where: str | Path) -> list[Path]:
    path = Path(where)
    if path.is_dir():
        return sorted(path.glob("*.toml"))
    if path.is_file():
        return [path]
    raise ProfileError("no such profile file or directory", file=path)


def builtin_profiles() -> list[Profile]:
    """The profiles shipped with the analyzer: the formats of log-formats.md."""
    return [load_profile(p, builtin=True) for p in sorted(BUILTIN_DIR.glob("*.toml"))]


def load_profiles(*where: str | Path | Profile) -> list[Profile]:
    """Profiles from files, directories (every ``*.toml``) or ready ``Profile`` objects.

    Ids must be unique among them and the built-in profiles.
    """
    taken = {p.id: p for p in builtin_profiles()}
    out: list[Profile] = []
    for item in where:
        for profile in (
            [item] if isinstance(item, Profile) else [load_profile(f) for f in _files(item)]
        ):
            if profile.id in taken:
                other = taken[profile.id]
                origin = (
                    "a built-in profile" if other.builtin else f"the profile in {other.where()}"
                )
                raise ProfileError(
                    f"id {profile.id!r} is already {origin}",
                    file=profile.path,
                    line=profile.lines.get("id"),
                )
            taken[profile.id] = profile
            out.append(profile)
    return out
