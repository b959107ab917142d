"""The change-history rules against the simulator's ground truth, over many seeds.

Two worlds: the ``change-history`` scenario (CloudTrail and Resolver query logs only:
a clean-up job empties a served name until a console fix, two external-dns deployments
fight, with traps that must not fire), and the random control plane with its opt-in
CloudTrail (the Enactors' writes, live-plan deletions, operator and out-of-band console
changes). Precision and recall must be 1.0 and each finding must cite the labelled
defining line (the label's first evidence item).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from analyzer import open_case
from analyzer.simulate import simulate

CHANGE_RULES = ("record_set_emptied", "conflicting_writers", "unlogged_change")
INTERVALS = {"record_set_emptied", "conflicting_writers", "dns_resolution_failure"}


def _key(f: dict[str, Any]) -> tuple[Any, ...]:
    end = f["end"] if f["rule"] in INTERVALS else None
    return (f["rule"], f["endpoint"], f["generation"], f["host"], f["start"], end)


def _runs(tmp_path_factory: pytest.TempPathFactory, scenario: str, seeds: range, **options: Any):
    out = []
    for seed in seeds:
        directory = tmp_path_factory.mktemp(f"{scenario}{seed}")
        result = simulate(scenario, directory, seed=seed, **options)
        with open_case(None) as case:
            ingested = case.ingest(directory)
            links = case.sql(
                """SELECT count(*) FILTER (WHERE c.change_id IS NULL) AS missing, count(*) AS n
                   FROM enactor_events e LEFT JOIN (SELECT DISTINCT change_id FROM record_changes) c
                     USING (change_id)
                   WHERE e.event = 'endpoint_update' AND e.status = 'ok'"""
            ).row(0)
            out.append((result, case.findings().records(), ingested, links))
    return out


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory):
    return _runs(tmp_path_factory, "change-history", range(30))


@pytest.fixture(scope="module")
def control(tmp_path_factory: pytest.TempPathFactory):
    return _runs(tmp_path_factory, "random", range(12), cloudtrail=True)


def _check(runs: list[Any], rules: tuple[str, ...]) -> None:
    for result, found, _, _ in runs:
        for rule in rules:
            where = f"{rule}, {result.scenario} seed {result.seed}"
            labels = {_key(f): f for f in result.labels if f["rule"] == rule}
            got = {_key(f): f for f in found if f["rule"] == rule}
            assert sorted(got, key=str) == sorted(labels, key=str), where
            for key, label in labels.items():
                assert label["evidence"][0] in got[key]["evidence"], f"{where}: {key}"
                assert got[key]["severity"] == label["severity"], f"{where}: {key}"


def test_change_history_scenario_precision_and_recall(history: list[Any]) -> None:
    _check(history, ("record_set_emptied", "conflicting_writers", "dns_resolution_failure"))
    labelled = Counter(f["rule"] for result, *_ in history for f in result.labels)
    assert labelled["record_set_emptied"] == len(history)
    assert labelled["conflicting_writers"] == len(history)
    assert labelled["dns_resolution_failure"] == len(history)


def test_change_history_scenario_accounts_for_every_record(history: list[Any]) -> None:
    shapes = set()
    for result, found, ingested, _ in history:
        trail = [r for r in ingested if r.source == "cloudtrail"]
        assert trail and all(r.lines == r.loaded + r.quarantined for r in ingested)
        assert sum(r.quarantined for r in ingested) == 1, result.seed  # the null or torn one
        shapes.add(trail[0].file.endswith(".jsonl"))
        # no Enactor logs: no out-of-band verdict
        assert not [f for f in found if f["rule"] == "unlogged_change"]
    assert shapes == {True, False}  # documents and JSON Lines exports both seen


def test_enactor_trail_precision_and_recall(control: list[Any]) -> None:
    _check(control, CHANGE_RULES)
    labelled = Counter(f["rule"] for result, *_ in control for f in result.labels)
    assert labelled["record_set_emptied"] > 0 and labelled["unlogged_change"] > 0


def test_every_enactor_write_is_linked_to_its_cloudtrail_change(control: list[Any]) -> None:
    for result, _, _, (missing, n) in control:
        assert n > 0 and missing == 0, result.seed


def test_cloudtrail_is_opt_in(tmp_path_factory: pytest.TempPathFactory) -> None:
    plain = simulate("random", tmp_path_factory.mktemp("plain"), seed=3)
    assert not any(f.startswith("cloudtrail/") for f in plain.files)
    assert not any(f["rule"] in CHANGE_RULES for f in plain.labels)
