"""The CLI in scripts and cron: case paths, pipes, exit codes, sql, schema, simulate."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer import open_case
from analyzer.cli import main
from analyzer.cli.progress import Progress
from tests.cli.conftest import SAMPLE
from tests.conftest import DATA

CONTROL = DATA / "ingest" / "control"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_detect_on_a_log_file_says_it_needs_a_directory(runner):
    log = CONTROL / "planner" / "planner-1.jsonl"
    result = runner.invoke(main, ["detect", str(log)])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert "not a case database" in result.stderr and str(log.parent) in result.stderr


def test_db_with_a_case_file_is_a_contradiction(runner, sample_db, tmp_path):
    result = runner.invoke(main, ["detect", str(sample_db), "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 2 and "give only one" in result.stderr
    assert not (tmp_path / "x.duckdb").exists()


def test_a_closed_pipe_exits_quietly(sample_db):
    """``analyzer sql ... | head -1``: no error message, the shell's SIGPIPE status."""
    query = ["sql", "SELECT * FROM dns_queries", str(sample_db), "--format", "csv"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "analyzer", *query],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"ts,qname")
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141
    assert err == b""


def test_rerun_says_nothing_new_and_sql_quarantine_find_the_log_dirs_case(runner, tmp_path):
    logs = tmp_path / "logs"
    shutil.copytree(CONTROL, logs)
    absent = runner.invoke(main, ["sql", "SELECT 1", str(logs)])
    assert absent.exit_code == 2 and "no case for" in absent.stderr
    first = runner.invoke(main, ["detect", str(logs), "--fail-on", "none"])
    assert first.exit_code == 0, first.output
    assert "ingested" in first.stderr and "nothing new" not in first.stderr
    again = runner.invoke(main, ["detect", str(logs), "--fail-on", "none"])
    assert "nothing new" in again.stderr and "ingested" not in again.stderr
    counted = runner.invoke(
        main, ["sql", "SELECT count(*) AS n FROM files", str(logs), "--format", "json"]
    )
    assert counted.exit_code == 0, counted.output
    files = len([p for p in logs.rglob("*") if p.is_file()])
    assert json.loads(counted.stdout) == [{"n": files}]
    quarantined = runner.invoke(main, ["quarantine", str(logs), "--format", "json"])
    by_db = runner.invoke(main, ["quarantine", "--db", str(logs), "--format", "json"])
    assert quarantined.exit_code == 0 and json.loads(quarantined.stdout)
    assert json.loads(by_db.stdout) == json.loads(quarantined.stdout)
    both = runner.invoke(main, ["quarantine", str(logs), "--db", str(logs)])
    assert both.exit_code == 2


def test_sql_reads_stdin_runs_each_statement_and_caps_rows(runner, sample_db):
    with open_case(sample_db, read_only=True) as case:
        total = case.sql("SELECT count(*) AS n FROM dns_queries")["n"][0]
        hosts = case.sql("SELECT count(DISTINCT host) AS n FROM enactor_events")["n"][0]
    script = "SELECT count(DISTINCT host) AS n FROM enactor_events;\nSELECT * FROM dns_queries;"
    out = runner.invoke(main, ["sql", "-", str(sample_db)], input=script)
    assert out.exit_code == 0, out.output
    first, second = out.stdout.split("\n\n")
    assert first.splitlines()[2].strip() == str(hosts)
    body = second.splitlines()
    assert len(body) == 2 + 40 + 1  # header, rule, the rows shown, the footer
    assert body[-1] == f"{total:,} rows, 40 shown; --limit N shows more (0: all)"
    five = runner.invoke(main, ["sql", "SELECT * FROM dns_queries", str(sample_db), "--limit", "5"])
    assert len(five.stdout.splitlines()) == 2 + 5 + 1
    every = runner.invoke(
        main, ["sql", "SELECT qname FROM dns_queries", str(sample_db), "--format", "csv"]
    )
    assert len(every.stdout.splitlines()) == total + 1 and every.stderr == ""
    js = runner.invoke(
        main, ["sql", "-", str(sample_db), "--format", "json"], input="SELECT 1 AS a; SELECT 2 AS b"
    )
    assert json.loads(js.stdout) == [[{"a": 1}], [{"b": 2}]]


