"""stdout holds only the output: DuckDB's progress bar never reaches it.

DuckDB prints its progress bar on the process's stdout (not through Python's
``sys.stdout``, so CliRunner cannot see it) once a query runs longer than
``progress_bar_time``. The test runs ``detect --format json`` in a subprocess with one
extra rule that runs longer than that threshold, and parses stdout as JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb

DATA = Path(__file__).resolve().parents[1] / "data" / "rules"
RACE = DATA / "blocked_updates" / "after_live_delete"

SLOW_RULE = """-- id: slow_probe
-- title: A rule that runs longer than DuckDB's progress threshold
-- severity: info
-- tables: enactor_events
-- description: Counts hashes for a while; finds nothing.
SELECT 'slow_probe' AS rule, 'info' AS severity, NULL AS start, NULL AS "end",
       NULL AS endpoint, NULL AS generation, NULL AS host, NULL AS summary,
       NULL AS details, [] AS evidence
FROM (SELECT count(*) AS n FROM range({rows}) t(i) WHERE hash(i) % 7 = 0)
WHERE n < 0
"""


def _threshold_s() -> float:
    con = duckdb.connect()
    try:
        return float(con.execute("SELECT current_setting('progress_bar_time')").fetchone()[0]) / 1e3
    finally:
        con.close()


def test_detect_json_stdout_is_only_json_while_a_query_runs_long(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "slow_probe.sql").write_text(SLOW_RULE.format(rows=1_500_000_000))
    cmd = [
        sys.executable,
        "-m",
        "analyzer",
        "detect",
        str(RACE),
        "--db",
        str(tmp_path / "c.duckdb"),
        "--format",
        "json",
        "--rules",
        str(rules),
    ]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - t0
    assert done.returncode == 1, done.stderr
    assert elapsed > _threshold_s(), "the probe did not run past DuckDB's progress threshold"
    found = json.loads(done.stdout)  # nothing but the array
    assert {f["rule"] for f in found} >= {"cleanup_deleted_live_plan"}
