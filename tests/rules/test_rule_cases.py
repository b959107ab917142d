"""Every rule case of tests/data/rules/<rule>/<case>/: a log directory and expected.json.

``expected.json`` holds ``runs``: each run may set ``params`` and ``endpoints`` and
lists, per rule, the findings that rule must return, in order. A listed finding gives
the keys to check: top-level keys must be equal, ``details`` keys must be equal, and
each ``evidence`` item must be among the finding's evidence. A rule listed with ``[]``
must find nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from analyzer import open_case

CASES = Path(__file__).resolve().parents[1] / "data" / "rules"
CASE_DIRS = sorted(p.parent for p in CASES.glob("*/*/expected.json"))


def _check(found: dict[str, Any], want: dict[str, Any], where: str) -> None:
    for key, value in want.items():
        if key == "details":
            for dkey, dvalue in value.items():
                got = found["details"].get(dkey, "<missing>")
                if isinstance(dvalue, float) and isinstance(got, float):
                    assert got == pytest.approx(dvalue, abs=1e-6), f"{where}: details.{dkey}"
                else:
                    assert got == dvalue, f"{where}: details.{dkey} is {got!r}, not {dvalue!r}"
        elif key == "evidence":
            for item in value:
                assert item in found["evidence"], f"{where}: {item} not in {found['evidence']}"
        else:
            assert found[key] == value, f"{where}: {key} is {found[key]!r}, not {value!r}"


@pytest.mark.parametrize("case_dir", CASE_DIRS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_rule_case(case_dir: Path) -> None:
    expected = json.loads((case_dir / "expected.json").read_text())
    with open_case(None) as case:
        results = case.ingest(case_dir)
        assert all(r.quarantined == 0 for r in results), [r.message for r in results]
        for n, run in enumerate(expected["runs"]):
            found = case.findings(
                rules=list(run["expect"]),
                params=run.get("params"),
                endpoints=run.get("endpoints"),
            ).records()
            for rule, wanted in run["expect"].items():
                got = [f for f in found if f["rule"] == rule]
                where = f"run {n}, {rule}"
                assert len(got) == len(wanted), f"{where}: {[f['summary'] for f in got]}"
                for i, (finding, want) in enumerate(zip(got, wanted, strict=True)):
                    _check(finding, want, f"{where}[{i}]")


def test_every_rule_has_a_case_that_fires_and_one_that_does_not() -> None:
    from analyzer.rules import load_rules

    fires: set[str] = set()
    silent: set[str] = set()
    for case_dir in CASE_DIRS:
        for run in json.loads((case_dir / "expected.json").read_text())["runs"]:
            for rule, wanted in run["expect"].items():
                (fires if wanted else silent).add(rule)
    rules = set(load_rules().rules)
    assert rules <= fires, f"no case where {sorted(rules - fires)} fires"
    assert rules <= silent, f"no case where {sorted(rules - silent)} stays silent"
