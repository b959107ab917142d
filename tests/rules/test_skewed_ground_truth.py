"""The rules against the simulator's ground truth when hosts' clocks are wrong.

Each seed draws a small random system as in test_ground_truth.py, plus clock faults:
Enactors whose clocks are 1 to 5 s ahead or behind and drift slowly, either way
(``clock_faults=True``). Labels are decided in true time; the simulator's
``clocks.json`` says, for every label, whether the logs' causal constraints pin the
clocks closely enough for its order to be recovered. For every critical and high rule:

- every label whose order is recoverable is found, citing its defining line;
- a label whose order is not recoverable is found, or the rule reports that endpoint
  with ``details.order_uncertain``;
- every finding that is not a label carries ``order_uncertain`` (never a wrong order
  stated as certain).

Runs are kept short (few endpoints, low keep) so the 50 seeds stay within the suite's
time budget.
"""

from __future__ import annotations

from typing import Any

import pytest

from analyzer import open_case
from analyzer.rules import SEVERITY_RANK, load_rules

simulate_mod = pytest.importorskip("analyzer.simulate")

SEEDS = range(50)
SMALL = {"clock_faults": True, "endpoints": 2, "keep": 12, "cadence": 5.0}
CHECKED = sorted(
    rule_id
    for rule_id, rule in load_rules().rules.items()
    if SEVERITY_RANK[rule.severity] >= SEVERITY_RANK["high"]
)
INTERVAL_RULES = {"endpoint_empty", "blocked_updates", "dns_resolution_failure"}

Run = tuple[Any, list[dict[str, Any]], list[dict[str, Any]]]


def _key(f: dict[str, Any]) -> tuple[Any, ...]:
    end = f["end"] if f["rule"] in INTERVAL_RULES else None
    return (f["rule"], f["endpoint"], f["generation"], f["host"], f["start"], end)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Run]:
    out = []
    for seed in SEEDS:
        directory = tmp_path_factory.mktemp(f"skew{seed}")
        result = simulate_mod.simulate("random", directory, seed=seed, **SMALL)
        with open_case(None) as case:
            case.ingest(directory)
            found = case.findings().records()
            clocks = case.sql("SELECT * FROM host_clocks").to_dicts()
        out.append((result, found, clocks))
    return out


def test_the_seeds_cover_both_cases(runs: list[Run]) -> None:
    labels = [lab for result, _, _ in runs for lab in result.clocks["labels"]]
    crossing = [
        lab for lab in labels if any(p["a"]["host"] != p["b"]["host"] for p in lab["pairs"])
    ]
    assert any(lab["recoverable"] for lab in crossing)
    assert any(not lab["recoverable"] for lab in crossing)
    faults = [f for result, _, _ in runs for f in result.clocks["faults"]]
    assert min(f["offset_s"] for f in faults) < -2 and max(f["offset_s"] for f in faults) > 2
    assert any(f["drift_s_per_h"] < 0 for f in faults) and any(
        f["drift_s_per_h"] > 0 for f in faults
    )
    rules = {lab["key"][0] for lab in labels if lab["recoverable"]}
    assert {"non_monotonic_apply", "stale_plan_check", "cleanup_deleted_live_plan"} <= rules


@pytest.mark.parametrize("rule", CHECKED)
def test_recoverable_orders_are_found_and_the_rest_say_uncertain(
    runs: list[Run], rule: str
) -> None:
    for result, found, _ in runs:
        where = f"{rule}, skewed seed {result.seed} ({result.design})"
        record = {
            (lab["key"][0], lab["evidence"]["file"], lab["evidence"]["line"]): lab
            for lab in result.clocks["labels"]
        }
        labels = {_key(f): f for f in result.labels if f["rule"] == rule}
        got = {_key(f): f for f in found if f["rule"] == rule}
        for key, label in labels.items():
            ev = label["evidence"][0]
            if key in got:
                assert ev in got[key]["evidence"], f"{where}: {key}"
                assert got[key]["severity"] == label["severity"], f"{where}: {key}"
                continue
            assert not record[rule, ev["file"], ev["line"]]["recoverable"], f"{where}: missed {key}"
            assert any(
                f["endpoint"] == label["endpoint"] and f["details"]["order_uncertain"]
                for f in got.values()
            ), f"{where}: {key} missed without an order_uncertain finding"
        for key, f in got.items():
            if key not in labels:
                assert f["details"]["order_uncertain"], f"{where}: false {key} stated as certain"
                assert f["details"]["order_bound_s"] > 0, f"{where}: {key}"


def _drift_s(result: Any) -> float:
    """How far the clocks drift over the run: the model holds each offset constant within
    a window, so a bound may fall short by that much (docs/ordering.md)."""
    hours = (result.config.end - result.config.start) / 3600
    return sum(abs(c.drift) * hours for c in result.config.clocks)


def test_estimated_offsets_hold_the_true_ones(runs: list[Run]) -> None:
    """Every clock's true offset (over the run) lies within its estimate's bound."""
    checked = 0
    for result, _, clocks in runs:
        truth = result.clocks["hosts"]
        for row in clocks:
            if row["host"] not in truth or row["reference"]:
                continue
            t = truth[row["host"]]
            slack = row["bound_s"] + _drift_s(result) + 0.002
            lo, hi = row["offset_s"] - slack, row["offset_s"] + slack
            for k in ("offset_at_start_s", "offset_at_middle_s", "offset_at_end_s"):
                assert lo <= t[k] <= hi, (result.seed, row, t)
            checked += 1
    assert checked > 100


def test_clock_skew_names_faulty_clocks(runs: list[Run]) -> None:
    """clock_skew names a faulty clock in every seed, and its estimate holds the truth.
    (Where the logs pin only relative offsets, the blame may fall on a healthy peer:
    its bound then covers its true offset of 0.)"""
    for result, found, _ in runs:
        faulty = {f["host"] for f in result.clocks["faults"]}
        named = {f["host"] for f in found if f["rule"] == "clock_skew"}
        assert faulty & named, (result.seed, faulty, named)
        for f in found:
            if f["rule"] == "clock_skew":
                off = result.clocks["hosts"][f["host"]]["offset_at_middle_s"]
                slack = f["details"]["bound_s"] + _drift_s(result) + 0.002
                assert abs(off - f["details"]["offset_s"]) <= slack, f
