"""Findings you can act on: ids everywhere, explain, evidence, windows, exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from click.testing import CliRunner

from analyzer import load_rules, open_case
from analyzer.cli import main
from analyzer.report import finding_id
from analyzer.report.findings import parse_time
from tests.cli.conftest import SAMPLE


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _json(result) -> object:
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_ids_in_json_table_frame_and_records(runner, sample_db, sample_records):
    found = _json(
        runner.invoke(main, ["detect", str(sample_db), "--format", "json", "--fail-on", "none"])
    )
    assert [f["id"] for f in found] == [finding_id(f) for f in found]
    assert [f["id"] for f in found] == [r["id"] for r in sample_records]
    with open_case(sample_db, read_only=True) as case:
        df = case.findings().df
    assert df["id"].to_list() == [r["id"] for r in sample_records]
    table = runner.invoke(main, ["detect", str(sample_db), "--fail-on", "none"]).stdout
    assert table.splitlines()[0].split()[:2] == ["id", "severity"]
    for f in found:
        assert f["id"] in table


def test_explain_shows_proof_evidence_lines_and_timeline(runner, sample_db, sample_records):
    (f,) = [r for r in sample_records if r["rule"] == "cleanup_deleted_live_plan"]
    out = runner.invoke(
        main, ["explain", f["id"][:8], str(sample_db), "--tz", "America/Los_Angeles"]
    )
    assert out.exit_code == 0, out.output
    text = out.stdout
    assert text.startswith(f"{f['id']}  critical  cleanup_deleted_live_plan")
    assert "Proof:" in text and "Therefore" in text
    for e in f["evidence"]:
        raw = (SAMPLE / e["file"]).read_text().splitlines()[e["line"] - 1]
        assert f"  {e['file']}:{e['line']}: {raw}" in text
    timeline = text.split("Timeline within")[1]
    marked = [line for line in timeline.splitlines() if line.startswith(" *")]
    assert marked and all("PDT" in line for line in marked)
    unknown = runner.invoke(main, ["explain", "ffffffffffff", str(sample_db)])
    assert unknown.exit_code == 2 and "matches no finding" in unknown.stderr


def test_explain_a_medium_finding_without_proof(runner, sample_db, sample_records):
    (f,) = [r for r in sample_records if r["rule"] == "enactor_stall"]
    out = runner.invoke(main, ["explain", f["id"], str(sample_db)])
    assert out.exit_code == 0, out.output
    assert "only critical and high findings are proven" in out.stdout
    assert f"Evidence ({len(f['evidence'])} lines)" in out.stdout


def test_case_evidence_returns_the_raw_lines(sample_db, sample_records):
    f = next(r for r in sample_records if r["rule"] == "non_monotonic_apply")
    with open_case(sample_db, read_only=True) as case:
        lines = case.evidence(f)
        by_id = case.evidence(f["id"])
    assert lines == by_id
    assert [(q["file"], q["line"]) for q in lines] == [
        (e["file"], e["line"]) for e in f["evidence"]
    ]
    for q in lines:
        assert q["text"] == (SAMPLE / q["file"]).read_text().splitlines()[q["line"] - 1]
        assert q["problem"] is None


def _touches(f, start, end) -> bool:
    s, e = parse_time(f["start"]), parse_time(f["end"]) or parse_time(f["start"])
    return s <= end and e >= start


@pytest.mark.parametrize(
    ("since", "until"),
    [("2025-10-20T06:45:00Z", "2025-10-20T06:48:10Z"), ("2025-10-20T09:00:00Z", None)],
)
def test_detect_since_until(runner, sample_db, sample_records, since, until):
    args = ["detect", str(sample_db), "--format", "json", "--fail-on", "none", "--since", since]
    got = _json(runner.invoke(main, [*args, "--until", until] if until else args))
    start = parse_time(since)
    end = parse_time(until) if until else dt.datetime.max.replace(tzinfo=dt.UTC)
    want = [r["id"] for r in sample_records if _touches(r, start, end)]
    assert [f["id"] for f in got] == want
    assert 0 < len(want) < len(sample_records)


def test_detect_relative_window_and_errors(runner, sample_db):
    recent = runner.invoke(main, ["detect", str(sample_db), "--format", "json", "--since", "2h"])
    assert recent.exit_code == 0 and json.loads(recent.stdout) == []  # 2025's logs
    swapped = runner.invoke(
        main, ["detect", str(sample_db), "--since", "today", "--until", "yesterday"]
    )
    assert swapped.exit_code == 2 and "after --until" in swapped.stderr


def test_report_since_until(runner, sample_db, sample_records, tmp_path):
    args = ["report", str(sample_db), "--out", str(tmp_path), "--format", "json", "--no-figures"]
    out = runner.invoke(main, [*args, "--since", "2025-10-20T06:48:10Z", "--quiet"])
    assert out.exit_code == 0, out.output
    data = json.loads((tmp_path / "report.json").read_text())
    start = parse_time("2025-10-20T06:48:10Z")
    end = dt.datetime.max.replace(tzinfo=dt.UTC)
    want = {r["id"] for r in sample_records if _touches(r, start, end)}
    assert {f["id"] for f in data["findings"]} == want and len(want) < len(sample_records)


def test_timeline_jsonl_is_timesketch_shaped(runner, sample_db):
    out = runner.invoke(
        main, ["timeline", str(sample_db), "--format", "jsonl", "--tz", "America/Los_Angeles"]
    )
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    with open_case(sample_db, read_only=True) as case:
        events = case.timeline(tz="America/Los_Angeles").events
    assert len(rows) == events.height > 5
    for row, ev in zip(rows, events.iter_rows(named=True), strict=True):
        assert row["message"] == ev["sentence"] and row["timestamp_desc"]
        assert dt.datetime.fromisoformat(row["datetime"]) == ev["ts"]  # ISO 8601, UTC offset
        assert row["timestamp"] == int(ev["ts"].timestamp() * 1_000_000)
        assert row["time"] == ev["time"]  # the chosen zone, for people
        for ref in row["evidence"].split():
            file, line = ref.rsplit(":", 1)
            assert {"file": file, "line": int(line)} in ev["evidence"]


def test_timeline_csv(runner, sample_db):
    out = runner.invoke(main, ["timeline", str(sample_db), "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert list(rows[0])[:4] == ["message", "datetime", "timestamp", "timestamp_desc"]
    assert all(r["message"] and r["datetime"].endswith("+00:00") for r in rows)


def test_findings_as_sarif(runner, sample_db, sample_records):
    sarif = _json(
        runner.invoke(main, ["detect", str(sample_db), "--format", "sarif", "--fail-on", "none"])
    )
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} == set(load_rules().rules)
    results = run["results"]
    assert len(results) == len(sample_records)
    level = {
        "critical": "error",
        "high": "error",
        "medium": "warning",
        "low": "note",
        "info": "note",
    }
    for res, f in zip(results, sample_records, strict=True):
        assert res["ruleId"] == f["rule"] and rules[res["ruleIndex"]]["id"] == f["rule"]
        assert res["level"] == level[f["severity"]]
        assert res["partialFingerprints"]["findingId/v1"] == f["id"]
        locs = [
            (
                loc["physicalLocation"]["artifactLocation"]["uri"],
                loc["physicalLocation"]["region"]["startLine"],
            )
            for loc in res["locations"]
        ]
        assert locs == [(e["file"], e["line"]) for e in f["evidence"]]


def test_findings_as_csv_with_ids(runner, sample_db, sample_records):
    out = runner.invoke(main, ["detect", str(sample_db), "--format", "csv", "--fail-on", "none"])
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["id"] for r in rows] == [f["id"] for f in sample_records]
    assert json.loads(rows[0]["evidence"]) == sample_records[0]["evidence"]


def test_table_times_are_in_the_chosen_zone(runner, sample_db, sample_records):
    args = ["detect", str(sample_db), "--fail-on", "none", "--tz", "America/Los_Angeles"]
    table = runner.invoke(main, args).stdout
    assert any("Z" in (r["summary"] or "") and "T" in r["summary"] for r in sample_records)
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", table)
    assert "PDT" in table and "-07:00" in table
