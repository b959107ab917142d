"""The reconstructed timeline: order, phases, times in the zone, evidence, impact."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from analyzer import InputError, build_timeline

from .conftest import ENDPOINT

UTC = dt.UTC
TRIGGER = dt.datetime(2025, 10, 20, 6, 47, 31, 512000, tzinfo=UTC)
S3 = "s3.us-east-1.amazonaws.com"


@pytest.fixture(scope="module")
def tl(hand_case, hand_findings):
    return build_timeline(hand_case, hand_findings, tz="America/Los_Angeles")


def test_the_chain_of_key_events_in_order(tl):
    kinds = tl.events.filter(pl.col("endpoint").ne_missing(S3))["kind"].to_list()
    assert kinds == [
        "stall_begins",
        "newer_plans",
        "fast_apply",
        "cleanup_start",
        "stale_overwrite",
        "live_plan_deleted",
        "endpoint_empty",
        "first_failed_query",
        "blocked_updates",
        "operator_action",  # disable_automation
        "operator_action",  # restore_endpoint
        "last_failed_query",
        "operator_action",  # enable_automation
    ]
    assert tl.events["ts"].is_sorted()


def test_trigger_is_the_deletion_of_the_live_plan(tl):
    assert tl.trigger == TRIGGER
    deleted = tl.events.filter(pl.col("kind") == "live_plan_deleted").row(0, named=True)
    assert deleted["since_trigger_s"] == 0
    assert deleted["host"] == "dns-enactor-use1-az1"
    stall = tl.events.filter(pl.col("kind") == "stall_begins").row(0, named=True)
    assert stall["since_trigger"] == "-0:07:31.012"
    assert stall["host"] == "dns-enactor-use1-az4"


def test_times_are_shown_in_the_chosen_zone(tl, hand_case, hand_findings):
    deleted = tl.events.filter(pl.col("kind") == "live_plan_deleted").row(0, named=True)
    assert deleted["time"] == "2025-10-19 23:47:31.512 PDT"
    utc = build_timeline(hand_case, hand_findings, tz="UTC")
    assert utc.events.filter(pl.col("kind") == "live_plan_deleted")["time"][0] == (
        "2025-10-20 06:47:31.512 UTC"
    )
    with pytest.raises(InputError, match="time zone"):
        build_timeline(hand_case, hand_findings, tz="Mars/Olympus")


def test_the_derived_events_come_from_the_logs(tl):
    rows = {r["kind"]: r for r in tl.events.iter_rows(named=True)}
    assert rows["fast_apply"]["generation"] == 115
    assert rows["fast_apply"]["evidence"] == [
        {"file": "enactor/dns-enactor-use1-az1.log", "line": 115}
    ]
    assert rows["cleanup_start"]["evidence"] == [
        {"file": "enactor/dns-enactor-use1-az1.log", "line": 117}
    ]
    assert "14 of them, generations 101–115" in rows["newer_plans"]["sentence"]
    assert "overwriting the newer generation 115" in rows["stale_overwrite"]["sentence"]
    assert "12 failed attempts by 3 Enactor(s)" in rows["blocked_updates"]["sentence"]


def test_every_event_has_evidence_that_exists(tl, hand_case):
    evidence = tl.events.select(pl.col("evidence").explode().struct.unnest()).unique()
    assert tl.events.filter(pl.col("evidence").list.len() == 0).height == 0
    known = hand_case.sql(
        """SELECT file, line FROM enactor_events UNION ALL SELECT file, line FROM planner_events
           UNION ALL SELECT file, line FROM operator_actions UNION ALL
           SELECT file, line FROM dns_queries"""
    )
    missing = evidence.join(known, on=["file", "line"], how="anti")
    assert missing.height == 0, missing


def test_phases_follow_each_other(tl):
    phase = dict(zip(tl.events["kind"], tl.events["phase"], strict=False))
    assert phase["stale_overwrite"] == "trigger"
    assert phase["endpoint_empty"] == "impact"
    actions = tl.events.filter(pl.col("kind") == "operator_action")["phase"].to_list()
    assert actions == ["detection and mitigation", "recovery", "recovery"]
    assert tl.phases["phase"].to_list() == [
        "trigger",
        "impact",
        "detection and mitigation",
        "recovery",
    ]


def test_impact_window_per_endpoint(tl):
    rows = {r["endpoint"]: r for r in tl.impact.to_dicts()}
    ddb = rows[ENDPOINT]
    assert ddb["first_failed"] == dt.datetime(2025, 10, 20, 6, 47, 40, tzinfo=UTC)
    assert ddb["last_failed"] == dt.datetime(2025, 10, 20, 6, 53, 50, tzinfo=UTC)
    assert (ddb["failed"], ddb["total"]) == (57, 57)
    assert ddb["cause_rule"] == "endpoint_empty"
    assert ddb["cause_to_first_failure_s"] == pytest.approx(8.488)
    assert ddb["empty_s"] == pytest.approx(328.488)
    assert rows[S3]["cause_rule"] is None  # nothing in the control plane explains it


def test_records_are_json_ready(tl):
    rec = tl.records()[0]
    assert rec["ts"] == "2025-10-20T06:40:00.500Z"
    assert isinstance(rec["facts"], dict)
    assert tl.chain[0].startswith("dns-enactor-use1-az4 starts applying generation 100")


def test_no_findings_no_timeline(hand_case):
    empty = build_timeline(hand_case, [])
    # the operators' actions are still key events; nothing else is
    assert set(empty.events["kind"]) == {"operator_action"}
    assert empty.impact.height == 0


def test_event_clocks_are_looked_up_per_file_not_per_event(sample, tmp_path):
    """Many events citing one file: the corrected times come from one lookup of that
    file's clock. Per event, DuckDB joined each event with every line of its file (at
    10M DNS lines the report's timeline had spilled 12 GB when stopped): no operator
    may produce more rows than the case has lines."""
    import json

    from analyzer.report.timeline import _corrected

    case, _ = sample
    con = case.con
    lines = con.execute(
        "SELECT (SELECT count(*) FROM enactor_events) + (SELECT count(*) FROM planner_events)"
        " + (SELECT count(*) FROM dns_queries) + (SELECT count(*) FROM operator_actions)"
    ).fetchall()[0][0]
    cited = con.sql(
        "SELECT [{'file': file, 'line': line}] AS evidence, ts FROM enactor_events "
        "WHERE host = 'dns-enactor-use1-az1' ORDER BY line LIMIT 300"
    ).pl()
    profile = tmp_path / "profile.json"
    before = con.execute("SELECT current_setting('max_temp_directory_size')").fetchall()[0][0]
    con.execute("SET max_temp_directory_size = '256MB'")  # a regression fails, not the disk
    con.execute("SET enable_profiling = 'json'")
    con.execute(f"SET profiling_output = '{profile}'")
    try:
        out = _corrected(con, cited)
    finally:
        con.execute("SET enable_profiling = 'no_output'")
        con.execute("SET max_temp_directory_size = ?", [before])

    def rows(node):
        yield int(node.get("operator_cardinality", 0) or 0)
        for child in node.get("children", []):
            yield from rows(child)

    assert max(rows(json.loads(profile.read_text()))) <= lines
    assert out["evidence"].to_list() == cited["evidence"].to_list()  # the events' order kept
    expected = con.sql(
        "SELECT pf_corrected_at('dns-enactor-use1-az1', ts) FROM enactor_events "
        "WHERE host = 'dns-enactor-use1-az1' ORDER BY line LIMIT 300"
    ).pl()
    assert out["tc"].to_list() == expected.to_series().to_list()
