"""Fixtures of the ingest tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    """An empty evidence directory for the test to fill."""
    d = tmp_path / "logs"
    d.mkdir()
    return d
