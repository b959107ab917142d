"""``analyzer ingest``, ``quarantine`` and ``sql`` through click's CliRunner."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer.cli import main
from tests.conftest import DATA

CONTROL = DATA / "ingest" / "control"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "case.duckdb"


def test_ingest_json_summary(runner, db):
    result = runner.invoke(main, ["ingest", str(CONTROL), "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["case"] == str(db) and out["root"] == str(CONTROL)
    rows = out["files"]
    assert {tuple(sorted(r)) for r in rows} == {
        ("file", "lines", "loaded", "message", "quarantined", "source", "status")
    }
    by_file = {r["file"]: r for r in rows}
    assert by_file["enactor/dns-enactor-use1-az4.log"]["source"] == "enactor"
    assert by_file["notes.txt"]["status"] == "skipped"
    assert by_file["notes.txt"]["message"].startswith("no known log source")
    for r in rows:
        assert r["lines"] == r["loaded"] + r["quarantined"]
    again = runner.invoke(main, ["ingest", str(CONTROL), "--db", str(db), "--format", "json"])
    assert {r["status"] for r in json.loads(again.stdout)["files"]} == {"unchanged"}


def test_ingest_table_summary_names_files_and_totals(runner, db):
    result = runner.invoke(main, ["ingest", str(CONTROL), "--db", str(db)])
    assert result.exit_code == 0
    assert "planner/planner-1.jsonl" in result.stdout
    assert "quarantined" in result.stderr and str(db) in result.stderr


def test_ingest_default_db_is_outside_the_logs(runner, tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("PLAN_FORENSICS_HOME", str(home))
    result = runner.invoke(main, ["ingest", str(CONTROL), "--format", "json"])
    assert result.exit_code == 0
    assert list((home / "cases").glob("control-*.duckdb"))


def test_quarantine_json(runner, db):
    runner.invoke(main, ["ingest", str(CONTROL), "--db", str(db)])
    result = runner.invoke(main, ["quarantine", "--db", str(db), "--format", "json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert all(set(r) == {"file", "line", "reason", "raw"} for r in rows)
    assert {
        "file": "planner/planner-1.jsonl",
        "line": 5,
        "reason": "invalid JSON",
        "raw": '{"ts":"2025-10-20T06:47:41.',
    } in rows


def test_sql_formats(runner, db):
    runner.invoke(main, ["ingest", str(CONTROL), "--db", str(db)])
    q = "SELECT generation, endpoint FROM plans ORDER BY generation, endpoint"
    csv_out = runner.invoke(main, ["sql", q, "--db", str(db), "--format", "csv"]).stdout
    assert csv_out.splitlines()[0] == "generation,endpoint"
    assert "118236,dynamodb.us-east-1.amazonaws.com" in csv_out
    js = json.loads(runner.invoke(main, ["sql", q, "--db", str(db), "--format", "json"]).stdout)
    assert js[0] == {"generation": 118234, "endpoint": "dynamodb-fips.us-east-1.amazonaws.com"}


def test_errors_exit_2_with_one_line(runner, db, tmp_path):
    missing = runner.invoke(main, ["ingest", str(tmp_path / "nope"), "--db", str(db)])
    assert missing.exit_code == 2
    assert missing.stderr.strip().startswith("error:") and len(missing.stderr.splitlines()) == 1
    runner.invoke(main, ["ingest", str(CONTROL), "--db", str(db)])
    bad_sql = runner.invoke(main, ["sql", "SELECT nope FROM plans", "--db", str(db)])
    assert bad_sql.exit_code == 2 and "SQL error" in bad_sql.stderr
    no_db = runner.invoke(main, ["quarantine", "--db", str(tmp_path / "none.duckdb")])
    assert no_db.exit_code == 2


def test_db_inside_the_evidence_is_refused(runner, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    result = runner.invoke(main, ["ingest", str(logs), "--db", str(logs / "case.duckdb")])
    assert result.exit_code == 2 and "inside the evidence" in result.stderr


def test_locked_database_exits_2(runner, db):
    runner.invoke(main, ["ingest", str(CONTROL), "--db", str(db)])
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('ok', flush=True); "
            "time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        start = time.monotonic()
        result = runner.invoke(main, ["ingest", str(CONTROL), "--db", str(db)])
        assert result.exit_code == 2
        assert "in use by another process" in result.stderr
        assert time.monotonic() - start < 10
    finally:
        holder.kill()
        holder.wait()


def test_python_dash_m_works():
    out = subprocess.run(
        [sys.executable, "-m", "analyzer", "--help"], capture_output=True, text=True, check=True
    )
    assert "ingest" in out.stdout


def test_import_analyzer_imports_neither_click_nor_matplotlib():
    code = "import sys, analyzer; print('click' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
