"""The skewed-host step of run.py: every rule with one host's clock seconds off, checked.

The data set is run.py's scale set with one clock fault (``SKEWED``, the simulator's
``clocks`` option: the true times, and so the faults and the labels, are those of the
set without it). ``detect`` (every rule) is timed on that case, paired with ``detect``
on the unskewed case, and both are held to the simulator's ground truth as
tests/rules/test_skewed_ground_truth.py holds small cases:

- every label is found (same rule, endpoint, generation, host and times, citing its
  line, same severity), or its order is not recoverable from the logs (``clocks.json``)
  and the rule reports that endpoint with ``order_uncertain``;
- every other finding carries ``order_uncertain`` (never a wrong order stated as certain);
- ``clock_skew`` names every faulty clock and only those, and each estimate's bound
  holds the true offset.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

SKEWED = "dns-enactor-use1-az1=-2.5"  # the Enactor whose cleanup deletes the live plan
INTERVAL_RULES = {"endpoint_empty", "blocked_updates", "dns_resolution_failure"}
ROUNDING_S = 0.002  # logged times are truncated to the millisecond, on both events


def _key(f: dict[str, Any]) -> tuple[Any, ...]:
    end = f["end"] if f["rule"] in INTERVAL_RULES else None
    return (f["rule"], f["endpoint"], f["generation"], f["host"], f["start"], end)


def check(findings: list[dict[str, Any]], directory: Path) -> dict[str, Any]:
    """The findings against the data set's ground truth: counts and every problem."""
    labels = json.loads((directory / "ground-truth.json").read_text())
    clocks_file = directory / "clocks.json"
    clocks = json.loads(clocks_file.read_text()) if clocks_file.exists() else None
    recoverable = {
        (lab["key"][0], lab["evidence"]["file"], lab["evidence"]["line"]): lab["recoverable"]
        for lab in (clocks or {}).get("labels", [])
    }
    got = {_key(f): f for f in findings if f["rule"] != "clock_skew"}
    problems: list[str] = []
    found = uncertain = 0
    for lab in labels:
        ev = lab["evidence"][0]
        f = got.get(_key(lab))
        if f is not None and ev in f["evidence"] and f["severity"] == lab["severity"]:
            found += 1
        elif not recoverable.get((lab["rule"], ev["file"], ev["line"]), True) and any(
            g["rule"] == lab["rule"]
            and g["endpoint"] == lab["endpoint"]
            and g["details"].get("order_uncertain")
            for g in got.values()
        ):
            uncertain += 1
        else:
            problems.append(f"missed {_key(lab)}")
    keys = {_key(lab) for lab in labels}
    extra = [f for k, f in got.items() if k not in keys]
    problems += [
        f"not a label, stated as certain: {_key(f)}"
        for f in extra
        if not f["details"].get("order_uncertain")
    ]
    faulty = {c["host"] for c in (clocks or {}).get("faults", [])}
    skews = [f for f in findings if f["rule"] == "clock_skew"]
    named = {f["host"] for f in skews}
    if named != faulty:
        problems.append(f"clock_skew named {sorted(named)}, the faulty clocks are {sorted(faulty)}")
    estimates = []
    for f in skews:
        true = clocks["hosts"][f["host"]]["offset_at_middle_s"] if clocks else 0.0
        est, bound = f["details"]["offset_s"], f["details"]["bound_s"]
        estimates.append(f"{f['host']} {est:+.3f} s ±{bound:.3f} (true {true:+.3f})")
        if abs(true - est) > bound + ROUNDING_S:
            problems.append(f"clock_skew {f['host']}: {est} ± {bound}, true offset {true}")
    return {
        "labels": len(labels),
        "found": found,
        "uncertain": uncertain,
        "extra": len(extra),
        "clock_skew": estimates,
        "problems": problems,
    }


def note(result: dict[str, Any]) -> str:
    """The table's note for a checked detect run."""
    text = (
        f"{result['findings']} findings; labels found {result['found']}/{result['labels']}"
        f", order_uncertain {result['uncertain']}, others {result['extra']}"
    )
    if result["clock_skew"]:
        text += "; clock_skew " + ", ".join(result["clock_skew"])
    return text + ("; **" + "; ".join(result["problems"]) + "**" if result["problems"] else "")


def step_analyzer_detect_checked(src: str, db: str) -> dict[str, Any]:
    """Every rule (as run.py's detect step), then the findings against the ground truth."""
    from analyzer import open_case

    t0 = time.perf_counter()
    with open_case(db) as case:
        records = case.findings().records()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "findings": len(records), **check(records, Path(src))}
