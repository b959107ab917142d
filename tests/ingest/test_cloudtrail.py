"""CloudTrail ingest: S3 documents (gzip, nested AWSLogs folders) and JSON Lines exports."""

from __future__ import annotations

import gzip
import json
import os
import shutil

import pytest

from analyzer import open_case
from analyzer.ingest.document import split_records
from tests.conftest import DATA, REAL_LOGS, utc

CLOUDTRAIL = DATA / "ingest" / "cloudtrail"
DOC = (
    "AWSLogs/111122223333/CloudTrail/us-east-1/2025/10/20/"
    "111122223333_CloudTrail_us-east-1_20251020T0650Z_a1b2c3.json.gz"
)
EXPORT = "exports/route53-changes.jsonl"
EXTERNAL_DNS = "arn:aws:iam::111122223333:role/external-dns/external-dns-a"


@pytest.fixture(scope="module")
def case():
    c = open_case()
    c.ingest(CLOUDTRAIL)
    yield c
    c.close()


def _file(case, name):
    return case.sql("SELECT * FROM files WHERE file = ?", [name]).row(0, named=True)


def test_document_counts_records_and_names_the_events_left_out(case):
    row = _file(case, DOC)
    assert (row["source"], row["status"], row["compressed"]) == ("cloudtrail", "loaded", True)
    assert (row["lines"], row["loaded"], row["quarantined"]) == (7, 5, 2)
    assert "7 records on 1 lines" in row["message"]
    assert "2 events other than Route 53 ChangeResourceRecordSets" in row["message"]
    assert "s3.amazonaws.com GetObject 1" in row["message"]


def test_document_changes_carry_file_line_and_record(case):
    rows = case.sql(
        """SELECT record, line, action, name, type, "values", change_id, error_code, actor
           FROM record_changes WHERE file = ? ORDER BY record, name""",
        [DOC],
    ).rows()
    assert rows == [
        (0, 1, "UPSERT", "api.example.com", "A", ["192.0.2.10", "192.0.2.11"], "C0AAAAAAAAAAA1",
         None, EXTERNAL_DNS),
        (0, 1, "DELETE", "old.example.com", "CNAME", ["api.example.com"], "C0AAAAAAAAAAA1",
         None, EXTERNAL_DNS),
        (5, 1, "UPSERT", "api.example.com", "A", ["192.0.2.12"], None, "Throttling", EXTERNAL_DNS),
        (6, 1, "CREATE", "www.example.com", "A", [], "C0AAAAAAAAAAA3", None, EXTERNAL_DNS),
    ]  # fmt: skip
    weighted = case.sql("SELECT * FROM record_changes WHERE record = 6").row(0, named=True)
    assert (weighted["set_identifier"], weighted["weight"], weighted["ttl"]) == ("blue", 10, 60)
    assert weighted["alias_target"] == "lb-1.us-east-1.elb.amazonaws.com"
    assert weighted["zone_id"] == "Z0EXAMPLE"


def test_bad_records_are_quarantined_with_their_index(case):
    rows = case.sql(
        "SELECT line, reason, raw FROM quarantine WHERE file = ? ORDER BY reason", [DOC]
    )
    assert rows.rows()[0] == (1, "Records[3]: not a JSON object", "42")
    assert rows["reason"][1] == "Records[4]: change 0 has no resourceRecordSet.name"


def test_json_lines_export(case):
    row = _file(case, EXPORT)
    assert (row["lines"], row["loaded"], row["quarantined"]) == (5, 3, 2)
    assert "1 events other than" in row["message"]
    rows = case.sql(
        "SELECT line, record, action, actor, ts FROM record_changes WHERE file = ? ORDER BY line",
        [EXPORT],
    ).rows()
    assert rows == [
        (1, None, "CREATE", "arn:aws:iam::111122223333:user/alice", utc(2025, 10, 20, 7, 10)),
        (5, None, "DELETE", EXTERNAL_DNS, utc(2025, 10, 20, 7, 11)),  # EventBridge "detail"
    ]
    reasons = case.sql("SELECT line, reason FROM quarantine WHERE file = ? ORDER BY line", [EXPORT])
    assert reasons.rows() == [
        (3, "invalid JSON"),
        (4, "unparseable timestamp eventTime=not-a-time"),
    ]


