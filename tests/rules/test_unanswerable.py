"""When the input cannot answer: names no log mentions, and DNS logs without a control plane.

A name given with ``--endpoint`` that no log mentions is a warning on stderr (detect and
report) and a line of the report; a case of DNS query logs only says that the cause of
what failed is a root-cause gap, not that nothing was found.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from analyzer import find_gaps, open_case
from analyzer.cli import main
from analyzer.report import gap_records

DATA = Path(__file__).resolve().parents[1] / "data" / "rules" / "dns_resolution_failure"
DISCOVERY = DATA / "discovery"
WITH_PLANS = DATA / "outage"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_an_unmentioned_endpoint_is_a_warning_on_stderr(tmp_path: Path) -> None:
    db = str(tmp_path / "c.duckdb")
    code, out, err = run(
        "detect", str(DISCOVERY), "--db", db, "--format", "json", "--quiet",
        "--endpoint", "svc.example.com.", "--endpoint", "svc.exmaple.com",
    )  # fmt: skip
    assert code == 1
    assert [f["endpoint"] for f in json.loads(out)] == ["svc.example.com"]
    assert err.splitlines() == [
        "warning: --endpoint svc.exmaple.com: no log of the case mentions this name, so "
        "nothing can be said about it (check the spelling)"
    ]
    code, out, err = run(
        "detect", db, "--format", "json", "--quiet", "--endpoint", "svc.example.com"
    )
    assert code == 1 and err == ""


def test_the_report_names_the_unmentioned_endpoint(tmp_path: Path) -> None:
    code, _out, err = run(
        "report", str(DISCOVERY), "--db", str(tmp_path / "c.duckdb"), "--out",
        str(tmp_path / "r"), "--format", "json,md", "--no-figures", "--quiet",
        "--endpoint", "nowhere.example.com",
    )  # fmt: skip
    assert code == 0, err
    assert "warning: --endpoint nowhere.example.com" in err
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    (gap,) = [g for g in report["gaps"] if g["kind"] == "endpoint_not_in_logs"]
    assert gap["endpoint"] == "nowhere.example.com"
    assert "no log of the case mentions it" in gap["statement"]
    assert (
        "nowhere.example.com was selected (--endpoint)"
        in (tmp_path / "r" / "report.md").read_text()
    )


def test_findings_carry_the_unmentioned_names() -> None:
    with open_case(None) as case:
        case.ingest(WITH_PLANS)
        plan_name = case.sql("SELECT min(endpoint) FROM plans").item()
        found = case.findings(endpoints=[plan_name.upper(), "Gone.Example.org."])
        assert found.unmentioned == ("gone.example.org",)
        assert found.at_or_above("critical").unmentioned == ("gone.example.org",)
        assert case.findings().unmentioned == ()


def _gaps(directory: Path) -> list[dict]:
    with open_case(None) as case:
        case.ingest(directory)
        return gap_records(find_gaps(case, case.findings()))


def test_dns_logs_alone_make_the_cause_a_root_cause_gap() -> None:
    gaps = _gaps(DISCOVERY)
    (gap,) = [g for g in gaps if g["kind"] == "no_control_plane"]
    assert gap["importance"] == "high"
    assert gap["numbers"] == {"dns_failure_windows": 1}
    assert "root-cause gap, not an absence of findings" in gap["statement"]
    # one statement instead of three "missing source" notes
    assert not [g for g in gaps if g["kind"] == "missing_source"]


def test_dns_logs_alone_without_an_outage_still_say_what_is_missing(tmp_path: Path) -> None:
    quiet = tmp_path / "dns"
    quiet.mkdir()
    lines = (DISCOVERY / "dns" / "resolver-vpc-1.jsonl").read_text().splitlines()
    (quiet / "r.jsonl").write_text("\n".join(ln for ln in lines if "svc.example.com" not in ln))
    (gap,) = [g for g in _gaps(tmp_path) if g["kind"] == "no_control_plane"]
    assert gap["importance"] == "note"
    assert "cannot say what the control plane did" in gap["statement"]


def test_a_case_with_a_control_plane_has_no_such_gap() -> None:
    assert not [g for g in _gaps(WITH_PLANS) if g["kind"] in ("no_control_plane",)]
