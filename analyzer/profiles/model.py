"""What a source profile is once loaded, and the canonical keys it may fill.

The keys, their types and the keys each event needs are those of log-formats.md
(sections 1-3), the same as the native ingestors use; ``docs/profiles.md`` is the
user's reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..ingest.enactor import REQUIRED as ENACTOR_REQUIRED
from ..ingest.enactor import TYPED_KEYS as ENACTOR_KEYS

ROLES = ("planner", "enactor", "operator")
FORMATS = ("json", "logfmt", "regex")
TIME_FORMATS = ("rfc3339", "epoch_s", "epoch_ms")

# role -> canonical key -> DuckDB type of its value ("TS": a time, read per time_format)
KEYS: dict[str, dict[str, str]] = {
    "enactor": {**ENACTOR_KEYS, "ts": "TS"},
    "planner": {
        "ts": "TS",
        "host": "VARCHAR",
        "event": "VARCHAR",
        "generation": "BIGINT",
        "endpoints": "JSON",
    },
    "operator": {
        "ts": "TS",
        "actor": "VARCHAR",
        "action": "VARCHAR",
        "endpoint": "VARCHAR",
        "generation": "BIGINT",
        "note": "VARCHAR",
    },
}

# role -> event -> keys a line of that event cannot be understood without
REQUIRED: dict[str, dict[str, tuple[str, ...]]] = {
    "enactor": ENACTOR_REQUIRED,
    "planner": {"plan_created": ("generation", "endpoints")},
    "operator": {},
}
# keys every loaded line of a role needs, whatever its event
ALWAYS: dict[str, tuple[str, ...]] = {
    "enactor": ("ts", "host"),
    "planner": ("ts",),
    "operator": ("ts", "action"),
}
# role -> the event names an ``[events.*]`` table may have (None: any name, the action)
EVENTS: dict[str, tuple[str, ...] | None] = {
    "enactor": tuple(ENACTOR_REQUIRED),
    "planner": ("plan_created",),
    "operator": None,
}
# the canonical key that names a line's event, per role
EVENT_KEY = {"enactor": "event", "planner": "event", "operator": "action"}
# the event of an Enactor line that no ``when`` selected and that has no event field
UNMATCHED = "unmatched"
# [plan]: the fields of each item of the endpoints list, with their types
PLAN_ITEM = {"name": "VARCHAR", "ips": "VARCHAR[]", "lbs": "INTEGER", "weight": "BIGINT"}


@dataclass(frozen=True)
class When:
    """Selects the lines of an event: ``field`` equals a string or matches a pattern."""

    field: str
    equals: str | None = None
    matches: str | None = None
    groups: tuple[str | None, ...] = ()  # capturing groups of ``matches``, in order


@dataclass(frozen=True)
class Event:
    name: str
    when: When | None
    set: dict[str, str]


@dataclass(frozen=True)
class Profile:
    """A validated profile: how to read one kind of log as canonical events."""

    id: str
    role: str
    format: str
    detect: str
    pattern: str | None = None
    groups: tuple[str | None, ...] = ()  # capturing groups of ``pattern``, in order
    time_format: str = "rfc3339"
    tz: str | None = None
    fields: dict[str, str] = field(default_factory=dict)  # canonical key -> source field
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    events: tuple[Event, ...] = ()
    plan: dict[str, str] = field(default_factory=dict)  # endpoints, name, ips, lbs, weight
    path: Path | None = None
    lines: dict[str, int] = field(default_factory=dict)  # "events.x.when" -> line in path
    builtin: bool = False

    def where(self, key: str = "") -> str:
        """``path:line`` of a key of the profile file (for messages)."""
        if self.path is None:
            return f"profile {self.id}"
        line = self.lines.get(key)
        return f"{self.path}:{line}" if line else str(self.path)

    def source_field(self, key: str) -> str | None:
        """The source field a canonical key is read from (default: the same name)."""
        if key in self.fields:
            return self.fields[key]
        if self.format == "regex":
            return key if key in self.groups else None
        return key

    @property
    def keys(self) -> dict[str, str]:
        return KEYS[self.role]
