"""The change history in the report: CloudTrail and Resolver logs alone tell the story."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer import open_case
from analyzer.simulate import simulate


@pytest.fixture(scope="module")
def only_trail(tmp_path_factory: pytest.TempPathFactory):
    """A directory of CloudTrail and Resolver query logs only; no --endpoint."""
    out = tmp_path_factory.mktemp("trail")
    result = simulate("change-history", out, seed=4)
    assert {f.split("/")[0] for f in result.files} == {"cloudtrail", "dns", "ground-truth.json"}
    case = open_case()
    case.ingest(out)
    found = case.findings()
    yield result, case, found
    case.close()


def test_emptied_name_its_dns_failure_and_the_console_fix(only_trail) -> None:
    result, case, found = only_trail
    label = next(f for f in result.labels if f["rule"] == "record_set_emptied")
    name = label["endpoint"]
    rules = {f["rule"] for f in found.records() if f["endpoint"] == name}
    assert {"record_set_emptied", "dns_resolution_failure"} <= rules
    events = case.timeline(found).events
    kinds = events.filter(events["endpoint"] == name)["kind"].to_list()
    assert kinds == ["record_set_emptied", "first_failed_query", "record_set_restored",
                     "last_failed_query"]  # fmt: skip
    first = events.filter(events["kind"] == "first_failed_query").row(0, named=True)
    assert "after the control-plane cause (record_set_emptied)" in first["sentence"]
    fix = events.filter(events["kind"] == "record_set_restored").row(0, named=True)
    assert fix["phase"] == "recovery" and "at the console" in fix["sentence"]
    assert fix["evidence"][0]["file"].startswith("cloudtrail/AWSLogs/")
    assert events.filter(events["kind"] == "record_set_emptied")["phase"].to_list() == ["trigger"]


def test_the_gaps_say_the_change_history_explains_failure_and_recovery(only_trail) -> None:
    _, case, found = only_trail
    kinds = case.gaps(found)["kind"].to_list()
    assert "dns_failure_without_cause" not in kinds
    assert "dns_recovery_unexplained" not in kinds
    assert "missing_source" in kinds  # no Enactor log: said, not hidden


def test_proofs_and_figure(only_trail, tmp_path: Path) -> None:
    _, case, found = only_trail
    paths = case.report(tmp_path / "report", found)
    data = json.loads(paths["json"].read_text())
    proofs = {f["rule"]: f["proof"] for f in data["findings"] if f.get("proof")}
    summary = " ".join(data["summary"])
    assert "deleted the last A record set of" in summary and "(IAM user) re-created" in summary
    assert "no control-plane change" not in summary and "no restore" not in summary
    emptied = proofs["record_set_emptied"]
    assert [s["label"] for s in emptied["steps"]] == ["C", "D", "R"]
    assert emptied["steps"][1]["evidence"]["record"] is not None
    assert "served no A records for" in emptied["therefore"]
    assert [s["label"] for s in proofs["conflicting_writers"]["steps"]] == ["W1", "Wn"]
    assert (tmp_path / "report" / "figures" / "record_sets.png").stat().st_size > 5000
    # the quote of a CloudTrail line is the record's own event, not the whole document
    finding = next(f for f in data["findings"] if f["rule"] == "record_set_emptied")
    quote = finding["evidence"][0]
    assert quote["record"] == emptied["steps"][1]["evidence"]["record"]
    assert quote["text"].startswith("{") and quote["text"].endswith("}")
    assert f'"/change/{finding["details"]["change_id"]}"' in quote["text"]
    step = next(t for t in data["timeline"] if t["kind"] == "record_set_emptied")
    assert step["evidence"][0]["text"] == quote["text"]


def test_record_state_is_one_call_away(only_trail) -> None:
    result, case, _ = only_trail
    name = next(f for f in result.labels if f["rule"] == "record_set_emptied")["endpoint"]
    state = case.record_state(name.upper() + ".")
    assert state["record_sets"].to_list() == [1, 0, 1]
    values = state["values"].to_list()
    assert values[1] == [] and values[0] == values[2] and len(values[0]) == 2
    assert state["until"][:2].to_list() == state["from"][1:].to_list()


def test_enactor_write_and_its_cloudtrail_change_are_one_and_a_missing_one_is_a_gap(
    tmp_path: Path,
) -> None:
    out = tmp_path / "logs"
    result = simulate("random", out, seed=2, cloudtrail=True, design="buggy", stall=True)
    trail = sorted(f for f in result.files if f.startswith("cloudtrail/"))
    with open_case() as case:
        case.ingest(out)
        found = case.findings()
        events = case.timeline(found).events
        stale = events.filter(events["kind"] == "stale_overwrite").row(0, named=True)
        assert [e["file"].split("/")[0] for e in stale["evidence"]] == ["enactor", "cloudtrail"]
        emptied = events.filter(events["kind"] == "record_set_emptied")
        assert set(emptied["endpoint"]) == set(
            events.filter(events["kind"] == "endpoint_empty")["endpoint"]
        )
        assert not [g for g in case.gaps(found)["kind"].to_list() if g == "write_not_in_trail"]
    # a delivered file lost from the middle of the trail: its Enactor writes are gaps
    (out / trail[len(trail) // 2]).unlink()
    with open_case() as case:
        case.ingest(out)
        gaps = case.gaps()
        lost = gaps.filter(gaps["kind"] == "write_not_in_trail")
        assert lost.height > 0
        assert all("does not show it succeed" in s for s in lost["statement"].to_list())
        assert all(e[0]["file"].startswith("enactor/") for e in lost["evidence"].to_list())
