"""The ordering model does not depend on the order of its rows.

DuckDB's thread count changes the order in which joins hand rows to aggregates (and the
Spark engine combines per-bucket rows in another order again); a sum of doubles, or a
tie broken by whichever row came first, then moved corrected times by milliseconds
(the sample's non_monotonic_apply read 06:48:07.437Z with one thread, .440Z with two).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from analyzer import open_case
from analyzer.case import Case

SAMPLE = Path(__file__).resolve().parents[2] / "sample_logs" / "dynamodb-2025-10-20"
MODEL = ("pf_clock_constraints", "pf_clock_edges", "host_clock_windows", "host_clocks")


def _run(case: Case, threads: int) -> tuple[dict[str, list[Any]], str]:
    case.con.execute(f"SET threads = {threads}")
    found = case.findings().records()
    model = {t: case.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in MODEL}
    return model, json.dumps(found, default=str)


def test_the_model_and_findings_are_the_same_with_one_thread_or_two() -> None:
    with open_case(None) as case:
        case.ingest(SAMPLE)
        one = _run(case, 1)
        assert one[0]["host_clock_windows"], "no window: nothing compared"
        assert _run(case, 2) == one