def test_sql_since_until_shows_only_the_window(runner, sample_db):
    with open_case(sample_db, read_only=True) as case:
        want = case.sql(
            "SELECT count(*) AS n FROM dns_queries WHERE ts >= TIMESTAMPTZ '2025-10-20 07:00:00Z' "
            "AND ts <= TIMESTAMPTZ '2025-10-20 08:00:00Z'"
        )["n"][0]
        every = case.sql("SELECT count(*) AS n FROM dns_queries")["n"][0]
    q = "SELECT count(*) AS n FROM dns_queries"
    args = ["sql", q, str(sample_db), "--format", "json"]
    got = runner.invoke(
        main, [*args, "--since", "2025-10-20T07:00:00Z", "--until", "2025-10-20T08:00:00Z"]
    )
    assert got.exit_code == 0, got.output
    assert json.loads(got.stdout) == [{"n": want}] and 0 < want < every
    recent = runner.invoke(main, [*args, "--since", "2h"])
    assert json.loads(recent.stdout) == [{"n": 0}]
    bad = runner.invoke(main, [*args, "--since", "soon"])
    assert bad.exit_code == 2 and "--since" in bad.stderr


def test_schema_lists_tables_with_row_counts_and_columns(runner, sample_db):
    out = runner.invoke(main, ["schema", str(sample_db), "--format", "json"])
    assert out.exit_code == 0, out.output
    tables = {t["table"]: t for t in json.loads(out.stdout)}
    with open_case(sample_db, read_only=True) as case:
        for name in ("plans", "enactor_events", "dns_queries", "quarantine", "files"):
            assert tables[name]["rows"] == case.sql(f"SELECT count(*) AS n FROM {name}")["n"][0]
    assert tables["plans"]["holds"].startswith("One row per plan generation")
    cols = runner.invoke(main, ["schema", str(sample_db), "dns_queries", "--format", "json"])
    by_name = {c["column"]: c for c in json.loads(cols.stdout)}
    assert by_name["ts"]["type"] == "TIMESTAMP WITH TIME ZONE" and by_name["line"]["meaning"]
    missing = runner.invoke(main, ["schema", str(sample_db), "nope"])
    assert missing.exit_code == 2 and "no table 'nope'" in missing.stderr


def test_simulate_refuses_a_non_empty_directory(runner, tmp_path):
    out = tmp_path / "logs"
    out.mkdir()
    (out / "keep.txt").write_text("mine\n")
    refused = runner.invoke(main, ["simulate", "random", "--out", str(out), "--seed", "1"])
    assert refused.exit_code == 2 and "--force" in refused.stderr
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    forced = runner.invoke(
        main, ["simulate", "random", "--out", str(out), "--seed", "1", "--force"]
    )
    assert forced.exit_code == 0, forced.output
    assert (out / "ground-truth.json").exists() and (out / "keep.txt").read_text() == "mine\n"


def test_severity_colours_respect_no_color(runner, sample_db):
    args = ["detect", str(sample_db), "--fail-on", "none"]
    coloured = runner.invoke(main, args, color=True)
    assert "\x1b[31m\x1b[1mcritical" in coloured.stdout
    plain = runner.invoke(main, args, color=True, env={"NO_COLOR": "1"})
    assert "\x1b[" not in plain.stdout and "critical" in plain.stdout
    piped = runner.invoke(main, args)  # not a terminal: click drops the colours
    assert "\x1b[" not in piped.stdout


