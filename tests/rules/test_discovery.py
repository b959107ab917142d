"""Name discovery of dns_resolution_failure: DNS logs alone, no name given.

Against the simulator's ground truth: the sample's DNS files alone give the labelled
finding, as ``--endpoint`` does; on random seeds every labelled outage window is
found from the DNS files alone; a noisy benign day (typo, blocked and random names
that never resolve, asked all day) gives no critical or high finding.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from analyzer import open_case
from analyzer.simulate import simulate
from analyzer.simulate.noisy import BLOCKED, TYPOS

SAMPLE = Path(__file__).resolve().parents[2] / "sample_logs" / "dynamodb-2025-10-20"
RULE = "dns_resolution_failure"


def _dns_findings(directory: Path, **kwargs: Any) -> list[dict[str, Any]]:
    with open_case(None) as case:
        case.ingest(directory)
        return case.findings(rules=[RULE], **kwargs).records()


def _dns_only(src: Path, dst: Path) -> Path:
    shutil.copytree(src / "dns", dst / "dns")
    return dst


def _labels(directory: Path) -> list[dict[str, Any]]:
    return json.loads((directory / "ground-truth.json").read_text())


def _key(f: dict[str, Any]) -> tuple[Any, ...]:
    return (f["endpoint"], f["start"], f["end"], f["severity"])


def test_the_sample_dns_files_alone_give_the_labelled_finding(tmp_path: Path) -> None:
    (label,) = [f for f in _labels(SAMPLE) if f["rule"] == RULE]
    directory = _dns_only(SAMPLE, tmp_path)
    discovered = _dns_findings(directory)
    selected = _dns_findings(directory, endpoints=[label["endpoint"]])
    assert discovered == selected
    assert [_key(f) for f in discovered] == [_key(label)]
    assert discovered[0]["details"]["failed"] == label["details"]["failed"]
    assert discovered[0]["details"]["total"] == label["details"]["total"]
    assert discovered[0]["evidence"] == label["evidence"]


@pytest.mark.parametrize("seed", range(10))
def test_random_outages_are_found_from_the_dns_files_alone(tmp_path: Path, seed: int) -> None:
    # Even seeds force the outage (the buggy design and the slowed Enactor); odd seeds
    # draw everything (mostly a fixed design: nothing to find).
    forced = {"design": "buggy", "stall": True} if seed % 2 == 0 else {}
    result = simulate("random", tmp_path / "sim", seed=seed, **forced)
    labels = [f for f in result.labels if f["rule"] == RULE]
    assert labels or not forced, f"seed {seed}: no outage to discover"
    directory = _dns_only(tmp_path / "sim", tmp_path / "dns-only")
    discovered = {_key(f): f for f in _dns_findings(directory)}
    names = sorted({f["endpoint"] for f in labels})
    selected = {_key(f): f for f in _dns_findings(directory, endpoints=names)} if names else {}
    # Discovery finds only what the user could have asked for, with the same counts...
    for key, found in discovered.items():
        assert found == selected[key], f"seed {seed}: {key}"
    # ...and every labelled window large enough to be an outage.
    for label in labels:
        d = selected[_key(label)]["details"]
        big = d["failed"] >= 20 and d["duration_s"] >= 120 and d["failed"] > d["total"] / 2
        assert (_key(label) in discovered) == big, f"seed {seed}: {_key(label)} ({d})"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_noisy_benign_day_has_no_critical_or_high_finding(tmp_path: Path, seed: int) -> None:
    simulate("noisy-day", tmp_path / "sim", seed=seed)
    with open_case(None) as case:
        case.ingest(tmp_path / "sim")
        severe = [f["summary"] for f in case.findings(min_severity="high").records()]
        assert severe == []
        # The noise would pass every other threshold: it fails often, for hours.
        noisy = [n.rstrip(".") for n in TYPOS] + [n for n, _ in BLOCKED]
        rows = case.sql(
            """SELECT qname, count(*) FILTER (WHERE failed) AS failed,
                      count(*) FILTER (WHERE NOT failed) AS ok,
                      date_diff('second', min(ts), max(ts)) AS span_s
               FROM dns_queries WHERE list_contains($names, qname) GROUP BY qname""",
            {"names": noisy},
        ).rows()
        assert len(rows) == len(noisy)
        assert all(failed >= 20 and ok == 0 and span >= 120 for _, failed, ok, span in rows)
        tail = case.sql(
            "SELECT count(DISTINCT qname) FROM dns_queries WHERE rcode = 'NXDOMAIN'"
        ).item()
        assert tail > 100
    directory = _dns_only(tmp_path / "sim", tmp_path / "dns-only")
    assert [f for f in _dns_findings(directory) if f["severity"] in ("critical", "high")] == []
