"""With the stall fault the buggy design has the outage; each fixed design never does."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from analyzer.simulate import build, simulate

SEEDS = range(30)
OUTAGE = {"endpoint_empty", "cleanup_deleted_live_plan", "blocked_updates"}


def rules(labels: list[dict]) -> set[str]:
    return {f["rule"] for f in labels}


def test_same_fault_whatever_the_design() -> None:
    for seed in range(5):
        buggy = build("random", seed, stall=True, design="buggy")
        for design in ("fixed", "fixed-update", "fixed-cleanup"):
            fixed = build("random", seed, stall=True, design=design)
            assert dataclasses.replace(fixed, design="buggy") == buggy


@pytest.mark.parametrize("seed", SEEDS)
def test_buggy_design_has_the_outage(tmp_path: Path, seed: int) -> None:
    res = simulate("random", tmp_path, seed=seed, design="buggy", stall=True, gzip=False)
    target = res.config.stall.endpoint
    empty = [f for f in res.labels if f["rule"] == "endpoint_empty"]
    assert [f["endpoint"] for f in empty] == [target]
    assert rules(res.labels) >= OUTAGE
    (dns,) = [f for f in res.labels if f["rule"] == "dns_resolution_failure"]
    assert dns["endpoint"] == target and dns["severity"] == "critical"
    assert dns["start"] >= empty[0]["start"]
    deleted = next(f for f in res.labels if f["rule"] == "cleanup_deleted_live_plan")
    assert deleted["generation"] == empty[0]["generation"]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("design", ["fixed-update", "fixed-cleanup"])
def test_fixed_designs_have_no_outage(tmp_path: Path, seed: int, design: str) -> None:
    res = simulate("random", tmp_path, seed=seed, design=design, stall=True, gzip=False)
    found = rules(res.labels)
    assert not found & (OUTAGE | {"dns_resolution_failure"})
    assert "stale_plan_check" in found  # the race still happened; the fix absorbed it
    if design == "fixed-update":
        assert "non_monotonic_apply" not in found
    else:
        assert "non_monotonic_apply" in found


@pytest.mark.parametrize("seed", range(8))
def test_both_fixes_and_no_fault(tmp_path: Path, seed: int) -> None:
    fixed = simulate("random", tmp_path / "f", seed=seed, design="fixed", stall=True)
    assert not rules(fixed.labels) & (OUTAGE | {"dns_resolution_failure"})
    calm = simulate("random", tmp_path / "c", seed=seed, design="buggy", stall=False)
    assert not rules(calm.labels) & (OUTAGE | {"dns_resolution_failure", "enactor_stall"})
