"""The bundled sample against the public timeline of 20 October 2025.

AWS's summary: the DNS race at 11:48 PM PDT (06:48 UTC), DNS information restored by
2:25 AM PDT (09:25 UTC), recovery as caches expired by 2:40 AM PDT (09:40 UTC). The
report, built from the detection rules' findings, must tell the same story within a
minute, name the stale overwrite and the deleting Enactor (as the simulator's ground
truth has them), and list the root-cause gaps.
"""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from analyzer import build_report, build_timeline, find_gaps

from .conftest import ENDPOINT, SAMPLE

UTC = dt.UTC


def utc(h: int, m: int) -> dt.datetime:
    return dt.datetime(2025, 10, 20, h, m, tzinfo=UTC)


def near(t: dt.datetime, target: dt.datetime, seconds: float = 60) -> bool:
    return abs((t - target).total_seconds()) <= seconds


@pytest.fixture(scope="module")
def truth() -> dict[str, dict]:
    found = json.loads((SAMPLE / "ground-truth.json").read_text())
    return {f["rule"]: f for f in found}


@pytest.fixture(scope="module")
def tl(sample):
    case, found = sample
    return build_timeline(case, found, tz="America/Los_Angeles")


def test_trigger_at_11_48_pm_pdt(tl):
    assert near(tl.trigger, utc(6, 48))
    deleted = tl.events.filter(pl.col("kind") == "live_plan_deleted").row(0, named=True)
    assert deleted["time"].startswith("2025-10-19 23:48:")
    assert deleted["time"].endswith(" PDT")


def test_restore_at_09_25_and_recovery_by_09_40(tl):
    restore = tl.events.filter(
        (pl.col("kind") == "operator_action") & pl.col("sentence").str.contains("restore_endpoint")
    ).row(0, named=True)
    assert near(restore["ts"], utc(9, 25))
    assert restore["phase"] == "recovery"
    last = tl.events.filter(pl.col("kind") == "last_failed_query").row(0, named=True)
    assert utc(9, 25) <= last["ts"] <= utc(9, 40)
    impact = tl.impact.filter(pl.col("endpoint") == ENDPOINT).row(0, named=True)
    assert near(impact["first_failed"], utc(6, 48))
    assert near(impact["empty_end"], utc(9, 25))


def test_names_the_stale_overwrite_and_the_deleting_enactor(tl, truth):
    rows = {r["kind"]: r for r in tl.events.iter_rows(named=True)}
    stale_host = truth["non_monotonic_apply"]["host"]
    deleter = truth["cleanup_deleted_live_plan"]["host"]
    assert rows["stale_overwrite"]["host"] == stale_host
    assert (
        f"stale generation {truth['non_monotonic_apply']['generation']}"
        in (rows["stale_overwrite"]["sentence"])
    )
    assert rows["live_plan_deleted"]["host"] == deleter
    assert rows["stall_begins"]["host"] == stale_host
    assert rows["fast_apply"]["host"] == deleter
    assert tl.events["kind"].to_list().index("stale_overwrite") < (
        tl.events["kind"].to_list().index("live_plan_deleted")
    )


def test_lists_the_root_cause_gaps(sample):
    case, found = sample
    gaps = find_gaps(case, found)
    assert gaps.height >= 1
    stall = gaps.filter(pl.col("kind") == "stall_delay").row(0, named=True)
    numbers = json.loads(stall["numbers"])
    # the sample's slow Enactor logs its lock contention: the back-off explains the delay
    assert numbers["contended_locks"] > 0
    assert numbers["accounted_s"] > 0.9 * numbers["duration_s"]


def test_the_report_summary_tells_the_story(sample):
    case, found = sample
    report = build_report(case, found, tz="America/Los_Angeles")
    first, second, third = report.summary
    assert first.startswith("At 2025-10-19 23:48:")
    assert "deleted plan" in first and "stale plan" in first
    assert "Clients failed to resolve" in second
    assert "restored" in third and "2025-10-20 02:25:00 PDT" in third
