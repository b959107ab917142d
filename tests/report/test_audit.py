"""Scheduled audits: the window, exit codes, and what is new, ended or cleared since the last."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer import InputError, open_case, run_audit
from analyzer.audit import history, in_window, parse_since
from analyzer.cli import main
from analyzer.report import normalize

from .conftest import CASE_DIR

UTC = dt.UTC
NOW = dt.datetime(2025, 10, 21, 6, 0, tzinfo=UTC)


def test_parse_since():
    assert parse_since("24h", NOW) == NOW - dt.timedelta(hours=24)
    assert parse_since("90m", NOW) == NOW - dt.timedelta(minutes=90)
    assert parse_since("2w", NOW) == NOW - dt.timedelta(days=14)
    assert parse_since("all", NOW) is None
    assert parse_since("2025-10-20T06:00:00Z", NOW) == dt.datetime(2025, 10, 20, 6, tzinfo=UTC)
    assert parse_since("yesterday", NOW) == dt.datetime(2025, 10, 20, tzinfo=UTC)
    with pytest.raises(InputError, match="--since"):
        parse_since("last tuesday", NOW)


def test_in_window():
    (point,) = normalize([{"rule": "non_monotonic_apply", "start": "2025-10-20T06:00:00Z"}])
    (still_empty,) = normalize([{"rule": "endpoint_empty", "start": "2025-10-19T06:00:00Z"}])
    (ended,) = normalize(
        [{"rule": "endpoint_empty", "start": "2025-10-19T06:00Z", "end": "2025-10-20T07:00Z"}]
    )
    since = dt.datetime(2025, 10, 20, 6, 30, tzinfo=UTC)
    assert not in_window(point, since, NOW)
    assert in_window(still_empty, since, NOW)  # an open interval is in every later window
    assert in_window(ended, since, NOW)
    assert not in_window(ended, dt.datetime(2025, 10, 20, 8, tzinfo=UTC), NOW)
    assert not in_window(point, None, dt.datetime(2025, 10, 20, 5, tzinfo=UTC))  # not yet


def test_library_audit_compares_with_the_previous_one(hand_findings, tmp_path):
    case = open_case(tmp_path / "a.duckdb")
    first = run_audit(case, since="all", findings=hand_findings[:5], now=NOW)
    assert first.previous is None and first.new_ids == {f["id"] for f in first.findings}
    second = run_audit(case, since="all", findings=hand_findings[2:], now=NOW)
    ids = {f["id"]: f["rule"] for f in normalize(hand_findings)}
    assert sorted(ids[i] for i in second.new_ids) == sorted(f["rule"] for f in hand_findings[5:])
    assert sorted(f["rule"] for f in second.cleared) == sorted(f["rule"] for f in hand_findings[:2])
    assert second.exit_code == 1 and second.verdict.startswith("FAIL: ")
    assert history(case)["run_id"].to_list() == [second.run_id, first.run_id]
    clean = run_audit(case, since="all", findings=[], now=NOW, fail_on="critical", record=False)
    assert clean.exit_code == 0 and len(clean.cleared) == 7
    assert history(case).height == 2  # record=False leaves no trace


def audit_cli(logs: Path, db: Path, *args: str) -> tuple[int, dict, str]:
    out = db.parent / "audit.json"
    result = CliRunner().invoke(
        main, ["audit", str(logs), "--db", str(db), "--json", str(out), *args]
    )
    data = json.loads(out.read_text()) if out.exists() and result.exit_code != 2 else {}
    if out.exists():
        out.unlink()
    return result.exit_code, data, result.stdout + result.stderr


def test_audit_cli_exit_codes_and_incremental_runs(tmp_path: Path):
    logs, db = tmp_path / "logs", tmp_path / "case.duckdb"
    shutil.copytree(CASE_DIR / "planner", logs / "planner")
    # the logs as they stood at 06:58: no restore yet, the Enactors not yet resumed
    (logs / "enactor").mkdir()
    later: dict[Path, list[str]] = {}
    for src in sorted((CASE_DIR / "enactor").iterdir()):
        lines = src.read_text().splitlines(keepends=True)
        cut = next(i for i, ln in enumerate(lines) if ln.startswith("ts=2025-10-20T06:59"))
        (logs / "enactor" / src.name).write_text("".join(lines[:cut]))
        later[logs / "enactor" / src.name] = lines[cut:]
    operator = (CASE_DIR / "operator" / "actions.jsonl").read_text().splitlines(keepends=True)
    (logs / "operator").mkdir()
    (logs / "operator" / "actions.jsonl").write_text(operator[0])

    # 1. first audit: everything is new; the endpoint is still empty; exit 1
    code, data, output = audit_cli(logs, db, "--since", "all")
    assert code == 1, output
    assert output.startswith("FAIL: ") and "first audit of this case" in output
    assert data["previous"] is None
    assert {f["status"] for f in data["findings"]} == {"new"}
    empty = next(f for f in data["findings"] if f["rule"] == "endpoint_empty")
    assert empty["end"] is None
    assert "dns_resolution_failure" not in {f["rule"] for f in data["findings"]}

    # 2. the restore is logged and the DNS logs arrive: DNS failures are new, the
    #    empty interval has ended (same id), nothing has cleared
    with (logs / "operator" / "actions.jsonl").open("a") as fh:
        fh.writelines(operator[1:])
    for path, lines in later.items():
        with path.open("a") as fh:
            fh.writelines(lines)
    shutil.copytree(CASE_DIR / "dns", logs / "dns")
    code, data, output = audit_cli(logs, db, "--since", "all")
    assert code == 1, output
    new = [f["rule"] for f in data["findings"] if f["status"] == "new"]
    assert new == ["dns_resolution_failure"]
    assert data["ended"] == [empty["id"]]
    assert data["cleared"] == []
    appended = sum(len(lines) for lines in later.values())
    assert data["ingested"]["loaded"] == 2 + appended + 146 + 36  # only the new lines
    assert "1 new, 0 cleared, 1 ended" in output

    # 3. the same data again: nothing new
    code, data, output = audit_cli(logs, db, "--since", "all", "--quiet")
    assert code == 1 and data["new"] == [] and output.count("\n") == 1

    # 4. a window before the deletion: only high findings, so --fail-on decides
    window = ["--now", "2025-10-20T06:47:31.4Z", "--since", "10m"]
    code, data, _ = audit_cli(logs, db, *window, "--fail-on", "critical")
    assert code == 0
    assert {f["severity"] for f in data["findings"]} == {"high", "medium"}
    code, _, _ = audit_cli(logs, db, *window, "--fail-on", "high")
    assert code == 1

    # 5. a day later, nothing in the window: everything has cleared; exit 0
    code, data, output = audit_cli(logs, db, "--now", "2025-10-22T00:00:00Z", "--since", "24h")
    assert code == 0 and output.startswith("OK: ")
    assert data["findings"] == [] and len(data["cleared"]) >= 4

    # 6. --fail-on none never fails
    code, _, _ = audit_cli(logs, db, "--since", "all", "--fail-on", "none")
    assert code == 0


def test_audit_cli_errors_exit_2(tmp_path: Path):
    code, _, output = audit_cli(CASE_DIR, tmp_path / "c.duckdb", "--since", "soon")
    assert code == 2 and "error: --since" in output
    code, _, output = audit_cli(tmp_path / "nowhere", tmp_path / "c.duckdb")
    assert code == 2 and "no such file or directory" in output


def test_audit_writes_the_report_when_asked(tmp_path: Path):
    out = tmp_path / "report"
    result = CliRunner().invoke(
        main,
        ["audit", str(CASE_DIR), "--db", str(tmp_path / "c.duckdb"), "--since", "all",
         "--out", str(out), "--json", "-"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert json.loads(result.stdout)["exit_code"] == 1  # stdout is only the JSON
    assert result.stderr.startswith("FAIL: ")
    assert (out / "report.html").exists() and (out / "report.json").exists()


def test_audit_lines_read_in_tz_while_the_json_stays_utc(tmp_path: Path):
    code, data, output = audit_cli(
        CASE_DIR, tmp_path / "case.duckdb", "--since", "all", "--tz", "America/Los_Angeles"
    )
    assert code == 1, output
    lines = output.splitlines()
    assert any(" PDT" in ln for ln in lines[1:]), output  # each finding's start, in the zone
    assert not any(re.search(r"\d\dZ\b", ln) for ln in lines), output
    assert data["verdict"] and all(f["start"].endswith("Z") for f in data["findings"])
