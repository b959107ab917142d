"""docs/profiles.md documents every key the loader accepts and every canonical key."""

from __future__ import annotations

from analyzer.profiles.loader import EVENT_KEYS, PLAN_KEYS, TOP_KEYS, WHEN_KEYS
from analyzer.profiles.model import EVENTS, KEYS, TIME_FORMATS
from tests.conftest import REPO

PAGE = (REPO / "docs" / "profiles.md").read_text(encoding="utf-8")


def test_every_key_and_time_format_is_documented():
    for key in (*TOP_KEYS, *EVENT_KEYS, *WHEN_KEYS, *PLAN_KEYS, *TIME_FORMATS):
        assert f"`{key}`" in PAGE, key
    for table in ("[fields]", "[values.KEY]", "[events.NAME]", "[plan]"):
        assert f"`{table}`" in PAGE, table


def test_every_canonical_key_and_event_name_is_documented():
    for role, keys in KEYS.items():
        row = next(line for line in PAGE.splitlines() if line.startswith(f"| `{role}` |"))
        assert {k.strip(" `") for k in row.split("|")[2].split(",")} == set(keys), role
    for names in EVENTS.values():
        for name in names or ():
            assert f"`{name}`" in PAGE, name
