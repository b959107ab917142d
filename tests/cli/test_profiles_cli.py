"""``analyzer profiles list|show|test`` and ``--profiles`` through click's CliRunner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from analyzer.cli import main
from tests.conftest import DATA, REPO

FEATURES = DATA / "profiles" / "features"
APPLIER = FEATURES / "profiles" / "applier.toml"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_list_shows_builtin_and_given_profiles(runner):
    result = runner.invoke(
        main, ["profiles", "list", "--profiles", str(FEATURES / "profiles"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in json.loads(result.stdout)}
    assert {"planner", "enactor", "operator", "t-applier", "t-ops"} <= set(rows)
    assert rows["enactor"]["origin"] == "built-in"
    assert rows["t-applier"]["events"] == "endpoint_update, lock_acquire"


def test_show_prints_the_profile_file(runner):
    result = runner.invoke(main, ["profiles", "show", "enactor"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# enactor: enactor, logfmt; built-in, ")
    assert 'format = "logfmt"' in result.stdout
    missing = runner.invoke(main, ["profiles", "show", "nope"])
    assert missing.exit_code == 2 and "no profile 'nope'" in missing.stderr


def test_test_explains_each_line(runner):
    log = FEATURES / "logs" / "applier.jsonl"
    result = runner.invoke(main, ["profiles", "test", str(APPLIER), str(log)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "detect: the first non-empty line matches" in out
    assert (
        "line 1: endpoint_update\n    ts = 2025-10-20T06:30:00.250Z\n    host = a1\n"
        "    generation = 7\n    endpoint = api.example.com\n    status = ok\n"
        "    latency_ms = 48.0\n"
    ) in out
    assert "line 4: kept, not interpreted (no [events.*] when holds)\n" in out
    assert (
        "line 5: not loaded: profile t-applier: endpoint_update lacks status (field out.code)"
        in out
    )
    assert "line 6: not loaded: profile t-applier: latency_ms is not a number: fast" in out
    assert "line 9: not loaded: profile t-applier: invalid JSON" in out
    assert out.rstrip().endswith("9 lines: 3 events, 1 kept, 5 not loaded")


def test_test_says_when_detect_fails_and_which_when_field_no_line_has(runner, tmp_path):
    broken = tmp_path / "p.toml"
    text = APPLIER.read_text().replace('field = "msg", equals', 'field = "mgs", equals')
    broken.write_text(text.replace("applier\"'", "applyer\"'"))
    log = FEATURES / "logs" / "applier.jsonl"
    result = runner.invoke(main, ["profiles", "test", str(broken), str(log), "--lines", "3"])
    assert result.exit_code == 0, result.output
    assert "detect: the first non-empty line does NOT match" in result.stdout
    assert "line 3: kept, not interpreted" in result.stdout
    assert (
        f"note: {broken}:22: [events.lock_acquire] when field 'mgs' is in none of these lines"
    ) in result.stdout


def test_test_json_and_a_dialect(runner, tmp_path):
    from analyzer.simulate import simulate

    out = simulate("random", tmp_path / "sim", seed=3, dialect="text").out
    planner = REPO / "docs" / "profiles" / "text" / "planner.toml"
    result = runner.invoke(
        main,
        [
            "profiles",
            "test",
            str(planner),
            str(out / "planner/planner.log"),
            "--lines",
            "2",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["profile"] == "plain-planner" and doc["detected"] is True
    first = doc["lines"][0]
    assert first["status"] == "event" and first["event"] == "plan_created"
    assert {"name", "ips", "lbs", "weight"} == set(first["fields"]["endpoints"][0])


def test_a_broken_profile_stops_every_command_with_exit_2(runner, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.toml").write_text('id = "x"\nrole = "enactor"\nformat = "yaml"\ndetect = "x"\n')
    for command in (
        ["ingest", str(FEATURES / "logs")],
        ["detect", str(FEATURES / "logs")],
        ["report", str(FEATURES / "logs"), "--out", str(tmp_path / "r")],
        ["audit", str(FEATURES / "logs")],
        ["profiles", "list"],
    ):
        result = runner.invoke(main, [*command, "--profiles", str(bad)])
        assert result.exit_code == 2, (command, result.output)
        assert (
            result.stderr
            == f"error: {bad / 'x.toml'}:3: format must be one of json, logfmt, regex, not 'yaml'\n"
        )


def test_ingest_and_detect_with_profiles(runner, tmp_path):
    from analyzer.simulate import simulate

    out = simulate(
        "dynamodb-2025-10-20", tmp_path / "sim", seed=20251020, dialect="json-nested"
    ).out
    db = tmp_path / "case.duckdb"
    profiles = ["--profiles", str(REPO / "docs" / "profiles" / "json-nested")]
    result = runner.invoke(
        main, ["ingest", str(out), "--db", str(db), "--format", "json", *profiles]
    )
    assert result.exit_code == 0, result.output
    sources = {r["file"]: r["source"] for r in json.loads(result.stdout)["files"]}
    assert sources["enactor/dns-enactor-use1-az4.jsonl"] == "acme-applier"
    found = runner.invoke(main, ["detect", str(db), "--format", "json", "--fail-on", "none"])
    assert found.exit_code == 0, found.output
    rules = {f["rule"] for f in json.loads(found.stdout)}
    assert {"non_monotonic_apply", "cleanup_deleted_live_plan", "endpoint_empty"} <= rules
