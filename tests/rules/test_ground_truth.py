"""The rules against the simulator's ground truth, over many random seeds.

Each seed draws a small system with random faults (a stalled Enactor whose delay is
logged or not, clock skew, a silent host, keep thresholds, malformed lines, the buggy
or a fixed design). For every critical and high rule, precision and recall must be
1.0 against ``ground-truth.json``, and each finding must cite the labelled defining
line (the label's first evidence item). The medium rules the simulator labels are
held to the same standard.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from analyzer import open_case
from analyzer.rules import SEVERITY_RANK, load_rules

simulate_mod = pytest.importorskip("analyzer.simulate")

SEEDS = range(50)
# Rules whose end is part of what they assert (an interval), not only where they start.
INTERVAL_RULES = {"endpoint_empty", "blocked_updates", "dns_resolution_failure"}
# clock_skew is not labelled by the simulator (its labels module says why). The
# change-history rules read CloudTrail, which the random scenario does not write: their
# ground truth is tested in test_change_history_ground_truth.py.
CHANGE_HISTORY = {"record_set_emptied", "conflicting_writers", "unlogged_change"}
LABELLED = {
    rule_id
    for rule_id, rule in load_rules().rules.items()
    if SEVERITY_RANK[rule.severity] >= SEVERITY_RANK["high"] and rule_id not in CHANGE_HISTORY
} | {"enactor_stall", "generation_lag"}


def _key(f: dict[str, Any]) -> tuple[Any, ...]:
    end = f["end"] if f["rule"] in INTERVAL_RULES else None
    return (f["rule"], f["endpoint"], f["generation"], f["host"], f["start"], end)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Any, list[dict[str, Any]]]]:
    out = []
    for seed in SEEDS:
        directory = tmp_path_factory.mktemp(f"seed{seed}")
        result = simulate_mod.simulate("random", directory, seed=seed)
        with open_case(None) as case:
            case.ingest(directory)
            out.append((result, case.findings().records()))
    return out


def test_the_seeds_cover_the_faults(runs: list[tuple[Any, list[dict[str, Any]]]]) -> None:
    configs = [result.config for result, _ in runs]
    assert {c.design for c in configs} == set(simulate_mod.DESIGNS)
    assert any(c.stall and c.stall.logged for c in configs)
    assert any(c.stall and not c.stall.logged for c in configs)
    assert any(c.skew for c in configs) and any(not c.skew for c in configs)
    assert any(c.silences for c in configs)
    assert len({c.keep for c in configs}) > 5
    labelled = Counter(f["rule"] for result, _ in runs for f in result.labels)
    for rule in LABELLED:
        assert labelled[rule] > 0, f"no seed labels {rule}: recall would be vacuous"


@pytest.mark.parametrize("rule", sorted(LABELLED))
def test_precision_and_recall_are_one(
    runs: list[tuple[Any, list[dict[str, Any]]]], rule: str
) -> None:
    for result, found in runs:
        where = f"{rule}, random seed {result.seed} ({result.design})"
        labels = {_key(f): f for f in result.labels if f["rule"] == rule}
        got = {_key(f): f for f in found if f["rule"] == rule}
        assert sorted(got, key=str) == sorted(labels, key=str), where
        for key, label in labels.items():
            assert label["evidence"][0] in got[key]["evidence"], f"{where}: {key}"
            assert got[key]["severity"] == label["severity"], f"{where}: {key}"


def test_clock_skew_says_only_what_is_true(
    runs: list[tuple[Any, list[dict[str, Any]]]],
) -> None:
    """A clock_skew finding never misstates a clock: its true offset against the planner
    lies within the estimate's bound, and a host said to be behind by at least x is."""
    seen = 0
    for result, found in runs:
        skew = result.config.skew
        for f in found:
            if f["rule"] != "clock_skew":
                continue
            seen += 1
            true_s = skew.get(f["host"], 0.0) - skew.get("dns-planner-1", 0.0)
            d = f["details"]
            assert abs(true_s - d["offset_s"]) <= d["bound_s"] + 0.002, f
            if d["behind_at_least_ms"] is not None:
                assert d["behind_at_least_ms"] <= -true_s * 1000 + 1, f
    assert seen > 0
