"""Evidence is read-only: no command creates anything inside the evidence directory."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer import open_case
from analyzer.cli import main
from analyzer.errors import CaseError, InputError
from tests.conftest import DATA

CONTROL = DATA / "ingest" / "control"


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    d = tmp_path / "evidence"
    shutil.copytree(CONTROL, d)
    return d


def tree(path: Path) -> set[str]:
    return {p.relative_to(path).as_posix() for p in path.rglob("*")}


def run(*args: str):
    return CliRunner().invoke(main, [*args])


@pytest.mark.parametrize("command", ["ingest", "detect", "report", "audit"])
def test_db_inside_the_evidence_is_refused_before_it_is_created(evidence, tmp_path, command):
    before = tree(evidence)
    extra = ["--out", str(tmp_path / "rep")] if command == "report" else []
    result = run(command, str(evidence), "--db", str(evidence / "sub" / "case.duckdb"), *extra)
    assert result.exit_code == 2, result.output
    assert "inside the evidence" in result.stderr
    assert tree(evidence) == before


def test_db_reached_through_a_link_into_the_evidence_is_refused(evidence, tmp_path):
    link = tmp_path / "cases"
    link.symlink_to(evidence / "planner")
    before = tree(evidence)
    result = run("ingest", str(evidence), "--db", str(link / "case.duckdb"))
    assert result.exit_code == 2 and "inside the evidence" in result.stderr
    assert tree(evidence) == before


def test_report_out_inside_the_evidence_is_refused(evidence, tmp_path):
    db = tmp_path / "case.duckdb"
    before = tree(evidence)
    result = run("report", str(evidence), "--db", str(db), "--out", str(evidence / "report"))
    assert result.exit_code == 2 and "inside the evidence" in result.stderr
    assert tree(evidence) == before
    # the case knows where its evidence is: a report of the case file is refused too
    assert run("ingest", str(evidence), "--db", str(db)).exit_code == 0
    result = run("report", str(db), "--out", str(evidence / "planner" / "r"), "--no-figures")
    assert result.exit_code == 2 and "inside the evidence" in result.stderr
    assert tree(evidence) == before


def test_audit_json_and_out_inside_the_evidence_are_refused(evidence, tmp_path):
    db = tmp_path / "case.duckdb"
    before = tree(evidence)
    for option, target in (("--json", "audit.json"), ("--out", "rep")):
        result = run("audit", str(evidence), "--db", str(db), option, str(evidence / target))
        assert result.exit_code == 2 and "inside the evidence" in result.stderr, result.output
    assert tree(evidence) == before


@pytest.mark.parametrize("name", ["events.jsonl", "table.csv", "data.parquet", "notes"])
def test_db_that_is_not_a_duckdb_database_is_refused(tmp_path, name):
    other = tmp_path / name
    other.write_bytes(b'{"a": 1}\n')
    result = run("ingest", str(CONTROL), "--db", str(other))
    assert result.exit_code == 2 and "not a DuckDB database" in result.stderr
    assert other.read_bytes() == b'{"a": 1}\n'
    with pytest.raises(CaseError, match="not a DuckDB database"):
        open_case(other)


def test_library_refuses_a_report_into_the_evidence(evidence, tmp_path):
    case = open_case(tmp_path / "c.duckdb")
    case.ingest(evidence)
    with pytest.raises(InputError, match="inside the evidence"):
        case.report(evidence / "r", figures=False)
    assert not (evidence / "r").exists()


def test_outputs_beside_the_evidence_are_fine(evidence, tmp_path):
    db = tmp_path / "case.duckdb"
    result = run("audit", str(evidence), "--db", str(db), "--json", str(tmp_path / "a.json"))
    assert result.exit_code in (0, 1), result.output
    assert (tmp_path / "a.json").exists() and db.exists()
    assert os.path.commonpath([db, evidence]) != str(evidence)
