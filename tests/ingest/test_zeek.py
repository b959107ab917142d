"""Zeek dns.log, TSV and JSON: the published lines, the header rules, the failure rule."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest

from analyzer import open_case
from tests.conftest import DATA, REAL_LOGS, utc

REAL = REAL_LOGS / "zeek"
OWN = DATA / "ingest" / "zeek"
TSV_HEADER_LINES = 8


@pytest.fixture(scope="module")
def real():
    with open_case() as c:
        c.ingest(REAL)
        yield c


@pytest.fixture(scope="module")
def own():
    with open_case() as c:
        c.ingest(OWN, assume_tz="America/Los_Angeles")
        yield c


def rows_of(case, file: str) -> dict[int, dict]:
    df = case.sql("SELECT * FROM dns_queries WHERE file = ? ORDER BY line", [file])
    return {r["line"]: r for r in df.iter_rows(named=True)}


# -- the published JSON lines -------------------------------------------------------------
def test_real_json_sample_loads_every_line(real):
    f = real.files().row(0, named=True)
    assert (f["file"], f["source"]) == ("dns.json.log", "zeek")
    assert (f["lines"], f["loaded"], f["quarantined"]) == (2, 2, 0)


def test_real_json_sample_fields(real):
    rows = rows_of(real, "dns.json.log")
    first = rows[1]
    assert first["ts"] == utc(2019, 1, 11, 6, 33, 35, 857497)
    assert first["qname"] == "dd625ffb4fc54735b281862aa1cd6cd4.us-west1.gcp.cloud.es.io"
    assert (first["qtype"], first["qclass"], first["rcode"]) == ("A", "IN", "NOERROR")
    assert (first["client"], first["client_port"], first["server"], first["transport"]) == (
        "192.168.86.167",
        38339,
        "192.168.86.1",
        "UDP",
    )
    assert first["answers"] == [
        "proxy-production-us-west1.gcp.cloud.es.io",
        "proxy-production-us-west1-v1-009.gcp.cloud.es.io",
        "89.160.20.156",
    ]
    assert first["failed"] is False  # the CNAME chain ends in an address
    assert json.loads(first["extra"])["TTLs"] == [119.0, 119.0, 59.0]
    # An mDNS query Zeek saw no reply to: no rcode, so failure is unknown.
    second = rows[2]
    assert second["ts"] == utc(2019, 8, 29, 16, 23, 50, 680046)
    assert (second["qname"], second["qtype"], second["rcode"]) == (
        "_googlecast._tcp.local",
        "PTR",
        None,
    )
    assert second["failed"] is None and second["answers"] is None
    assert (second["client"], second["server"]) == ("fe80::4ef:15cf:769f:ff21", "ff02::fb")


# -- TSV -------------------------------------------------------------------------------------
def test_tsv_counts_header_lines_as_loaded_and_says_so(own):
    f = own.sql("SELECT * FROM files WHERE file = 'dns.log'").row(0, named=True)
    assert f["source"] == "zeek"
    # 2 logs of 8 header lines + #close each; 13 data lines of which 2 are bad.
    assert (f["lines"], f["loaded"], f["quarantined"]) == (31, 29, 2)
    assert "18 Zeek header lines" in f["message"]
    rows = own.sql("SELECT count(*) AS n FROM dns_queries WHERE file = 'dns.log'")["n"][0]
    assert rows == 11
    assert f["assumed_tz"] is None  # epoch times are UTC


def test_tsv_failure_rule_line_by_line(own):
    rows = rows_of(own, "dns.log")
    failed = {line: r["failed"] for line, r in rows.items()}
    assert failed[9] is False  # addresses
    assert failed[10] is True  # NOERROR, answers unset: NODATA
    assert failed[11] is True  # AAAA answered by a CNAME chain only
    assert failed[12] is False  # CNAME chain ending in an address
    assert failed[13] is True  # NXDOMAIN
    assert failed[14] is None  # no reply seen (rcode unset)
    assert failed[15] is None  # truncated reply: the client retries over TCP
    assert failed[16] is False  # PTR answered with a name
    assert failed[17] is True  # NOERROR, (empty) answer vector
    assert failed[20] is False  # AAAA answered with an IPv6 address


def test_tsv_unset_and_empty_values(own):
    rows = rows_of(own, "dns.log")
    assert rows[10]["answers"] == [] and rows[17]["answers"] == []
    assert rows[14]["rcode"] is None and rows[14]["answers"] is None
    assert "TTLs" not in json.loads(rows[10]["extra"])  # unset: not kept
    assert json.loads(rows[17]["extra"])["TTLs"] == []  # (empty): an empty vector


def test_tsv_fields_and_types(own):
    row = rows_of(own, "dns.log")[9]
    assert row["ts"] == utc(2025, 10, 20, 6, 48, 30, 123456)
    assert row["qname"] == "dynamodb.us-east-1.amazonaws.com"  # lower case
    assert (row["qtype"], row["qclass"], row["rcode"]) == ("A", "IN", "NOERROR")
    assert row["answers"] == ["3.218.182.10", "3.218.182.41"]
    assert row["answer_types"] is None  # Zeek does not log them
    assert (row["client"], row["client_port"], row["server"], row["transport"]) == (
        "10.0.0.5",
        53001,
        "10.0.0.2",
        "UDP",
    )
    extra = json.loads(row["extra"])
    assert extra["uid"] == "C1" and extra["trans_id"] == 4242 and extra["rtt"] == 0.000512
    assert extra["TTLs"] == [5.0, 5.0] and extra["AA"] is False and extra["RD"] is True


def test_tsv_extra_has_the_shape_of_json_extra(own, real):
    tsv = json.loads(rows_of(own, "dns.log")[9]["extra"])
    js = json.loads(rows_of(real, "dns.json.log")[1]["extra"])
    assert set(tsv) == set(js)
    assert {k: type(v) for k, v in tsv.items()} == {k: type(v) for k, v in js.items()}


def test_tsv_columns_follow_the_header_in_force(own):
    # The second, concatenated log has other columns in another order and ';' sets.
    row = rows_of(own, "dns.log")[30]
    assert row["qname"] == "rotated.example.com" and row["transport"] == "TCP"
    assert row["answers"] == ["rotated.example.net", "198.51.100.7"]
    assert (row["client"], row["server"], row["qclass"]) == ("10.0.0.9", "10.0.0.3", None)
    assert row["failed"] is False


def test_tsv_bad_lines_are_quarantined_with_reasons(own):
    reasons = dict(
        own.sql("SELECT line, reason FROM quarantine WHERE file = 'dns.log' ORDER BY line").rows()
    )
    assert reasons == {
        18: "23 values where #fields names 24",
        19: "no query name (a DNS message without a question)",
    }


def test_other_zeek_logs_are_not_taken_for_dns(own):
    f = own.sql("SELECT * FROM files WHERE file = 'conn.log'").row(0, named=True)
    assert f["status"] == "skipped" and "no known log source" in f["message"]


# -- JSON ------------------------------------------------------------------------------------
def test_json_time_forms_and_failures(own):
    rows = rows_of(own, "dns-json.log")
    assert rows[1]["ts"] == utc(2025, 10, 20, 6, 48, 30, 500000)  # ISO 8601 with Z
    assert rows[1]["failed"] is True  # A answered by a CNAME only
    assert rows[2]["ts"] == utc(2025, 10, 20, 6, 48, 31)  # epoch milliseconds
    assert (rows[2]["rcode"], rows[2]["answers"], rows[2]["failed"]) == ("NXDOMAIN", [], True)
    assert rows[3]["ts"] == utc(2025, 10, 20, 6, 48, 32, 250000)  # epoch seconds
    assert (rows[3]["answers"], rows[3]["failed"]) == ([], True)  # AAAA NODATA


def test_json_zoneless_time_is_read_in_the_assumed_zone(own):
    row = rows_of(own, "dns-json.log")[5]
    assert row["ts"] == utc(2025, 10, 20, 13, 48, 34)  # 06:48:34 PDT
    f = own.sql("SELECT * FROM files WHERE file = 'dns-json.log'").row(0, named=True)
    assert f["assumed_tz"] == "America/Los_Angeles"
    assert "1 timestamps had no zone" in f["message"]
    assert (f["lines"], f["loaded"], f["quarantined"]) == (5, 4, 1)
    bad = own.sql("SELECT line, reason FROM quarantine WHERE file = 'dns-json.log'").rows()
    assert bad == [(4, "invalid JSON")]


# -- reading ---------------------------------------------------------------------------------
def _dump(case) -> tuple:
    q = case.sql("SELECT * EXCLUDE (file) FROM dns_queries ORDER BY line")
    bad = case.sql("SELECT line, reason FROM quarantine ORDER BY line")
    f = case.sql("SELECT lines, loaded, quarantined FROM files WHERE status <> 'skipped'")
    return q, bad, f


def test_gzip_and_small_chunks_load_like_plain(tmp_path):
    plain, packed = tmp_path / "plain", tmp_path / "packed"
    plain.mkdir()
    packed.mkdir()
    shutil.copy(OWN / "dns.log", plain / "dns.log")
    (packed / "dns.log.gz").write_bytes(gzip.compress((OWN / "dns.log").read_bytes()))
    with open_case() as a, open_case() as b, open_case() as c:
        a.ingest(plain)
        b.ingest(packed)
        c.ingest(plain, chunk_bytes=256)  # headers carried from chunk to chunk
        ref = _dump(a)
        for other in (b, c):
            got = _dump(other)
            assert all(x.equals(y) for x, y in zip(ref, got, strict=True))
        assert b.sql("SELECT compressed FROM files")["compressed"][0]


def test_appended_lines_use_the_header_at_the_top_of_the_file(tmp_path):
    lines = (OWN / "dns.log").read_text().splitlines(keepends=True)
    first, rest = lines[: TSV_HEADER_LINES + 3], lines[TSV_HEADER_LINES + 3 :]
    logs = tmp_path / "logs"
    logs.mkdir()
    with open_case() as grown, open_case() as whole:
        (logs / "dns.log").write_text("".join(first))
        grown.ingest(logs)
        with (logs / "dns.log").open("a") as fh:
            fh.write("".join(rest))
        res = grown.ingest(logs)[0]
        assert res.status == "appended"
        whole.ingest(OWN)
        want = whole.sql("SELECT lines, loaded, quarantined FROM files WHERE file = 'dns.log'")
        assert (res.lines, res.loaded, res.quarantined) == want.row(0)
        assert _dump(grown)[0].equals(
            whole.sql(
                "SELECT * EXCLUDE (file) FROM dns_queries WHERE file = 'dns.log' ORDER BY line"
            )
        )


def test_tsv_lines_without_any_header_are_quarantined(tmp_path):
    data = (OWN / "dns.log").read_text().splitlines(keepends=True)[TSV_HEADER_LINES:][:4]
    (tmp_path / "dns.log").write_text("".join(data))
    with open_case() as c:
        res = c.ingest(tmp_path)[0]
        assert (res.source, res.lines, res.loaded, res.quarantined) == ("zeek", 4, 0, 4)
        reasons = c.sql("SELECT DISTINCT reason FROM quarantine").rows()
    assert reasons == [("Zeek TSV line before any #fields header",)]


def test_other_separators_hold_across_an_append(tmp_path):
    head = [
        "#separator \\x7c", "#set_separator|;", "#empty_field|(empty)", "#unset_field|-",
        "#path|dns", "#fields|ts|uid|id.orig_h|query|qtype_name|rcode_name|answers",
        "#types|time|string|addr|string|string|string|vector[string]",
    ]  # fmt: skip
    rows = [f"1760942910.{i}|C{i}|10.0.0.1|n{i}.example.com|A|NOERROR|a.example;192.0.2.{i}"
            for i in range(4)]  # fmt: skip
    log = tmp_path / "dns.log"
    log.write_text("\n".join(head + rows[:2]) + "\n")
    with open_case() as c:
        assert c.ingest(tmp_path)[0].source == "zeek"
        with log.open("a") as fh:
            fh.write("\n".join(rows[2:]) + "\n")
        res = c.ingest(tmp_path)[0]
        assert (res.status, res.lines, res.loaded, res.quarantined) == ("appended", 11, 11, 0)
        got = c.sql("SELECT line, qname, answers FROM dns_queries ORDER BY line").rows()
    assert got == [(8 + i, f"n{i}.example.com", ["a.example", f"192.0.2.{i}"]) for i in range(4)]
