"""Root-cause gaps: on the hand case, and against what the simulator injected."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import polars as pl
import pytest

from analyzer import GapOptions, find_gaps, open_case
from analyzer.report import gap_records
from analyzer.simulate import simulate

from .conftest import CASE_DIR, ENDPOINT

S3 = "s3.us-east-1.amazonaws.com"


@pytest.fixture(scope="module")
def gaps(hand_case, hand_findings) -> list[dict[str, Any]]:
    return gap_records(find_gaps(hand_case, hand_findings))


def _kind(gaps: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [g for g in gaps if g["kind"] == kind]


def test_stall_accounting(gaps):
    (stall,) = _kind(gaps, "stall_delay")
    n = stall["numbers"]
    assert n["contended_locks"] == 3
    assert n["backoff_s"] == pytest.approx(14.0)  # 2 + 4 + 8 s announced
    assert n["update_latency_s"] == pytest.approx(41.873)
    assert n["duration_s"] == pytest.approx(450.9)
    assert n["unexplained_s"] == pytest.approx(450.9 - 14.0 - 41.873)
    assert stall["importance"] == "high"  # 88% unexplained
    assert "unexplained" in stall["statement"]
    assert {"file": "enactor/dns-enactor-use1-az4.log", "line": 33} in stall["evidence"]


def test_silent_host_is_the_stalled_one_only(gaps):
    silent = _kind(gaps, "silent_host")
    assert [(g["host"], g["start"], g["end"]) for g in silent] == [
        ("dns-enactor-use1-az4", "2025-10-20T06:40:14.550Z", "2025-10-20T06:47:31.300Z")
    ]
    # the Enactors' common pause after disable_automation (06:50-06:59) is no silence


def test_generations_nobody_created(gaps):
    missing = _kind(gaps, "missing_plan")
    inside = [g for g in missing if "holes" in g["statement"]]
    before = [g for g in missing if "older than the first plan" in g["statement"]]
    assert inside[0]["numbers"]["used"] == [109]
    assert inside[0]["numbers"]["deleted"] == [109]
    assert inside[0]["importance"] == "high"
    assert before[0]["numbers"]["used"] == [94, 95, 96, 97, 98]
    assert before[0]["importance"] == "note"


def test_dns_failures_and_recoveries_without_a_cause(gaps):
    no_cause = _kind(gaps, "dns_failure_without_cause")
    unexplained = _kind(gaps, "dns_recovery_unexplained")
    assert [g["endpoint"] for g in no_cause] == [S3]
    assert [g["endpoint"] for g in unexplained] == [S3]
    assert unexplained[0]["end"] == "2025-10-20T06:55:20.500Z"  # the first good answer
    # dynamodb's failure follows the deletion and its recovery follows the restore
    assert ENDPOINT not in {g["endpoint"] for g in no_cause + unexplained}


def test_without_the_operator_log_the_recovery_is_unexplained(tmp_path, hand_findings):
    case = open_case(None)
    for sub in ("planner", "enactor", "dns"):
        case.ingest(CASE_DIR / sub)
    # the rules' evidence names files relative to the case dir; the gaps only need times
    found = [f for f in hand_findings if f["rule"] != "endpoint_empty"]
    records = gap_records(find_gaps(case, found))
    assert ENDPOINT in {g["endpoint"] for g in _kind(records, "dns_recovery_unexplained")}
    assert [g["numbers"]["source"] for g in _kind(records, "missing_source")] == ["operator"]


def test_order_uncertain_findings_become_gaps(hand_case, hand_findings):
    flagged = [
        {**f, "details": {**f["details"], "order_uncertain": True}}
        if f["rule"] == "cleanup_deleted_live_plan"
        else f
        for f in hand_findings
    ]
    records = gap_records(find_gaps(hand_case, flagged))
    (gap,) = _kind(records, "order_uncertain")
    assert gap["host"] == "dns-enactor-use1-az1"
    assert "cleanup_deleted_live_plan" in gap["statement"]
    assert not _kind(gap_records(find_gaps(hand_case, hand_findings)), "order_uncertain")


def test_no_dns_logs_for_an_empty_endpoint(hand_findings):
    case = open_case(None)
    case.ingest(CASE_DIR / "enactor")
    records = gap_records(find_gaps(case, hand_findings))
    sources = {g["numbers"].get("source") for g in _kind(records, "missing_source")}
    assert sources == {"planner", "operator", "dns"}


def test_an_emptied_endpoint_no_dns_log_mentions(hand_case, hand_findings):
    empty = [f for f in hand_findings if f["rule"] == "endpoint_empty"]
    assert empty and all(f["endpoint"] == ENDPOINT for f in empty)
    unseen = {**empty[0], "endpoint": "unseen.example.com", "start": "2025-10-20T06:50:00Z"}
    records = gap_records(find_gaps(hand_case, [*hand_findings, unseen]))
    (gap,) = _kind(records, "no_dns_for_endpoint")  # the DNS logs mention ENDPOINT
    assert gap["endpoint"] == "unseen.example.com"
    assert gap["start"] == "2025-10-20T06:50:00.000Z"


# -- against the simulator's ground truth ------------------------------------------------------
SEEDS = [(1, False, False), (2, True, False), (3, False, True), (6, True, True)]


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s[0]}")
def simulated(request, tmp_path_factory):
    seed, silent, logged = request.param
    out = tmp_path_factory.mktemp(f"random{seed}")
    result = simulate("random", out, seed=seed, silent=silent, stall=True, stall_logged=logged)
    case = open_case(None)
    case.ingest(out)
    truth = json.loads((out / "ground-truth.json").read_text())
    yield result.config, gap_records(find_gaps(case, truth))
    case.close()


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_injected_silences_are_found_and_nothing_else(simulated):
    config, records = simulated
    silent = _kind(records, "silent_host")
    expected = [(s.host, s.start, s.end) for s in config.silences]
    if not config.stall.logged:
        expected.append((config.stall.host, None, None))  # the stall is silent too
    assert sorted(g["host"] for g in silent) == sorted(h for h, _, _ in expected)
    for host, start, end in expected:
        if start is None:
            continue
        (g,) = [g for g in silent if g["host"] == host]
        # from the last line before the injected silence to the first after it (hosts'
        # clocks may be skewed by up to 0.15 s in this scenario)
        assert _utc(g["start"]).timestamp() <= start + 0.2
        assert _utc(g["end"]).timestamp() >= end - 0.2
        assert (_utc(g["end"]) - _utc(g["start"])).total_seconds() < (end - start) + 3 * (
            config.cadence
        )


def test_unlogged_stalls_are_unexplained_and_logged_ones_accounted_for(simulated):
    config, records = simulated
    (stall,) = _kind(records, "stall_delay")
    assert stall["host"] == config.stall.host
    share = stall["numbers"]["unexplained_s"] / stall["numbers"]["duration_s"]
    if config.stall.logged:
        assert stall["numbers"]["contended_locks"] > 0
        assert share < 0.1 and stall["importance"] == "note"
    else:
        assert stall["numbers"]["contended_locks"] == 0
        assert share > 0.9 and stall["importance"] == "high"


def test_frame_shape(hand_case, hand_findings):
    frame = find_gaps(hand_case, hand_findings, options=GapOptions(min_silence_s=10_000))
    assert frame.schema["start"] == pl.Datetime("us", "UTC")
    assert frame.filter(pl.col("kind") == "silent_host").height == 0  # the threshold applies
