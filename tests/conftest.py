"""Shared fixtures: paths to the test data and to the published real DNS log lines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
# Real DNS log lines published by other projects; laid beside the repo, never copied in.
REAL_LOGS = REPO.parent / "shared" / "real-logs"


def ingest(logs: Path):
    """A new in-memory case with ``logs`` ingested, and its results by file."""
    from analyzer import open_case

    case = open_case()
    return case, {r.file: r for r in case.ingest(logs)}


def utc(*args: int) -> dt.datetime:
    """A UTC datetime, as the case returns its ``ts`` columns."""
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _isolated_case_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Default case databases go to a temporary home, never to the user's."""
    monkeypatch.setenv("PLAN_FORENSICS_HOME", str(tmp_path_factory.mktemp("pf-home")))
