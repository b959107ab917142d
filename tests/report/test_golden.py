"""Golden files: the Markdown and JSON reports of the hand-written case.

The time zone, the generation time and the order are pinned; what varies from machine
to machine (the case path, the ingested directory, the versions) is masked. After an
intended change, regenerate and review the diff::

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/report/test_golden.py
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from analyzer import Report, build_report
from analyzer.report.render_markdown import render_markdown
from analyzer.report.writer import report_json

GOLDEN = Path(__file__).parent / "golden"
FIGURES = {name: f"figures/{name}.png" for name in ("swimlane", "generations", "dns_ratio")}
NOW = dt.datetime(2025, 10, 21, 9, 0, tzinfo=dt.UTC)


def golden_report(case, findings) -> Report:
    report = build_report(case, findings, tz="America/Los_Angeles", now=NOW)
    report.case = "<case>"
    report.parameters["roots"] = ["<root>"]
    report.versions = dict.fromkeys(report.versions, "<version>")
    return report


@pytest.fixture(scope="module")
def rendered(hand_case, hand_findings) -> dict[str, str]:
    report = golden_report(hand_case, hand_findings)
    return {
        "report.md": render_markdown(report, figures=FIGURES),
        "report.json": report_json(report, FIGURES),
    }


@pytest.mark.parametrize("name", ["report.md", "report.json"])
def test_golden(rendered, name):
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(rendered[name], encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1"
    assert rendered[name] == path.read_text(encoding="utf-8"), (
        f"{name} differs from {path}; if the change is intended, run "
        "UPDATE_GOLDEN=1 pytest tests/report/test_golden.py and review the diff"
    )


def test_the_report_is_deterministic(hand_case, hand_findings, rendered):
    again = golden_report(hand_case, list(reversed(hand_findings)))
    assert render_markdown(again, figures=FIGURES) == rendered["report.md"]
