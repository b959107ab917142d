"""Proofs: each critical or high finding argued from its log lines, holes named."""

from __future__ import annotations

import pytest

from analyzer import prove

from .conftest import ENDPOINT


@pytest.fixture(scope="module")
def proofs(hand_case, hand_findings):
    return {(p.rule, p.finding_id): p for p in prove(hand_case, hand_findings)}


def _one(proofs, rule):
    (p,) = [p for (r, _), p in proofs.items() if r == rule and ENDPOINT in p.text()]
    return p


def test_only_critical_and_high_findings_are_proved(proofs, hand_findings):
    serious = [f for f in hand_findings if f["severity"] in ("critical", "high")]
    assert len(proofs) == len(serious) == 7
    assert {r for r, _ in proofs} == {f["rule"] for f in serious}


def test_stale_overwrite_proof_rests_on_both_updates(proofs):
    p = _one(proofs, "non_monotonic_apply")
    assert [s.label for s in p.steps] == ["U1", "U2"]
    assert p.steps[0].evidence == {"file": "enactor/dns-enactor-use1-az1.log", "line": 115}
    assert p.steps[1].evidence == {"file": "enactor/dns-enactor-use1-az4.log", "line": 34}
    assert "moved backwards by 15 generation(s)" in p.therefore
    assert not p.missing
    text = p.text()
    assert text.startswith("Let U1 = ") and " Then " in text and " Therefore " in text


def test_cleanup_proof_names_the_deleting_enactor_and_its_rule(proofs):
    p = _one(proofs, "cleanup_deleted_live_plan")
    assert [s.label for s in p.steps] == ["A", "C", "D"]
    assert "dns-enactor-use1-az1 deleted plan 100" in p.steps[2].text
    assert "deleting plans older than 101" in p.steps[1].text
    assert "deleted a live plan" in p.therefore


def test_stale_check_proof_orders_check_newer_use(proofs):
    p = _one(proofs, "stale_plan_check")
    assert [s.label for s in p.steps] == ["C", "N", "X"]
    assert p.steps[1].evidence == {"file": "enactor/dns-enactor-use1-az1.log", "line": 17}
    assert "C < N < X" in p.then
    assert "time of check to time of use (7m 31s)" in p.therefore


def test_dns_proof_links_the_failure_to_its_cause(proofs):
    p = _one(proofs, "dns_resolution_failure")
    labels = [s.label for s in p.steps]
    assert labels == ["Q0", "D", "Q1", "Qn", "Qr"]
    assert "D precedes Q1 by 8.488 s" in p.then
    s3 = [q for (r, _), q in proofs.items() if r == "dns_resolution_failure" and q is not p]
    assert s3[0].missing and "out-of-band" in s3[0].missing[0]


def test_a_hole_in_the_chain_is_named(hand_case, hand_findings):
    # the endpoint never logged as restored: the line that would close it is missing
    open_empty = [{**f, "end": None} if f["rule"] == "endpoint_empty" else f for f in hand_findings]
    (p,) = [p for p in prove(hand_case, open_empty) if p.rule == "endpoint_empty"]
    assert "still empty where the logs end" in p.therefore
    assert any("restore_endpoint or endpoint_update status=ok" in m for m in p.missing)
    # a deletion of a plan the endpoint never pointed to does not prove itself
    wrong = [
        {**f, "generation": 99} if f["rule"] == "cleanup_deleted_live_plan" else f
        for f in hand_findings
    ]
    (p,) = [p for p in prove(hand_case, wrong) if p.rule == "cleanup_deleted_live_plan"]
    assert "not at 99" in p.then
    assert any("set dynamodb.us-east-1.amazonaws.com to generation 99" in m for m in p.missing)


def test_unknown_rules_get_a_generic_proof(hand_case):
    custom = {
        "rule": "my_custom_rule",
        "severity": "critical",
        "start": "2025-10-20T06:50:00Z",
        "summary": "something bad",
        "evidence": [{"file": "operator/actions.jsonl", "line": 1}],
    }
    (p,) = prove(hand_case, [custom])
    assert p.steps[0].evidence == {"file": "operator/actions.jsonl", "line": 1}
    assert p.therefore == "something bad."
