"""``analyzer detect`` and ``analyzer rules``: output formats, options, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer import open_case
from analyzer.cli import main

DATA = Path(__file__).resolve().parents[1] / "data" / "rules"
RACE = DATA / "blocked_updates" / "after_live_delete"
DNS_ONLY = DATA / "dns_resolution_failure" / "dns_logs_only"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def race_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("race") / "race.duckdb"
    with open_case(db) as case:
        case.ingest(RACE)
    return db


def test_json_is_only_the_array_and_high_findings_exit_1(tmp_path: Path) -> None:
    code, out, err = run(
        "detect", str(RACE), "--db", str(tmp_path / "c.duckdb"), "--format", "json"
    )
    assert code == 1
    found = json.loads(out)
    rules = {f["rule"] for f in found}
    assert {"cleanup_deleted_live_plan", "endpoint_empty", "blocked_updates"} <= rules
    for f in found:
        assert list(f)[:11] == [
            "id", "rule", "severity", "start", "end", "endpoint", "generation", "host", "summary",
            "details", "evidence",
        ]  # fmt: skip
        assert f["start"].endswith("Z")
        assert all(set(e) == {"file", "line"} for e in f["evidence"])
    assert "findings (" in err


def test_fail_on_threshold_and_none(race_db: Path) -> None:
    assert run("detect", str(race_db), "--fail-on", "none", "--quiet")[0] == 0
    # non_monotonic_apply is high: it fails --fail-on high, not --fail-on critical
    only_high = ("detect", str(race_db), "--rule", "non_monotonic_apply", "--quiet")
    assert run(*only_high)[0] == 1
    assert run(*only_high, "--fail-on", "critical")[0] == 0


def test_min_severity_and_rule_selection(race_db: Path) -> None:
    code, out, _ = run("detect", str(race_db), "--format", "json", "--min-severity", "critical")
    assert code == 1
    assert {f["severity"] for f in json.loads(out)} == {"critical"}
    code, out, _ = run("detect", str(race_db), "--format", "json", "--rule", "endpoint_empty")
    assert {f["rule"] for f in json.loads(out)} == {"endpoint_empty"}


def test_params_from_the_command_line_and_a_config_file(race_db: Path, tmp_path: Path) -> None:
    base = ("detect", str(race_db), "--format", "json", "--rule", "blocked_updates")
    assert len(json.loads(run(*base)[1])) == 2
    assert json.loads(run(*base, "--param", "blocked_updates.min_failures=4")[1]) == []
    toml = tmp_path / "p.toml"
    toml.write_text("[blocked_updates]\nmin_failures = 4\n")
    assert json.loads(run(*base, "--config", str(toml))[1]) == []
    js = tmp_path / "p.json"
    js.write_text('{"blocked_updates": {"min_failures": 3}}')
    assert len(json.loads(run(*base, "--config", str(js))[1])) == 2
    # the command line wins over the file
    assert len(json.loads(run(*base, "--config", str(toml), "--param",
                              "blocked_updates.min_failures=3")[1])) == 2  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--param", "nope.x=1"), "parameters given for unknown rule nope"),
        (("--param", "enactor_stall.typo=1"), "rule enactor_stall has no parameter 'typo'"),
        (("--param", "enactor_stall.min_s=soon"), "enactor_stall.min_s must be like its default"),
        (("--param", "min_s=1"), "bad --param 'min_s=1'"),
        (("--rule", "nope"), "unknown rule nope"),
        (("--tz", "Mars/Olympus"), "unknown time zone"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    race_db: Path, args: tuple[str, ...], message: str
) -> None:
    code, out, err = run("detect", str(race_db), *args)
    assert code == 2, err
    assert out == ""
    assert err.startswith("error: ") and message in err
    assert err.count("\n") == 1


def test_a_broken_user_rule_is_reported_with_path_and_line(race_db: Path, tmp_path: Path) -> None:
    shutil.copy(DATA / "_broken" / "syntax_error.sql", tmp_path)
    code, _, err = run("detect", str(race_db), "--rules", str(tmp_path))
    assert code == 2
    assert f"{tmp_path / 'syntax_error.sql'}:10: " in err


def test_user_rules_from_another_directory(race_db: Path, tmp_path: Path) -> None:
    (tmp_path / "operator").mkdir()
    (tmp_path / "operator" / "a.jsonl").write_text(
        '{"ts":"2025-10-20T07:00:00Z","component":"operator","actor":"me",'
        '"action":"restore_endpoint","endpoint":"db.example.com","generation":7}\n'
    )
    code, out, _ = run(
        "detect", str(tmp_path), "--db", str(tmp_path.parent / "u.duckdb"),
        "--rules", str(DATA / "_custom"), "--format", "json", "--rule", "operator_restore",
    )  # fmt: skip
    assert code == 0
    (finding,) = json.loads(out)
    assert finding["summary"] == "me ran restore_endpoint on db.example.com"
    assert finding["evidence"] == [{"file": "operator/a.jsonl", "line": 1}]


def test_endpoint_option_watches_a_name_no_plan_publishes(tmp_path: Path) -> None:
    db = str(tmp_path / "d.duckdb")
    code, out, _ = run("detect", str(DNS_ONLY), "--db", db, "--format", "json")
    assert (code, json.loads(out)) == (0, [])
    code, out, _ = run(
        "detect", str(DNS_ONLY), "--db", db, "--format", "json", "--endpoint", "api.example.org."
    )
    assert code == 1
    assert [f["endpoint"] for f in json.loads(out)] == ["api.example.org"]


def test_table_in_a_chosen_zone_and_csv(race_db: Path) -> None:
    code, out, _ = run(
        "detect", str(race_db), "--rule", "endpoint_empty", "--tz", "America/Los_Angeles"
    )
    assert code == 1
    assert out.splitlines()[0].split() == [
        "id", "severity", "rule", "start", "end", "endpoint", "gen", "host", "summary"
    ]  # fmt: skip
    assert "2025-10-19 23:40:29.200-07:00" in out
    assert "enactor/dns-enactor-use1-az1.log:13" in out
    code, out, _ = run("detect", str(race_db), "--rule", "endpoint_empty", "--format", "csv")
    lines = out.splitlines()
    header = "id,rule,severity,start,end,endpoint,generation,host,summary,details,evidence"
    assert lines[0] == header
    assert len(lines) == 3 and ",2025-10-20T06:40:29.200Z," in lines[1]


def test_rules_list_show_and_doc(tmp_path: Path) -> None:
    code, out, _ = run("rules", "list", "--format", "json")
    assert code == 0
    listed = {r["id"]: r["severity"] for r in json.loads(out)}
    assert listed["cleanup_deleted_live_plan"] == "critical" and len(listed) == 12
    code, out, _ = run("rules", "show", "enactor_stall")
    assert code == 0
    assert "param:       min_s = 60" in out and "-- id: enactor_stall" in out
    assert run("rules", "show", "nope")[0] == 2
    page = tmp_path / "rules.md"
    assert run("rules", "doc", "--out", str(page))[0] == 0
    docs = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
    assert page.read_text() == docs.read_text()
    code, out, _ = run("rules", "list", "--rules", str(DATA / "_custom"))
    assert "operator_restore" in out
