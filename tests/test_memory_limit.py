"""Every case connection has DuckDB's share of the 1.2 GB budget (``case.MEMORY_LIMIT``).

The share is what keeps the report's peak under 1.2 GB at 100M DNS lines (measured in
benchmarks/RESULTS.md, "Peak memory of the report"); here: that each kind of case gets
it, that ``PLAN_FORENSICS_MEMORY_LIMIT`` overrides it, and that a bad value is refused.
"""

import duckdb
import pytest

from analyzer import open_case
from analyzer.case import MEMORY_LIMIT
from analyzer.errors import InputError

LIMIT = "SELECT current_setting('memory_limit')"


def _as_duckdb_shows(limit: str) -> str:
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{limit}'")
    return con.execute(LIMIT).fetchall()[0][0]


def test_duckdb_share_leaves_room_for_the_interpreter():
    value, unit = _as_duckdb_shows(MEMORY_LIMIT).split()  # e.g. "762.9 MiB"
    share = float(value) * {"MiB": 2**20, "GiB": 2**30}[unit]
    # the 1.2 GB budget less the 0.2-0.3 GB the interpreter and its libraries hold
    assert 0.5e9 <= share <= 0.9e9, share


@pytest.mark.parametrize("on_disk", [False, True])
def test_every_case_gets_the_share(tmp_path, monkeypatch, on_disk):
    monkeypatch.delenv("PLAN_FORENSICS_MEMORY_LIMIT", raising=False)
    with open_case(tmp_path / "c.duckdb" if on_disk else None) as case:
        assert case.con.execute(LIMIT).fetchall()[0][0] == _as_duckdb_shows(MEMORY_LIMIT)


def test_the_environment_overrides_the_share(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAN_FORENSICS_MEMORY_LIMIT", "2GB")
    with open_case(tmp_path / "c.duckdb") as case:
        assert case.con.execute(LIMIT).fetchall()[0][0] == _as_duckdb_shows("2GB")
    monkeypatch.setenv("PLAN_FORENSICS_MEMORY_LIMIT", "lots")
    with pytest.raises(InputError, match="PLAN_FORENSICS_MEMORY_LIMIT='lots'"):
        open_case(None)
