"""Findings as the report consumes them: normalisation, stable ids, the hand data's realism."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from analyzer import InputError, finding_id
from analyzer.report.findings import normalize, severity_rank, to_frame

from .conftest import ENDPOINT

BASE = {
    "rule": "endpoint_empty",
    "severity": "critical",
    "start": "2025-10-20T06:48:00.512Z",
    "end": None,
    "endpoint": ENDPOINT,
    "generation": 100,
    "host": None,
    "summary": "empty",
    "details": {},
    "evidence": [{"file": "a.log", "line": 3}],
}


def test_id_is_stable_across_end_summary_and_time_representation():
    closed = {**BASE, "end": "2025-10-20T07:00:00Z", "summary": "closed now"}
    as_datetime = {**BASE, "start": dt.datetime(2025, 10, 20, 6, 48, 0, 512000, tzinfo=dt.UTC)}
    assert finding_id(BASE) == finding_id(closed) == finding_id(as_datetime)


@pytest.mark.parametrize(
    "change",
    [
        {"rule": "cleanup_deleted_live_plan"},
        {"endpoint": "other.example.com"},
        {"generation": 101},
        {"host": "dns-enactor-use1-az1"},
        {"start": "2025-10-20T06:48:00.513Z"},
    ],
)
def test_id_changes_with_each_key_field(change):
    assert finding_id({**BASE, **change}) != finding_id(BASE)


def test_normalize_accepts_records_frames_and_json_details():
    as_json_details = {**BASE, "details": json.dumps({"duration_s": 5})}
    found = normalize([as_json_details])
    assert found[0]["details"] == {"duration_s": 5}
    assert found[0]["start"] == dt.datetime(2025, 10, 20, 6, 48, 0, 512000, tzinfo=dt.UTC)
    assert found[0]["id"] == finding_id(BASE)
    frame = to_frame(found)
    assert frame.schema["start"] == pl.Datetime("us", "UTC")
    again = normalize(frame.drop("sev_rank"))
    assert again[0]["id"] == found[0]["id"]
    assert again[0]["evidence"] == [{"file": "a.log", "line": 3}]


def test_normalize_orders_by_start_then_severity():
    later = {**BASE, "start": "2025-10-20T07:00:00Z"}
    low = {**BASE, "severity": "low", "rule": "clock_skew"}
    rules = [f["rule"] for f in normalize([later, low, BASE])]
    assert rules == ["endpoint_empty", "clock_skew", "endpoint_empty"]
    assert severity_rank("critical") > severity_rank("high") > severity_rank("info") > 0


def test_normalize_rejects_garbage():
    with pytest.raises(InputError):
        normalize([{"severity": "high"}])
    with pytest.raises(InputError):
        normalize([{**BASE, "start": "yesterday"}])


def test_the_hand_findings_are_what_the_rules_find(hand_case, hand_findings):
    """The hand-written findings match the detection rules' on the same logs (the s3 window
    needs the name watched explicitly, as the spec says)."""
    detected = normalize(hand_case.findings(endpoints=["s3.us-east-1.amazonaws.com"]))
    for f in normalize(hand_findings):
        twins = [
            d
            for d in detected
            if (d["rule"], d["endpoint"], d["generation"], d["host"])
            == (f["rule"], f["endpoint"], f["generation"], f["host"])
            and abs((d["start"] - f["start"]).total_seconds()) < 0.05
        ]
        assert twins, f"no detected twin for {f['rule']} {f['endpoint']} {f['start']}"
        assert twins[0]["severity"] == f["severity"]
