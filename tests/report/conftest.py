"""Fixtures of the report tests: the hand-written case, its findings, the sample.

``tests/data/report/case/`` is a small, hand-written reconstruction of the October 2025
race (three Enactors, one stalled; a planner log with a hole; a gzip'd resolver log; an
operator note holding ``<script>``); ``findings.json`` holds its findings in the contract
shape, written by hand (the detection rules produce the same, see test_report_findings).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from analyzer import Case, open_case

REPO = Path(__file__).resolve().parents[2]
REPORT_DATA = REPO / "tests" / "data" / "report"
CASE_DIR = REPORT_DATA / "case"
FINDINGS_FILE = REPORT_DATA / "findings.json"
SAMPLE = REPO / "sample_logs" / "dynamodb-2025-10-20"
ENDPOINT = "dynamodb.us-east-1.amazonaws.com"


@pytest.fixture(scope="session")
def hand_findings() -> list[dict[str, Any]]:
    return json.loads(FINDINGS_FILE.read_text())


@pytest.fixture(scope="session")
def hand_case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Case]:
    """The hand-written case, ingested once; read it, never write to it."""
    case = open_case(tmp_path_factory.mktemp("hand") / "hand.duckdb")
    case.ingest(CASE_DIR)
    yield case
    case.close()


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Case, Any]]:
    """The bundled sample, ingested once, with the findings of the detection rules."""
    if not (SAMPLE / "enactor").is_dir():
        pytest.skip("sample_logs/dynamodb-2025-10-20 is not there")
    case = open_case(tmp_path_factory.mktemp("sample") / "sample.duckdb")
    case.ingest(SAMPLE)
    yield case, case.findings()
    case.close()
