"""The labels follow from the written lines: evidence points at the defining lines, and an
independent recomputation from the logs (logged times only) finds the same findings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from analyzer.simulate import simulate
from tests.conftest import REPO
from tests.simulate.logview import Logs, label_keys, load, ms, parse_json, parse_logfmt, recompute

SAMPLE = REPO / "sample_logs" / "dynamodb-2025-10-20"
REGIONAL = "dynamodb.us-east-1.amazonaws.com"


def parsed(logs: Logs, ev: dict[str, Any]) -> dict[str, Any]:
    text = logs.line(ev["file"], ev["line"])
    kv = parse_logfmt(text) if ev["file"].startswith("enactor/") else parse_json(text)
    assert kv is not None, f"evidence points at a broken line: {ev}"
    return kv


def check_evidence(logs: Logs, f: dict[str, Any]) -> None:
    """The first evidence line is the line that defines the finding's start."""
    first = parsed(logs, f["evidence"][0])
    rule = f["rule"]
    if rule == "dns_resolution_failure":
        assert first["query_name"] == f["endpoint"] + "."
        assert first["answers"] == [] or first["rcode"] != "NOERROR"
        assert first["query_timestamp"].replace("Z", ".000Z") == f["start"]
        last = parsed(logs, f["evidence"][-1])
        assert last["query_timestamp"].replace("Z", ".000Z") == f["end"]
        assert last["answers"] == [] or last["rcode"] != "NOERROR"
        return
    assert first["ts"] == f["start"]
    event = {
        "non_monotonic_apply": "endpoint_update",
        "stale_plan_check": "endpoint_update",
        "generation_lag": "endpoint_update",
        "blocked_updates": "endpoint_update",
        "cleanup_deleted_live_plan": "plan_delete",
        "endpoint_empty": "plan_delete",
        "enactor_stall": "apply_start",
    }[rule]
    assert first["event"] == event
    if rule == "blocked_updates":
        assert int(first["generation"]) == f["details"]["first_failed_generation"]
        assert first["error"].startswith("InconsistentState")
        last = parsed(logs, f["evidence"][-1])
        assert (last["ts"], last["status"]) == (f["end"], "error")
    else:
        assert int(first["generation"]) == f["generation"]
    if f["host"] is not None:
        assert first["host"] == f["host"]
    if event == "endpoint_update":
        assert first["endpoint"] == f["endpoint"]
        assert first["status"] == ("error" if rule == "blocked_updates" else first["status"])
    if rule in ("non_monotonic_apply", "generation_lag"):
        assert first["status"] == "ok"
    if rule == "non_monotonic_apply":
        prev = parsed(logs, f["evidence"][1])
        assert int(prev["generation"]) == f["details"]["previous_generation"] > f["generation"]
        assert ms(prev["ts"]) < ms(first["ts"])
    if rule == "stale_plan_check":
        chk = parsed(logs, f["evidence"][1])
        assert (chk["event"], chk["verdict"], chk["host"]) == ("plan_check", "newer", f["host"])
        assert chk["ts"] == f["details"]["check_time"]
    if rule == "cleanup_deleted_live_plan":
        applied = [parsed(logs, e) for e in f["evidence"][1:-1]]
        assert {a["endpoint"] for a in applied} == {
            e["endpoint"] for e in f["details"]["endpoints"]
        }
        assert all(int(a["generation"]) == f["generation"] for a in applied)
    if rule == "endpoint_empty" and f["end"] is not None:
        end = parsed(logs, f["evidence"][1])
        assert end["ts"] == f["end"]
        assert end.get("action") == "restore_endpoint" or end.get("status") == "ok"
    if rule == "enactor_stall":
        done = parsed(logs, f["evidence"][1])
        assert (done["event"], done["ts"]) == ("apply_done", f["end"])
        waits = [parsed(logs, e) for e in f["evidence"][2:]]
        assert all(w["status"] == "contended" for w in waits)
        assert f["details"]["unexplained"] == (not waits)
    if rule == "generation_lag":
        plan = parsed(logs, f["evidence"][1])
        assert plan["generation"] == f["details"]["planner_generation"] >= f["generation"] + 10


def check_all(root: Path, labels: list[dict[str, Any]]) -> Logs:
    logs = load(root)
    assert labels == sorted(
        labels,
        key=lambda f: (
            f["start"],
            f["rule"],
            f["endpoint"] or "",
            f["generation"] or -1,
            f["host"] or "",
        ),
    )
    for f in labels:
        check_evidence(logs, f)
        for ev in f["evidence"]:
            assert (ev["file"], ev["line"]) not in logs.malformed
    assert recompute(logs) == label_keys(labels)
    return logs


@pytest.mark.parametrize("seed", range(10))
def test_random_labels_follow_from_the_logs(tmp_path: Path, seed: int) -> None:
    design = ("buggy", "fixed-update", "fixed-cleanup", "buggy", "fixed")[seed % 5]
    res = simulate(
        "random",
        tmp_path,
        seed=seed,
        design=design,
        stall=True,
        skew=True,
        malformed=True,
        stall_logged=seed % 2 == 0,
        silent=seed % 3 == 0,
    )
    logs = check_all(tmp_path, res.labels)
    assert json.loads((tmp_path / "ground-truth.json").read_text()) == res.labels
    assert logs.malformed, "malformed lines were requested"
    assert res.dns_lines == len(logs.dns)
    control = [f for f in res.files if not f.startswith("dns/") and f != "ground-truth.json"]
    assert res.control_lines == sum(len((tmp_path / f).read_text().splitlines()) for f in control)
    (stall,) = [f for f in res.labels if f["rule"] == "enactor_stall"]
    assert stall["host"] == res.config.stall.host
    assert stall["details"]["unexplained"] == (seed % 2 == 1)


@pytest.mark.skipif(not SAMPLE.is_dir(), reason="sample_logs not generated")
def test_sample_tells_the_public_story() -> None:
    labels = json.loads((SAMPLE / "ground-truth.json").read_text())
    logs = check_all(SAMPLE, labels)
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for f in labels:
        by_rule.setdefault(f["rule"], []).append(f)
    # only the regional endpoint goes empty: 06:48 (11:48 PM PDT) until the restore at 09:25
    (empty,) = by_rule["endpoint_empty"]
    assert empty["endpoint"] == REGIONAL
    assert empty["start"].startswith("2025-10-20T06:48:")
    assert empty["end"].startswith("2025-10-20T09:25:")
    # the stale overwrite by the Enactor held up by lock contention came just before
    (stale,) = by_rule["non_monotonic_apply"]
    (stall,) = by_rule["enactor_stall"]
    assert stale["host"] == stall["host"] and stall["details"]["retries_logged"] >= 5
    assert stale["start"] < empty["start"]
    # clients recover as cached empty answers expire, between the restore and 09:40
    (dns,) = by_rule["dns_resolution_failure"]
    assert dns["endpoint"] == REGIONAL and dns["severity"] == "critical"
    assert empty["end"] < dns["end"] <= "2025-10-20T09:40:00.000Z"
    hosts = {e.kv["host"] for e in logs.enactor}
    assert len(hosts) == 3
    actions = {e.kv["action"]: e.kv["ts"] for e in logs.operator}
    assert actions["disable_automation"].startswith("2025-10-20T12:38:")
    assert len(logs.malformed) == 2
    assert {f.split("/")[0] for f, _ in logs.malformed} == {"dns", "enactor"}
