"""A clean terminal and clean exits: escaped log text, Ctrl-C, a full disk, any error."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from analyzer import open_case
from analyzer.cli import main
from analyzer.textsafe import visible
from tests.ingest.test_crash import assert_consistent

HOSTILE = "dns-enactor-\x1b]0;pwned\x07-\x1b[31mred\x1b[0m\x9b"
LINES = (
    f"ts=2025-10-20T06:47:00.000Z level=info host={HOSTILE} event=apply_start generation=5\n"
    f"ts=2025-10-20T06:47:01.000Z level=info host={HOSTILE} event=apply_start generation=x\x1b[2J\n"
)


def test_visible_escapes_every_control_character():
    assert visible("a\x1b[31mb\x07\x7f\x9b\tc\nd") == "a\\x1b[31mb\\x07\\x7f\\x9b\\tc\\nd"
    assert visible("plain é ✓") == "plain é ✓"
    assert visible("a\nb\x1b", keep_newlines=True) == "a\nb\\x1b"


@pytest.fixture
def case_db(tmp_path: Path) -> tuple[Path, Path]:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "e.log").write_text(LINES)
    db = tmp_path / "case.duckdb"
    assert CliRunner().invoke(main, ["ingest", str(logs), "--db", str(db)]).exit_code == 0
    return logs, db


def _raw_controls(text: str) -> list[str]:
    return [c for c in text if (ord(c) < 32 and c not in "\n") or 0x7F <= ord(c) <= 0x9F]


@pytest.mark.parametrize(
    "args",
    [
        ["sql", "SELECT host FROM enactor_events"],
        ["quarantine"],
    ],
)
def test_terminal_tables_show_escapes_not_control_bytes(case_db, args):
    _, db = case_db
    result = CliRunner().invoke(main, [*args, "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert _raw_controls(result.output) == []
    assert "\\x1b" in result.output


def test_json_output_keeps_the_text_escaped_as_json(case_db):
    _, db = case_db
    result = CliRunner().invoke(
        main, ["sql", "SELECT host FROM enactor_events", "--db", str(db), "--format", "json"]
    )
    assert "\\u001b]0;pwned\\u0007" in result.output
    assert "\x1b" not in result.output


def test_report_markdown_and_html_hold_no_control_bytes(case_db, tmp_path):
    _, db = case_db
    with open_case(db) as case:
        case.con.execute(
            "INSERT INTO enactor_events (ts, host, event, generation, endpoint, status, error,"
            " file, line) VALUES ('2025-10-20 06:48:00+00', ?, 'endpoint_update', 5,"
            " 'a.example.com', 'error', ?, 'e.log', 3)",
            [HOSTILE, "boom \x1b]8;;http://evil\x07link"],
        )
    out = tmp_path / "rep"
    result = CliRunner().invoke(main, ["report", str(db), "--out", str(out), "--no-figures"])
    assert result.exit_code == 0, result.output
    for name in ("report.md", "report.html"):
        text = (out / name).read_text()
        assert _raw_controls(text) == [], name


def _interrupt_ingest(logs: Path, db: Path, delay: float) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "analyzer", "ingest", str(logs), "--db", str(db), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 60
    while not db.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)  # started: the case is open and the ingest under way
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.slow
def test_ctrl_c_exits_130_with_one_line_and_a_consistent_case(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    line = (
        "ts=2025-10-20T06:47:{s:02d}.000Z level=info host=e{f} event=endpoint_update "
        "generation={i} endpoint=a.example.com attempt=1 status=ok latency_ms=3\n"
    )
    for f in range(8):
        body = "".join(line.format(s=i % 60, f=f, i=i) for i in range(25_000))
        (logs / f"e{f:02d}.log").write_text(body)
    interrupted = 0
    for n, delay in enumerate((0.05, 0.3, 0.8)):
        db = tmp_path / f"case{n}.duckdb"
        result = _interrupt_ingest(logs, db, delay)
        if result.returncode == 0:  # finished before the signal: nothing to check
            continue
        assert result.returncode == 130, result.stderr
        interrupted += 1
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith("interrupted")
        with open_case(db) as case:
            assert_consistent(case)
        again = CliRunner().invoke(main, ["ingest", str(logs), "--db", str(db), "--quiet"])
        assert again.exit_code == 0
        with open_case(db) as case:
            assert case.sql("SELECT count(*) AS n FROM enactor_events")["n"][0] == 8 * 25_000
    assert interrupted >= 1


def test_a_full_disk_is_one_line_naming_the_path(case_db):
    logs, db = case_db
    result = CliRunner().invoke(main, ["audit", str(logs), "--db", str(db), "--json", "/dev/full"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "/dev/full" in result.stderr and "No space left" in result.stderr


def test_a_database_write_error_is_one_line(case_db, monkeypatch):
    logs, db = case_db
    from analyzer.case import Case

    def full(self, *args, **kwargs):
        raise duckdb.IOException(f'Could not write file "{db}.wal": No space left on device')

    monkeypatch.setattr(Case, "ingest", full)
    result = CliRunner().invoke(main, ["ingest", str(logs), "--db", str(db)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and str(db) in result.stderr


def test_any_unexpected_error_is_one_line(case_db, monkeypatch):
    _, db = case_db
    from analyzer.case import Case

    def broken(self, *args, **kwargs):
        raise RuntimeError("something\nnobody expected")

    monkeypatch.setattr(Case, "findings", broken)
    result = CliRunner().invoke(main, ["detect", str(db)])
    assert result.exit_code == 2
    assert result.stderr == "error: RuntimeError: something\n"
