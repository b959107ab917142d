"""A case of the bundled sample logs, ingested once for the CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer import open_case
from tests.conftest import REPO

SAMPLE = REPO / "sample_logs" / "dynamodb-2025-10-20"


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("sample-case") / "case.duckdb"
    with open_case(db) as case:
        case.ingest(SAMPLE)
    return db


@pytest.fixture(scope="session")
def sample_records(sample_db: Path) -> list[dict]:
    with open_case(sample_db, read_only=True) as case:
        return case.findings().records()
