"""The ordering model as users see it: host_clocks, ts_corrected, and the gaps it raises."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from analyzer import open_case
from analyzer.cli import main

DATA = Path(__file__).resolve().parents[1] / "data" / "rules"
BEHIND = DATA / "clock_skew" / "host_behind"  # az3 logs a plan 0.8 s before it existed
RESTORED = DATA / "endpoint_empty" / "restored"  # plan 100 of db.example.com deleted at 06:40:29.2


def test_users_sql_sees_the_corrected_time_beside_ts() -> None:
    with open_case(None) as case:
        case.ingest(BEHIND)
        clocks = {r["host"]: r for r in case.clocks().to_dicts()}
        assert clocks["planner-1"]["reference"] and clocks["planner-1"]["offset_s"] == 0
        assert clocks["dns-enactor-use1-az3"]["upper_s"] == -0.8  # at least 0.8 s behind
        assert clocks["dns-enactor-use1-az3"]["constraints"] > 0
        shift = case.sql(
            "SELECT host, epoch(ts_corrected) - epoch(ts) AS s FROM enactor_events_ordered "
            "GROUP BY ALL ORDER BY host"
        ).rows()
        for host, seconds in shift:
            assert abs(seconds + clocks[host]["offset_s"]) < 1e-6, host
        assert dict(shift)["dns-enactor-use1-az3"] >= 0.8 - 1e-6
        planner = case.sql("SELECT count(*) FROM planner_events_ordered WHERE ts_corrected <> ts")
        assert planner.item() == 0


def test_the_model_follows_new_data(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    shutil.copytree(RESTORED, logs, ignore=shutil.ignore_patterns("expected.json"))
    with open_case(None) as case:
        case.ingest(logs)
        assert case.clocks()["offset_s"].abs().max() == 0  # nothing contradicts causal order
        late = logs / "enactor" / "dns-enactor-use1-az9.log"
        late.write_text(
            "ts=2025-10-20T06:40:20.000Z level=info host=dns-enactor-use1-az9 event=plan_check "
            "generation=105 current_generation=100 verdict=stale\n"
        )  # checked 105 five seconds before it was created
        case.ingest(logs)
        row = case.sql("SELECT * FROM host_clocks WHERE host = 'dns-enactor-use1-az9'").to_dicts()
        assert row and row[0]["upper_s"] <= -5


def _dns_line(ts: str, failed: bool) -> str:
    answers = [] if failed else [{"Rdata": "10.0.109.1", "Type": "A", "Class": "IN"}]
    return json.dumps(
        {"version": "1.100000", "account_id": "111122223333", "region": "us-east-1",
         "vpc_id": "vpc-0a1b2c3d4e5f60718", "query_timestamp": ts,
         "query_name": "db.example.com.", "query_type": "A", "query_class": "IN",
         "rcode": "NOERROR", "answers": answers, "srcaddr": "10.0.0.7", "srcport": "5353",
         "transport": "UDP", "srcids": {"instance": "i-0123456789abcdef0"}}
    )  # fmt: skip


def test_dns_failing_before_the_deletion_contradicts_the_cause(tmp_path: Path) -> None:
    """Queries for db.example.com fail from 06:39:50, 39 s before the deletion that is
    taken to have emptied it: a root-cause gap, never silently accepted."""
    logs = tmp_path / "logs"
    shutil.copytree(RESTORED, logs, ignore=shutil.ignore_patterns("expected.json"))
    times = ["06:39:40", *(f"06:{m}:{s:02d}" for m in (39, 40) for s in range(0, 60, 10))]
    lines = [_dns_line(f"2025-10-20T{t}Z", failed=t >= "06:39:50") for t in sorted(set(times))]
    (logs / "dns").mkdir()
    (logs / "dns" / "resolver.jsonl").write_text("\n".join(lines) + "\n")
    with open_case(None) as case:
        case.ingest(logs)
        found = case.findings()
        gaps = case.gaps(found).to_dicts()
    kinds = [g for g in gaps if g["kind"] == "dns_contradicts_cause"]
    assert [g["endpoint"] for g in kinds] == ["db.example.com"]
    numbers = json.loads(kinds[0]["numbers"])
    assert 38 <= numbers["lead_s"] <= 40 and numbers["order_bound_s"] < 1
    assert {"file": "dns/resolver.jsonl", "line": 6} in kinds[0]["evidence"]  # 06:39:50


def test_simulate_writes_clock_faults_and_their_record(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    result = CliRunner().invoke(
        main, ["simulate", "random", "--seed", "3", "--out", str(out), "--clock-faults"]
    )
    assert result.exit_code == 0, result.stderr
    record = json.loads((out / "clocks.json").read_text())
    assert record["faults"] and record["reference"] == "dns-planner-1"
    for fault in record["faults"]:
        assert 1 <= abs(fault["offset_s"]) <= 5 and abs(fault["drift_s_per_h"]) <= 0.05
        assert abs(record["hosts"][fault["host"]]["offset_at_start_s"] - fault["offset_s"]) < 1e-6
    assert all("recoverable" in lab for lab in record["labels"])
