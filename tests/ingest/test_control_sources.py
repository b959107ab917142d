"""The Planner, Enactor, operator and Route 53 Resolver ingestors, field by field."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from analyzer import open_case
from tests.conftest import DATA, utc

CONTROL = DATA / "ingest" / "control"
UTC = dt.UTC


@pytest.fixture(scope="module")
def case():
    c = open_case()
    c.ingest(CONTROL, assume_tz="America/Los_Angeles")
    yield c
    c.close()


def physical_lines(path: Path) -> int:
    data = path.read_bytes()
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)


def test_every_file_accounts_for_every_line(case):
    files = case.files()
    for row in files.iter_rows(named=True):
        if row["status"] == "skipped":
            continue
        assert row["lines"] == physical_lines(CONTROL / row["file"])
        assert row["lines"] == row["loaded"] + row["quarantined"]
        quarantined = case.sql("SELECT count(*) AS n FROM quarantine WHERE file = ?", [row["file"]])
        assert quarantined["n"][0] == row["quarantined"]


def test_unknown_file_is_listed_as_skipped_with_reason(case):
    row = case.sql("SELECT * FROM files WHERE file = 'notes.txt'").row(0, named=True)
    assert row["status"] == "skipped"
    assert "no known log source" in row["message"]


def test_sources_are_recognised_by_content(case):
    sources = dict(case.sql("SELECT file, source FROM files").rows())
    assert sources["planner/planner-1.jsonl"] == "planner"
    assert sources["enactor/dns-enactor-use1-az4.log"] == "enactor"
    assert sources["operator/actions.jsonl"] == "operator"
    assert sources["dns/resolver-vpc-1.jsonl"] == "route53_resolver"


def test_planner_plans_one_row_per_generation_and_endpoint(case):
    plans = case.sql("SELECT * FROM plans ORDER BY generation, endpoint")
    assert plans.select("generation", "endpoint", "line").rows() == [
        (118234, "dynamodb-fips.us-east-1.amazonaws.com", 1),
        (118234, "dynamodb.us-east-1.amazonaws.com", 1),
        (118236, "dynamodb.us-east-1.amazonaws.com", 4),
    ]
    first = plans.row(1, named=True)
    assert first["ips"] == ["3.218.182.10", "3.218.182.41", "3.218.180.7", "52.94.0.12"]
    assert first["created_at"] == utc(2025, 10, 20, 6, 47, 31, 204000)
    assert first["weight"] == 400 and first["lbs"] == 4


def test_planner_other_events_are_kept(case):
    events = case.sql("SELECT event, ts FROM planner_events ORDER BY line").rows()
    assert ("heartbeat", utc(2025, 10, 20, 6, 47, 33, 100000)) in events


def test_enactor_typed_keys_and_quoted_values(case):
    ev = case.sql("SELECT * FROM enactor_events ORDER BY line")
    by_line = {r["line"]: r for r in ev.iter_rows(named=True)}
    upd = by_line[4]
    assert (upd["event"], upd["generation"], upd["status"], upd["attempt"]) == (
        "endpoint_update",
        118190,
        "ok",
        1,
    )
    assert upd["latency_ms"] == 41873 and upd["change_id"] == "C0A1B2C3D4"
    assert by_line[3]["backoff_ms"] == 1500 and by_line[3]["holder"] == "dns-enactor-use1-az1"
    # key order is not fixed; unknown keys are kept
    assert by_line[5]["event"] == "apply_done" and by_line[5]["extra"] == {"region": "us-east-1"}
    assert by_line[6]["error"] == 'InconsistentState: active plan 118190 not found "quoted" a=b'


def test_enactor_bad_records_are_quarantined_with_reasons(case):
    reasons = dict(
        case.sql(
            "SELECT line, reason FROM quarantine WHERE file LIKE 'enactor/%' ORDER BY line"
        ).rows()
    )
    assert reasons == {
        7: "endpoint_update lacks key endpoint",
        8: "a key appears twice",
        9: "unparseable timestamp ts=not-a-time",
        10: "not a logfmt record",
    }


def test_operator_actions(case):
    rows = case.sql("SELECT action, endpoint, generation FROM operator_actions ORDER BY ts").rows()
    assert rows == [
        ("disable_automation", None, None),
        ("restore_endpoint", "dynamodb.us-east-1.amazonaws.com", 118236),
    ]


def test_resolver_failed_flag_follows_the_spec(case):
    rows = case.sql("SELECT line, qname, qtype, failed FROM dns_queries ORDER BY line").rows()
    failed = {line: f for line, _, _, f in rows}
    assert failed[1] is True  # NOERROR with an empty answer section (NODATA)
    assert failed[2] is False  # an A record
    assert failed[3] is True  # a CNAME chain with no address
    assert failed[4] is False  # a CNAME chain that ends in an address
    assert failed[5] is True  # SERVFAIL
    assert failed[6] is False  # PTR answered with PTR


def test_resolver_names_are_canonical_and_extra_fields_kept(case):
    row = case.sql("SELECT * FROM dns_queries WHERE line = 3").row(0, named=True)
    assert row["qname"] == "alias.example.com"
    assert row["client"] == "10.0.0.6" and row["client_port"] == 1 and row["server"] == "vpc-0a1"
    assert '"firewall_rule_action":"ALERT"' in row["extra"]


def test_zoneless_timestamp_read_in_assumed_zone_and_said(case):
    row = case.sql("SELECT ts, qname FROM dns_queries WHERE line = 9").row(0, named=True)
    # 06:48:37 in Los Angeles (PDT, UTC-7) is 13:48:37 UTC
    assert row["ts"] == utc(2025, 10, 20, 13, 48, 37)
    assert row["qname"] == "dynamodb.us-east-1.amazonaws.com"
    f = case.sql("SELECT * FROM files WHERE file = 'dns/resolver-vpc-1.jsonl'").row(0, named=True)
    assert f["assumed_tz"] == "America/Los_Angeles"
    assert "no zone" in f["message"]


def test_gzip_loads_like_plain(tmp_path):
    import gzip

    src = CONTROL / "enactor" / "dns-enactor-use1-az4.log"
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "a.log.gz").write_bytes(gzip.compress(src.read_bytes()))
    shutil.copy(src, tmp_path / "logs" / "b.log")
    with open_case() as c:
        res = {r.file: r for r in c.ingest(tmp_path / "logs")}
        assert (res["a.log.gz"].loaded, res["a.log.gz"].quarantined) == (
            res["b.log"].loaded,
            res["b.log"].quarantined,
        )
        a, b = (
            c.sql(f"SELECT * EXCLUDE (file) FROM enactor_events WHERE file = '{f}' ORDER BY line")
            for f in ("a.log.gz", "b.log")
        )
        assert a.equals(b)
        assert c.sql("SELECT compressed FROM files WHERE file = 'a.log.gz'")["compressed"][0]