def test_real_aws_documentation_record(tmp_path):
    """The record of AWS's Route 53 documentation, as CloudTrail delivers it."""
    shutil.copy(REAL_LOGS / "route53-cloudtrail" / "docs-example.json", tmp_path)
    with open_case() as c:
        (result,) = c.ingest(tmp_path)
        assert (result.source, result.lines, result.loaded, result.quarantined) == (
            "cloudtrail", 1, 1, 0)  # fmt: skip
        rows = c.sql(
            """SELECT ts, actor, source_ip, zone_id, change_id, action, name, type, ttl,
                      "values", error_code, line, record FROM record_changes ORDER BY name"""
        ).rows()
    values = ["192.0.1.1", "192.0.1.2", "192.0.1.3", "192.0.1.4"]
    common = (utc(2018, 1, 16, 0, 41, 43), "arn:aws:iam::111122223333:user/smithj", "192.0.2.92",
              "Z1PA6795UKMFR9", "C156SRE0X2ZB10", "CREATE")  # fmt: skip
    assert rows == [
        (*common, "prod.example.com", "A", 300, values, None, 2, 0),
        (*common, "test.example.com", "A", 300, values, None, 2, 0),
    ]


def test_real_fragment_alone_is_not_a_log_but_loads_as_a_record(tmp_path):
    """The documentation's fragment ends inside an array: no file to load; put
    back into a Records array (gzip, as S3 holds it) it gives the same two changes."""
    src = REAL_LOGS / "control-planes" / "route53-cloudtrail"
    fragment = (src / "change-resource-record-sets.json.fragment").read_text()
    (tmp_path / "alone").mkdir()
    shutil.copy(src / "change-resource-record-sets.json.fragment", tmp_path / "alone")
    record = fragment[: fragment.rindex("},") + 1]  # it ends with "}," and the next "{"
    doc = ('{"Records": [\n' + record + "\n]}\n").encode()
    (tmp_path / "wrapped").mkdir()
    (tmp_path / "wrapped" / "a.json.gz").write_bytes(gzip.compress(doc))
    with open_case() as c:
        (alone,) = c.ingest(tmp_path / "alone")
        assert alone.status == "skipped"
        (wrapped,) = c.ingest(tmp_path / "wrapped")
        assert (wrapped.lines, wrapped.loaded, wrapped.quarantined) == (1, 1, 0)
        got = c.sql("SELECT name, line, record FROM record_changes ORDER BY name").rows()
    assert got == [("prod.example.com", 2, 0), ("test.example.com", 2, 0)]


def test_incremental_document_is_unchanged_or_changed(tmp_path):
    shutil.copytree(CLOUDTRAIL, tmp_path / "ct")
    with open_case() as c:
        c.ingest(tmp_path / "ct")
        n = c.sql("SELECT count(*) AS n FROM record_changes")["n"][0]
        path = tmp_path / "ct" / DOC
        os.utime(path, ns=(1, 1))  # touched, same content
        again = {r.file: r.status for r in c.ingest(tmp_path / "ct")}
        assert again[DOC] == "unchanged"
        path.write_bytes(gzip.compress(b'{"Records": []}'))
        again = {r.file: r.status for r in c.ingest(tmp_path / "ct")}
        assert again[DOC] == "changed"
        assert c.sql("SELECT count(*) AS n FROM record_changes")["n"][0] == n


def test_truncated_gzip_document_keeps_the_complete_records(tmp_path):
    data = (CLOUDTRAIL / DOC).read_bytes()
    whole = gzip.decompress(data)
    cut = len(whole) - 300  # inside the last record
    (tmp_path / "t.json.gz").write_bytes(gzip.compress(whole)[:-40])
    split = split_records(whole[:cut], "gzip stream ends early")
    assert split.records.num_rows == 6
    assert split.problems[0][1] == "record 6: cut off (gzip stream ends early)"
    with open_case() as c:
        (r,) = c.ingest(tmp_path)
        assert r.status == "partial"
        assert r.lines == r.loaded + r.quarantined
        assert c.sql("SELECT count(*) AS n FROM quarantine WHERE reason LIKE '%cut off%'")["n"][0]


def test_split_finds_each_record_line_despite_brackets_in_strings():
    records = [
        {"eventTime": "t", "note": 'a "quoted" ],{ and \\', "x": [1, {"y": "}"}]},
        {"eventTime": "u", "n": None},
        "not an object",
    ]
    text = json.dumps({"Records": records}, indent=2)
    split = split_records(text.encode())
    assert split.problems == []
    got = split.records.to_pylist()
    assert [json.loads(r["text"]) for r in got] == records
    lines = text.splitlines()
    for r in got:
        assert lines[r["line"] - 1].strip().startswith(("{", '"not'))
    assert [r["record"] for r in got] == [0, 1, 2]
