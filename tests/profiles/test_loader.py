"""Loading profiles: valid ones load; broken ones fail with path:line and what is wrong."""

from __future__ import annotations

import pytest

from analyzer.errors import ProfileError
from analyzer.profiles import builtin_profiles, load_profile, load_profiles
from analyzer.profiles.loader import capture_groups
from tests.conftest import REPO

GOOD = """\
id = "acme-applier"
role = "enactor"
format = "json"
detect = '"svc":"dns-applier"'

[fields]
ts = "@timestamp"
host = "node"
generation = "rev"

[events.endpoint_update]
when = { field = "msg", matches = '^wrote (?P<endpoint>\\S+) rev=(?P<generation>\\d+)' }
"""


def _write(tmp_path, text, name="p.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_profile_loads_with_its_tables(tmp_path):
    p = load_profile(_write(tmp_path, GOOD))
    assert (p.id, p.role, p.format) == ("acme-applier", "enactor", "json")
    assert p.fields == {"ts": "@timestamp", "host": "node", "generation": "rev"}
    (ev,) = p.events
    assert ev.name == "endpoint_update" and ev.when.groups == ("endpoint", "generation")
    assert p.where("events.endpoint_update.when").endswith("p.toml:12")


def test_builtin_and_example_profiles_load():
    assert {p.id for p in builtin_profiles()} == {"planner", "enactor", "operator"}
    examples = load_profiles(REPO / "docs/profiles/json-nested", REPO / "docs/profiles/text")
    assert len(examples) == 6


BROKEN = [
    (GOOD.replace('format = "json"', 'format = "json"\ncolour = "red"'), 4, "unknown key 'colour'"),
    (GOOD.replace('role = "enactor"', 'role = "applier"'), 2, "role must be one of"),
    (GOOD.replace('host = "node"', "host = 7"), 8, "fields.host must be a string, not int"),
    (GOOD.replace('host = "node"', 'hostname = "node"'), 8, "'hostname' is not a canonical key"),
    (GOOD.replace("(?P<endpoint>", "(?P<endpoint"), 12, "does not compile"),
    (
        GOOD.replace("matches", "equals")
        .replace("equals = '^", "matches = '^")
        .replace("when = {", "when = { equals = 'x',"),
        12,
        "exactly one of equals and matches",
    ),
    (
        GOOD.replace("[events.endpoint_update]", "[events.endpoint_updated]"),
        11,
        "unknown event 'endpoint_updated'",
    ),
    (GOOD.replace('detect = \'"svc":"dns-applier"\'', "detect = '(?=x)'"), 4, "does not compile"),
    (
        GOOD.replace('format = "json"', 'format = "json"\ntime_format = "seconds"'),
        4,
        "time_format must be one of",
    ),
    (
        GOOD.replace('format = "json"', 'format = "json"\ntime_format = "%Y %Q"'),
        4,
        "time_format: Failed to parse format specifier %Y %Q",
    ),
    (
        GOOD.replace('format = "json"', 'format = "json"\ntz = "Mars/Olympus"'),
        4,
        "unknown time zone",
    ),
    (GOOD + '\n[plan]\nendpoints = "x"\n', 14, '[plan] is for role = "planner" only'),
    (GOOD.replace("id = ", "id == "), 1, "not valid TOML"),
    (GOOD.replace("rev=(?P<generation>", "rev=(?P<gen>"), 12, "'gen' is not a canonical key"),
]


@pytest.mark.parametrize(("text", "line", "message"), BROKEN)
def test_broken_profiles_name_path_line_and_problem(tmp_path, text, line, message):
    path = _write(tmp_path, text)
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert err.value.file == str(path) and err.value.line == line, str(err.value)
    assert message in str(err.value)
    assert str(err.value).startswith(f"{path}:{line}: ")


def test_regex_profiles_check_their_group_names(tmp_path):
    text = """id = "t"\nrole = "operator"\nformat = "regex"\ndetect = 'x'\n""" + (
        """pattern = '^(?P<ts>\\S+) (?P<who>\\S+)$'\n[fields]\nactor = "whom"\n"""
    )
    with pytest.raises(ProfileError, match="the pattern has no group named 'whom'") as err:
        load_profile(_write(tmp_path, text))
    assert err.value.line == 7
    no_ts = text.replace('"whom"', '"who"').replace("(?P<ts>", "(?P<when>")
    with pytest.raises(ProfileError, match="no group gives ts") as err:
        load_profile(_write(tmp_path, no_ts))
    assert err.value.line == 5
    with pytest.raises(ProfileError, match="pattern is required"):
        load_profile(_write(tmp_path, text.split("pattern")[0]))


def test_ids_are_unique_among_all_profiles(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _write(tmp_path / "a", GOOD)
    _write(tmp_path / "b", GOOD)
    with pytest.raises(ProfileError, match="already the profile in"):
        load_profiles(tmp_path / "a", tmp_path / "b")
    _write(tmp_path / "b", GOOD.replace('"acme-applier"', '"enactor"'))
    with pytest.raises(ProfileError, match="already a built-in profile"):
        load_profiles(tmp_path / "b")
    with pytest.raises(ProfileError, match="no such profile file or directory"):
        load_profiles(tmp_path / "missing")


def test_capture_groups_in_order_with_classes_and_escapes():
    assert capture_groups(r"^(?P<a>x)(y)[(](?:z)\((?P<b>w)") == ("a", None, "b")
