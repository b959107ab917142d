"""On the 20 October 2025 reconstruction, the findings tell the story of the event.

Uses ``sample_logs/dynamodb-2025-10-20/`` when it is there, else generates the same
scenario with the simulator. The assertions are the public account, not numbers
copied from output: a stalled Enactor with a stale check overwrites the regional
endpoint, a clean-up deletes that live plan at 06:48 UTC, the endpoint goes empty
until the 09:25 restore, DNS fails until cached answers expire (by 09:40), updates
stay blocked meanwhile, and no other endpoint is touched. With the slowed Enactor's
clock 2.5 s behind, the conclusions are the same: the ordering model corrects it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from analyzer import open_case, prove

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_logs" / "dynamodb-2025-10-20"
REGIONAL = "dynamodb.us-east-1.amazonaws.com"


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if SAMPLE.is_dir():
        return SAMPLE
    simulate = pytest.importorskip("analyzer.simulate").simulate
    out = tmp_path_factory.mktemp("ddb")
    simulate("dynamodb-2025-10-20", out, seed=20251020)
    return out


@pytest.fixture(scope="module")
def findings(logs: Path) -> dict[str, list[dict[str, Any]]]:
    with open_case(None) as case:
        case.ingest(logs)
        records = case.findings().records()
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for f in records:
        by_rule.setdefault(f["rule"], []).append(f)
    return by_rule


def _one(findings: dict[str, list[dict[str, Any]]], rule: str) -> dict[str, Any]:
    got = findings.get(rule, [])
    assert len(got) == 1, f"{rule}: {[f['summary'] for f in got]}"
    return got[0]


def test_the_story_of_the_event(findings: dict[str, list[dict[str, Any]]]) -> None:
    stall = _one(findings, "enactor_stall")
    check = _one(findings, "stale_plan_check")
    overwrite = _one(findings, "non_monotonic_apply")
    delete = _one(findings, "cleanup_deleted_live_plan")
    empty = _one(findings, "endpoint_empty")
    blocked = _one(findings, "blocked_updates")
    dns = _one(findings, "dns_resolution_failure")

    slow, stale_gen = stall["host"], stall["generation"]
    # the stalled Enactor, its stale check and its stale overwrite of the regional endpoint
    assert stall["endpoint"] == REGIONAL and stall["details"]["duration_s"] > 60
    assert (check["host"], check["generation"], check["endpoint"]) == (slow, stale_gen, REGIONAL)
    assert check["details"]["check_age_s"] > 60
    assert (overwrite["host"], overwrite["generation"]) == (slow, stale_gen)
    assert overwrite["endpoint"] == REGIONAL
    assert overwrite["details"]["previous_generation"] > stale_gen
    assert stall["end"] == overwrite["start"] == check["start"]
    # another Enactor's clean-up deletes that live plan at 06:48 UTC
    assert delete["host"] != slow and delete["generation"] == stale_gen
    assert delete["start"].startswith("2025-10-20T06:48:")
    assert delete["details"]["endpoints"] == [REGIONAL]
    assert overwrite["start"] < delete["start"]
    # the endpoint is empty from the deletion to the restore at 09:25
    assert (empty["endpoint"], empty["generation"]) == (REGIONAL, stale_gen)
    assert empty["start"] == delete["start"]
    assert empty["end"].startswith("2025-10-20T09:25:")
    # updates fail meanwhile, while the planner keeps writing plans
    assert blocked["endpoint"] == REGIONAL
    assert empty["start"] < blocked["start"] <= blocked["end"] < empty["end"]
    assert blocked["generation"] > overwrite["details"]["previous_generation"]
    assert blocked["details"]["generations_missed"] > 100
    # clients fail to resolve it until their cached answers expire, by 09:40
    assert dns["endpoint"] == REGIONAL and dns["severity"] == "critical"
    assert empty["start"] < dns["start"] < "2025-10-20T06:50"
    assert "2025-10-20T09:25" < dns["end"] <= "2025-10-20T09:40"
    # every finding cites its lines, none rests on an uncertain order
    for group in findings.values():
        for f in group:
            assert f["evidence"] and not f["details"]["order_uncertain"], f


def test_only_the_regional_endpoint_is_hit(findings: dict[str, list[dict[str, Any]]]) -> None:
    endpoints = {f["endpoint"] for group in findings.values() for f in group} - {None}
    assert endpoints == {REGIONAL}


def test_the_findings_are_the_labelled_ones(
    logs: Path, findings: dict[str, list[dict[str, Any]]]
) -> None:
    labels = json.loads((logs / "ground-truth.json").read_text())

    def key(f: dict[str, Any]) -> tuple[Any, ...]:
        return (f["rule"], f["endpoint"], f["generation"], f["host"], f["start"], f["end"])

    got = {key(f): f for group in findings.values() for f in group}
    assert sorted(got, key=str) == sorted((key(f) for f in labels), key=str)
    for label in labels:
        assert label["evidence"][0] in got[key(label)]["evidence"], label["rule"]


SKEWED = "dns-enactor-use1-az4"


@pytest.fixture(scope="module")
def skewed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, list[dict[str, Any]], Any]:
    """The same story with the slow Enactor's clock 2.5 s behind (generated at test time):
    its host_clocks, findings and proofs."""
    simulate = pytest.importorskip("analyzer.simulate").simulate
    out = tmp_path_factory.mktemp("ddb-skewed")
    simulate("dynamodb-2025-10-20", out, seed=20251020, clocks=(f"{SKEWED}=-2.5",))
    with open_case(None) as case:
        case.ingest(out)
        found = case.findings().records()
        return case.clocks(), found, prove(case, found)


def test_a_skewed_enactor_changes_no_conclusion(
    findings: dict[str, list[dict[str, Any]]], skewed: tuple[Any, list[dict[str, Any]], Any]
) -> None:
    """Every finding of the story is found again, on the same lines; only the times its
    own (skewed) lines say move, by the skew; clock_skew names the skewed host."""
    clocks, found, proofs = skewed

    def key(f: dict[str, Any]) -> tuple[Any, ...]:
        ev = f["evidence"][0]
        return (f["rule"], f["severity"], f["endpoint"], f["generation"], f["host"],
                ev["file"], ev["line"])  # fmt: skip

    plain = {key(f): f for group in findings.values() for f in group}
    got = {key(f): f for f in found if f["rule"] != "clock_skew"}
    assert sorted(got, key=str) == sorted(plain, key=str)
    for k, f in got.items():
        moved = dt.datetime.fromisoformat(f["start"]) - dt.datetime.fromisoformat(plain[k]["start"])
        expected = -2.5 if k[5] == f"enactor/{SKEWED}.log" else 0.0
        assert abs(moved.total_seconds() - expected) <= 0.002, (k, moved)
        if f["severity"] in ("critical", "high"):
            assert not f["details"]["order_uncertain"], f
    # the live plan deleted is the stale one, and the endpoint empties before DNS fails
    delete = next(f for f in found if f["rule"] == "cleanup_deleted_live_plan")
    stale = next(f for f in found if f["rule"] == "non_monotonic_apply")
    dns = next(f for f in found if f["rule"] == "dns_resolution_failure")
    assert delete["generation"] == stale["generation"] and delete["start"] < dns["start"]
    skew = [f for f in found if f["rule"] == "clock_skew"]
    assert [f["host"] for f in skew] == [SKEWED]
    row = clocks.filter(clocks["host"] == SKEWED).to_dicts()[0]
    assert abs(row["offset_s"] - (-2.5 - 0.060)) <= 0.05  # the sample's own -60 ms jitter too
    # the proof of the overwrite names the newer write it overwrote (logged 2 s "later")
    proof = next(p for p in proofs if p.rule == "non_monotonic_apply")
    assert proof.steps[0].evidence == stale["evidence"][1]
    assert stale["evidence"][1]["file"] == "enactor/dns-enactor-use1-az1.log"