def test_tables_fit_the_terminal_width(runner, sample_db):
    wide = runner.invoke(main, ["detect", str(sample_db), "--fail-on", "none"])
    assert max(len(line) for line in wide.stdout.splitlines()) > 100
    for columns in ("120", "100", "80"):
        narrow = runner.invoke(
            main, ["detect", str(sample_db), "--fail-on", "none"], env={"COLUMNS": columns}
        )
        lines = narrow.stdout.splitlines()
        assert max(len(ANSI.sub("", line)) for line in lines) <= int(columns)
        assert "…" in narrow.stdout
        if columns != "80":
            assert "critical" in narrow.stdout


def test_progress_shows_files_done_of_total_with_an_eta_then_rules_and_report(tmp_path):
    stream = io.StringIO()
    bar = Progress(stream=stream, force=True, interval=0)
    bar.start_ingest(CONTROL)
    total = len([p for p in CONTROL.rglob("*") if p.is_file()])
    bar("a.log", 10, 100)
    bar("a.log", 100, 100)
    bar("b.log", 50, 200)
    bar.step("rules")("stale_plan_check", 3, 9)
    bar.step("report")("figures", 1, 3)
    bar.close()
    shown = stream.getvalue().split("\r")
    assert any(s.startswith(f"ingest: 0/{total} files") for s in shown)
    assert any(s.startswith(f"ingest: 1/{total} files") and "b.log" in s for s in shown)
    assert any(s.startswith("rules: 3/9 stale_plan_check") for s in shown)
    assert any(s.startswith("report: 1/3 figures") for s in shown)
    assert stream.getvalue().endswith("\r")  # the line is cleared when done
    silent = io.StringIO()
    Progress(stream=silent)("a.log", 1, 2)  # not a terminal: nothing
    assert silent.getvalue() == ""


def test_progress_eta(monkeypatch):
    clock = iter([0.0])
    monkeypatch.setattr("analyzer.cli.progress.time.monotonic", lambda: next(clock, 2.0))
    stream = io.StringIO()
    bar = Progress(stream=stream, force=True, interval=0)
    bar._total_files, bar._total_bytes = 2, 4 * 2**20
    bar("a.log", 2**20, 2**20)  # 1 MiB of 4 in 2 s: 6 s to go
    assert "1.0 of 4.0 MiB, ETA 0:06" in stream.getvalue()


def test_progress_eta_of_rules(monkeypatch):
    clock = iter([0.0, 0.0])  # the bar's start, the step's start; then 3 s have passed
    monkeypatch.setattr("analyzer.cli.progress.time.monotonic", lambda: next(clock, 3.0))
    stream = io.StringIO()
    rules = Progress(stream=stream, force=True, interval=0).step("rules")
    rules("dns_resolution_failure", 0, 4)
    rules("enactor_stall", 1, 4)  # 1 rule of 4 in 3 s: 9 s to go
    shown = stream.getvalue().split("\r")
    assert any(s.startswith("rules: 0/4 dns_resolution_failure") for s in shown)
    assert any(s.startswith("rules: 1/4, ETA 0:09 enactor_stall") for s in shown)


def test_readme_cron_line_uses_fail_on_new():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    (cron,) = [line for line in readme.splitlines() if "analyzer audit" in line and "* *" in line]
    assert "--fail-on-new" in cron


@pytest.mark.skipif(os.name != "posix", reason="POSIX shells")
def test_audit_fail_on_new_pages_once(runner, tmp_path):
    db = tmp_path / "case.duckdb"
    args = [
        "audit",
        str(SAMPLE),
        "--db",
        str(db),
        "--since",
        "all",
        "--now",
        "2025-10-21T00:00:00Z",
    ]
    first = runner.invoke(main, [*args, "--fail-on-new"])
    assert (
        first.exit_code == 1 and first.stdout.startswith("FAIL:") and " new finding" in first.stdout
    )
    second = runner.invoke(main, [*args, "--fail-on-new"])
    assert second.exit_code == 0, second.output
    assert second.stdout.startswith("OK: nothing new at or above high")
    plain = runner.invoke(main, args)
    assert plain.exit_code == 1  # without the flag, old findings still fail
