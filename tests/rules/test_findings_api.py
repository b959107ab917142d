"""The findings API of the library: ``Case.findings`` and the ``Findings`` result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from analyzer import Findings, InputError, open_case
from analyzer.report import finding_id
from analyzer.rules import FINDING_COLUMNS

DATA = Path(__file__).resolve().parents[1] / "data" / "rules"
RACE = DATA / "endpoint_empty" / "restored"


@pytest.fixture(scope="module")
def race_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("api") / "case.duckdb"
    with open_case(db) as case:
        case.ingest(RACE)
    return db


def test_findings_frame_and_records(race_db: Path) -> None:
    with open_case(race_db, read_only=True) as case:  # a read-only case is enough
        found = case.findings()
    assert isinstance(found, Findings)
    assert found.df.columns == ["id", *FINDING_COLUMNS]
    assert [r["id"] for r in found.records()] == [finding_id(r) for r in found.records()]
    assert found.df["id"].n_unique() == found.df.height
    assert found.df.schema["start"] == pl.Datetime("us", "UTC")
    assert found.df.schema["generation"] == pl.Int64
    records = found.records()
    assert len(records) == len(found) == found.df.height
    assert json.loads(found.to_json()) == records
    starts = [r["start"] for r in records]
    assert starts == sorted(starts)
    empty = [r for r in records if r["rule"] == "endpoint_empty"]
    assert [r["end"] for r in empty] == ["2025-10-20T06:41:00.000Z", "2025-10-20T06:40:50.000Z"]
    assert all(isinstance(r["details"], dict) for r in records)
    assert all("order_uncertain" in r["details"] for r in records)


def test_counts_filters_and_min_severity(race_db: Path) -> None:
    with open_case(race_db, read_only=True) as case:
        found = case.findings()
        critical = case.findings(min_severity="critical")
        with pytest.raises(InputError, match="unknown severity"):
            case.findings(min_severity="urgent")
    counts = found.counts()
    assert list(counts) == ["critical", "high", "medium", "low", "info"]
    assert sum(counts.values()) == len(found)
    assert len(critical) == counts["critical"] == len(found.at_or_above("critical"))
    assert len(found.rule("endpoint_empty")) == 2
    assert "critical" in repr(found)


def test_params_flat_or_nested_and_selected_rules(race_db: Path) -> None:
    with open_case(race_db, read_only=True) as case:
        nested = case.findings(
            rules=["blocked_updates"], params={"blocked_updates": {"min_failures": 4}}
        )
        flat = case.findings(rules=["blocked_updates"], params={"blocked_updates.min_failures": 3})
    assert len(nested) == 0
    assert len(flat) == 2 and set(flat.df["rule"]) == {"blocked_updates"}


def test_user_rules_dir(race_db: Path) -> None:
    with open_case(race_db, read_only=True) as case:
        found = case.findings(rules=["operator_restore"], rules_dir=DATA / "_custom")
    (record,) = found.records()
    assert record["severity"] == "info" and record["host"] == "oncall-1"


def test_an_empty_case_has_no_findings() -> None:
    with open_case(None) as case:
        found = case.findings()
    assert len(found) == 0 and found.records() == [] and found.to_json() == "[]"


def test_the_rules_package_imports_no_cli_or_plotting() -> None:
    code = (
        "import sys, analyzer.rules, analyzer; "
        "print('click' in sys.modules, 'matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
