"""Strict values: integers are integers, times are possible times, commands survive the rest."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from analyzer import open_case
from analyzer.cli import main

PLAN = (
    '{{"ts":"{ts}","component":"planner","host":"p1","event":"plan_created",'
    '"generation":{gen},"endpoints":[{{"name":"a.example.com","lbs":{lbs},"ips":["192.0.2.1"]}}]}}'
)
ENACTOR = (
    "ts={ts} level=info host=e1 event=endpoint_update generation={gen} "
    "endpoint=a.example.com attempt={attempt} status=ok latency_ms=12\n"
)
TS = "2025-10-20T06:47:31.204Z"


def reasons(case) -> dict[int, str]:
    return dict(case.sql("SELECT line, reason FROM quarantine ORDER BY line").rows())


@pytest.mark.parametrize("gen", ["118234.6", "true", '"0x10"', "1e3", '"118234"'])
def test_a_planner_generation_must_be_an_integer(logs, gen):
    lines = [PLAN.format(ts=TS, gen=118233, lbs=4), PLAN.format(ts=TS, gen=gen, lbs=4)]
    (logs / "p.jsonl").write_text("\n".join(lines) + "\n")
    case = open_case()
    res = case.ingest(logs)[0]
    assert (res.loaded, res.quarantined) == (1, 1)
    assert reasons(case)[2].startswith("generation is not an integer")
    assert case.sql("SELECT generation FROM plans")["generation"].to_list() == [118233]


def test_an_endpoint_count_must_be_an_integer(logs):
    (logs / "p.jsonl").write_text(PLAN.format(ts=TS, gen=5, lbs="4.5") + "\n")
    case = open_case()
    assert case.ingest(logs)[0].quarantined == 1
    assert "lbs" in reasons(case)[1]


@pytest.mark.parametrize(
    ("gen", "attempt", "key"),
    [("118234.6", "1", "generation"), ("0x10", "1", "generation"), ("7", "1.0", "attempt")],
)
def test_enactor_integers_must_be_integers(logs, gen, attempt, key):
    text = ENACTOR.format(ts=TS, gen=100, attempt=1) + ENACTOR.format(
        ts=TS, gen=gen, attempt=attempt
    )
    (logs / "e.log").write_text(text)
    case = open_case()
    res = case.ingest(logs)[0]
    assert (res.loaded, res.quarantined) == (1, 1)
    assert reasons(case)[2] == f"{key} is not an integer: {gen if key == 'generation' else attempt}"


@pytest.mark.parametrize(
    "ts",
    [
        "0001-01-01T00:00:00Z",  # Go's zero time
        "1969-12-31T23:59:59Z",
        "2200-01-01T00:00:00Z",
        "2025-10-20T06:47:31+25:00",
        "2025-10-20T06:47:31.5-07:61",
    ],
)
def test_impossible_times_are_quarantined(logs, ts):
    text = ENACTOR.format(ts=TS, gen=1, attempt=1) + ENACTOR.format(ts=ts, gen=2, attempt=1)
    (logs / "e.log").write_text(text)
    (logs / "p.jsonl").write_text(PLAN.format(ts=ts, gen=3, lbs=1) + "\n")
    case = open_case()
    res = {r.file: r for r in case.ingest(logs)}
    assert (res["e.log"].loaded, res["e.log"].quarantined) == (1, 1)
    assert res["p.jsonl"].quarantined == 1
    assert case.sql("SELECT count(*) AS n FROM plans")["n"][0] == 0


def test_possible_offsets_still_load(logs):
    text = "".join(
        ENACTOR.format(ts=f"2025-10-20T06:47:31{z}", gen=i, attempt=1)
        for i, z in enumerate(["+14:00", "-12:00", "+05:45", "+0530", "-03"])
    )
    (logs / "e.log").write_text(text)
    case = open_case()
    assert case.ingest(logs)[0].loaded == 5


def test_commands_survive_whatever_the_tables_hold(tmp_path):
    """A case filled by other means (a notebook, an older version) may hold anything."""
    db = tmp_path / "case.duckdb"
    with open_case(db) as case:
        far = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
        case.con.execute(
            "INSERT INTO enactor_events (ts, host, event, generation, endpoint, status, file, line)"
            " VALUES (?, 'e1', 'endpoint_update', 9223372036854775807, 'a.example.com',"
            " 'ok', 'x.log', 1), ('9999-12-31 23:59:59+00', 'e\x1b]0;pwned\x07', 'apply_start',"
            " -1, NULL, NULL, 'x.log', 2)",
            [far],
        )
        case.con.execute(
            "INSERT INTO plans VALUES (-5, 'a.example.com', ?, 'p', NULL, NULL, NULL, 'p', 1)",
            [far],
        )
    runner = CliRunner()
    out = tmp_path / "rep"
    for args in (
        ["sql", "SELECT * FROM enactor_events", "--db", str(db)],
        ["detect", str(db), "--fail-on", "none"],
        ["report", str(db), "--out", str(out), "--no-figures"],
        ["audit", str(db), "--since", "99999999999999d", "--now", "2025-10-21T00:00:00Z"],
    ):
        result = runner.invoke(main, args)
        assert result.exit_code in (0, 1, 2), (args, result.output)
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit
        ), (args, repr(result.exception))


def test_a_case_with_a_schema_version_that_is_no_number_is_refused(tmp_path):
    db = tmp_path / "case.duckdb"
    with open_case(db) as case:
        case.con.execute("UPDATE case_meta SET value = 'abc' WHERE key = 'schema_version'")
    result = CliRunner().invoke(main, ["report", str(db), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "schema version 'abc'" in result.stderr
    assert not (tmp_path / "r").exists()
