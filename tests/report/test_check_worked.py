"""A case with no outage: the freshness check at update time refused the stale plan.

Across seeds of the simulator's ``fixed-update`` design, the report's timeline holds
the refused update (the high finding) and its summary says the check worked, while a
buggy case keeps its outage story.
"""

from __future__ import annotations

import json

import pytest

from analyzer import build_report, open_case
from analyzer.simulate import simulate


def _report(tmp_path, seed: int, design: str):
    logs = tmp_path / f"{design}-{seed}"
    simulate("random", logs, seed, design=design, stall=True)
    truth = json.loads((logs / "ground-truth.json").read_text())
    case = open_case(tmp_path / f"{design}-{seed}.duckdb")
    case.ingest(logs)
    found = case.findings()
    rep = build_report(case, found, tz="America/Los_Angeles")
    case.close()
    return rep, found, truth


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_refused_stale_update_is_in_the_timeline_and_the_summary(tmp_path, seed):
    rep, found, truth = _report(tmp_path, seed, "fixed-update")
    labelled = [t for t in truth if t["rule"] == "stale_plan_check"]
    assert labelled and all(t["details"]["update_status"] == "error" for t in labelled)
    stale = [f for f in found.records() if f["rule"] == "stale_plan_check"]
    assert {(f["host"], f["generation"]) for f in stale} == {
        (t["host"], t["generation"]) for t in labelled
    }
    assert not [
        f for f in found.records() if f["rule"] in ("endpoint_empty", "non_monotonic_apply")
    ]
    events = {e["finding_id"]: e for e in rep.timeline}
    for f in stale:
        event = events[f["id"]]
        assert event["phase"] == "detection and mitigation" and event["time"].endswith(
            ("PDT", "PST")
        )
        assert "refused" in event["sentence"] and f["endpoint"] in event["sentence"]
        first = event["evidence"][0]  # the refused update, quoted from its file
        assert (first["file"], first["line"]) == (
            f["evidence"][0]["file"],
            f["evidence"][0]["line"],
        )
        assert "status=error" in first["text"]
    summary = " ".join(rep.summary)
    assert "the freshness check at update time worked" in summary
    assert "No endpoint went empty" in summary
    assert stale[0]["host"] in summary and str(stale[0]["generation"]) in summary


def test_a_buggy_case_keeps_its_outage_story(tmp_path):
    rep, found, _ = _report(tmp_path, 1, "buggy")
    assert "freshness check at update time worked" not in " ".join(rep.summary)
    assert [f for f in found.records() if f["severity"] == "critical"]
    serious = {f["id"] for f in found.records() if f["severity"] in ("critical", "high")}
    told = {e["finding_id"] for e in rep.timeline}
    # every serious finding is told by an event of its own or of the key event it is part of
    stamps = {(e["time"], e["endpoint"]) for e in rep.timeline}
    for f in rep.findings:
        if f["id"] in serious:
            assert f["id"] in told or (f["start_local"], f["endpoint"]) in stamps
