"""The profile engine, feature by feature, on small logs in tests/data/profiles/."""

from __future__ import annotations

import dataclasses

import pytest

from analyzer import open_case
from analyzer.profiles import builtin_profiles, load_profile
from tests.conftest import DATA, REPO, utc

FEATURES = DATA / "profiles" / "features"


@pytest.fixture(scope="module")
def case():
    c = open_case()
    c.results = c.ingest(FEATURES / "logs", profiles=[FEATURES / "profiles"])
    yield c
    c.close()


def test_files_are_read_by_their_profiles_and_every_line_is_accounted(case):
    by_file = {r.file: r for r in case.results}
    assert by_file["applier.jsonl"].source == "t-applier"
    assert by_file["ops.log"].source == "t-ops"
    for r in case.results:
        assert r.lines == r.loaded + r.quarantined
        stored = case.sql("SELECT count(*) AS n FROM quarantine WHERE file = ?", [r.file])
        assert stored["n"][0] == r.quarantined
    assert (by_file["applier.jsonl"].lines, by_file["applier.jsonl"].loaded) == (9, 4)


def test_json_paths_epoch_seconds_groups_values_and_set(case):
    rows = case.sql(
        "SELECT line, ts, host, event, generation, endpoint, status, latency_ms "
        "FROM enactor_events ORDER BY line"
    ).rows()
    assert rows == [
        # the group of `matches` overrides the field (rev=5); the name is canonical
        (
            1,
            utc(2025, 10, 20, 6, 30, 0, 250000),
            "a1",
            "endpoint_update",
            7,
            "api.example.com",
            "ok",
            48.0,
        ),
        # an optional group that took no part gives null, and the field stays
        (
            2,
            utc(2025, 10, 20, 6, 30, 1),
            "a1",
            "endpoint_update",
            6,
            "api.example.com",
            "error",
            None,
        ),
        # `set` constants, mapped by [values.status] like any other value
        (
            3,
            utc(2025, 10, 20, 6, 30, 2),
            "a1",
            "lock_acquire",
            None,
            "api.example.com",
            "contended",
            None,
        ),
        # parsed, but no `when` holds: kept, not interpreted
        (4, utc(2025, 10, 20, 6, 30, 3), "a1", "unmatched", None, None, None, None),
    ]


def test_bad_lines_are_quarantined_with_the_profile_id(case):
    reasons = dict(
        case.sql("SELECT line, reason FROM quarantine WHERE file = 'applier.jsonl'").rows()
    )
    assert reasons == {
        5: "profile t-applier: endpoint_update lacks status (field out.code)",
        6: "profile t-applier: latency_ms is not a number: fast",
        7: "profile t-applier: unparseable time (time_format epoch_s): yesterday",
        8: "profile t-applier: lacks host (field node.id)",
        9: "profile t-applier: invalid JSON",
    }


def test_logfmt_operator_events_select_actions(case):
    rows = case.sql(
        "SELECT line, ts, actor, action, endpoint, generation, note FROM operator_actions "
        "ORDER BY line"
    ).rows()
    assert rows == [
        # no zone: read in the profile's tz (EDT, UTC-4)
        (1, utc(2025, 10, 20, 9, 25), "alice", "restore_endpoint", "api.example.com", 118234, None),
        (2, utc(2025, 10, 20, 5, 26), "bob", "disable_automation", None, None, "paused by hand"),
    ]
    reasons = dict(case.sql("SELECT line, reason FROM quarantine WHERE file = 'ops.log'").rows())
    assert reasons == {
        3: "profile t-ops: not an action: no [events.*] when holds",
        4: "profile t-ops: a key appears twice",
    }


def test_an_event_no_line_matched_is_said_in_the_summary(tmp_path):
    text = (FEATURES / "profiles" / "applier.toml").read_text()
    (tmp_path / "p.toml").write_text(text.replace('equals = "lock"', 'equals = "locked"'))
    case = open_case()
    (result,) = [
        r
        for r in case.ingest(FEATURES / "logs", profiles=[tmp_path / "p.toml"])
        if r.file == "applier.jsonl"
    ]
    assert result.message is not None
    assert result.message.startswith("profile t-applier: no line matched [events.lock_acquire]")
    assert f"{tmp_path / 'p.toml'}:22" in result.message


def test_a_file_appended_to_loads_its_new_lines_with_the_same_profile(tmp_path):
    log = tmp_path / "logs"
    log.mkdir()
    lines = (FEATURES / "logs" / "applier.jsonl").read_text().splitlines(keepends=True)
    (log / "a.jsonl").write_text("".join(lines[:3]))
    case = open_case()
    profiles = [FEATURES / "profiles"]
    assert case.ingest(log, profiles=profiles)[0].loaded == 3
    with (log / "a.jsonl").open("a") as fh:
        fh.write(lines[3])
    (again,) = case.ingest(log, profiles=profiles)
    assert (again.status, again.lines, again.loaded) == ("appended", 4, 4)
    (without,) = case.ingest(log)  # grown again, but its profile is not given
    assert without.status == "unchanged"
    with (log / "a.jsonl").open("a") as fh:
        fh.write(lines[4])
    (without,) = case.ingest(log)
    assert without.status == "changed" and "profile not given" in without.message


def test_builtin_profiles_read_the_spec_formats_as_the_native_ingestors_do():
    """The engine on the spec formats (through the built-in profiles, renamed so they
    are used): the same rows and the same quarantined lines as the native ingestors."""
    sample = REPO / "sample_logs" / "dynamodb-2025-10-20"
    native = open_case()
    native.ingest(sample)
    renamed = [
        dataclasses.replace(p, id=f"{p.id}-profile", builtin=False) for p in builtin_profiles()
    ]
    engine = open_case()
    sources = {r.file: r.source for r in engine.ingest(sample, profiles=renamed)}
    assert sources["enactor/dns-enactor-use1-az1.log"] == "enactor-profile"
    for table in ("enactor_events", "plans", "planner_events", "operator_actions"):
        cols = "*" if table == "plans" else "* EXCLUDE (extra)"
        q = f"SELECT {cols} FROM {table} ORDER BY ALL"
        assert native.sql(q).equals(engine.sql(q)), table
    q = "SELECT file, line FROM quarantine ORDER BY ALL"
    assert native.sql(q).equals(engine.sql(q))


def test_strptime_with_a_zone_and_epoch_ms(tmp_path):
    (tmp_path / "p.toml").write_text(
        'id = "z"\nrole = "operator"\nformat = "regex"\ndetect = "^@"\n'
        "pattern = '^@(?P<ts>.+?) (?P<action>\\S+)$'\n"
        'time_format = "%d/%m/%Y %H:%M:%S %z"\n'
    )
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "o.log").write_text("@20/10/2025 08:00:00 +0200 pause\n")
    case = open_case()
    case.ingest(tmp_path / "logs", profiles=[load_profile(tmp_path / "p.toml")])
    assert case.sql("SELECT ts, action FROM operator_actions").rows() == [
        (utc(2025, 10, 20, 6), "pause")
    ]
