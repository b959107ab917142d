"""BIND 9 query logs: published lines, query-errors merged into their query, times."""

from __future__ import annotations

import gzip
import json
import os
import shutil

import pytest
from click.testing import CliRunner

from analyzer import open_case
from analyzer.cli import main
from analyzer.ingest.dns_text import NO_TIME
from tests.conftest import DATA, REAL_LOGS, utc

REAL = REAL_LOGS / "bind"
OWN = DATA / "ingest" / "bind"


@pytest.fixture(scope="module")
def real():
    with open_case() as c:
        c.ingest(REAL, assume_year=2025)
        yield c


@pytest.fixture(scope="module")
def own():
    with open_case() as c:
        c.ingest(OWN, assume_tz="America/Los_Angeles", assume_year=2025)
        yield c


def rows_of(case, file: str) -> dict[int, dict]:
    df = case.sql("SELECT * FROM dns_queries WHERE file = ? ORDER BY line", [file])
    return {r["line"]: r for r in df.iter_rows(named=True)}


def file_row(case, file: str) -> dict:
    return case.sql("SELECT * FROM files WHERE file = ?", [file]).row(0, named=True)


# -- the published lines --------------------------------------------------------------------
def test_real_syslog_sample_loads_every_line(real):
    f = file_row(real, "named-syslog.log")
    assert f["source"] == "bind"
    assert (f["lines"], f["loaded"], f["quarantined"]) == (3, 3, 0)
    assert (f["assumed_tz"], f["assumed_year"]) == ("UTC", 2025)
    assert "3 timestamps had no year and were read in 2025" in f["message"]


def test_real_syslog_sample_fields(real):
    rows = rows_of(real, "named-syslog.log")
    assert set(rows) == {1, 3}  # line 2 (query-errors) is merged into line 1
    q = rows[1]
    assert q["ts"] == utc(2025, 4, 14, 16, 16, 5)
    assert (q["qname"], q["qtype"], q["qclass"]) == ("ocsp.digicert.com", "A", "IN")
    assert (q["rcode"], q["failed"]) == ("REFUSED", True)
    assert (q["client"], q["client_port"], q["server"], q["transport"]) == (
        "192.168.1.90",
        64727,
        "192.168.1.10",
        "UDP",
    )
    extra = json.loads(q["extra"])
    assert extra["error_line"] == 2 and extra["error"] == "REFUSED"
    assert extra["client_object"] == "0x7f97e40eb500" and extra["host"] == "10.50.1.227"
    v = rows[3]
    assert v["ts"] == utc(2025, 11, 27, 11, 53, 9)
    assert (v["qname"], v["qtype"], v["qclass"], v["transport"]) == (
        "version.bind",
        "TXT",
        "CH",
        "TCP",
    )
    assert v["rcode"] is None and v["failed"] is None  # a query line says nothing of the answer


def test_real_arm_examples_have_no_time(real):
    f = file_row(real, "arm-examples.log")
    assert (f["source"], f["lines"], f["loaded"], f["quarantined"]) == ("bind", 2, 0, 2)
    reasons = real.sql(
        "SELECT DISTINCT reason FROM quarantine WHERE file = 'arm-examples.log'"
    ).rows()
    assert reasons == [(NO_TIME,)]


def test_real_arm_examples_load_once_a_time_is_added(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = (REAL / "arm-examples.log").read_text().splitlines()
    (logs / "named.log").write_text("".join(f"20-Oct-2025 06:48:3{i}.000 {ln}\n"
                                            for i, ln in enumerate(lines)))  # fmt: skip
    with open_case() as c:
        c.ingest(logs)
        rows = c.sql(
            "SELECT ts, qname, qtype, client, client_port, server, failed FROM dns_queries "
            "ORDER BY line"
        ).rows()
    assert rows == [
        (utc(2025, 10, 20, 6, 48, 30), "www.example.com", "AAAA", "127.0.0.1", 62536,
         "127.0.0.1", None),
        (utc(2025, 10, 20, 6, 48, 31), "www.example.net", "AAAA", "::1", 62537, "::1", None),
    ]  # fmt: skip


# -- our own lines --------------------------------------------------------------------------
def test_counts_and_merge_note(own):
    f = file_row(own, "named.log")
    assert (f["lines"], f["loaded"], f["quarantined"]) == (12, 10, 2)
    assert "2 query-errors/denied/RPZ lines were merged" in f["message"]
    assert own.sql("SELECT count(*) AS n FROM dns_queries WHERE file = 'named.log'")["n"][0] == 8


def test_query_errors_merge_into_their_query(own):
    rows = rows_of(own, "named.log")
    assert 2 not in rows and 6 not in rows  # merged
    assert (rows[1]["rcode"], rows[1]["failed"]) == ("SERVFAIL", True)
    assert json.loads(rows[1]["extra"])["error_line"] == 2
    # "query (cache) '.../A/IN' denied" is a REFUSED answer to the query of line 5
    assert (rows[5]["rcode"], rows[5]["failed"]) == ("REFUSED", True)
    assert json.loads(rows[5]["extra"])["acl"] == "cache"


def test_a_failure_without_its_query_line_is_a_row_of_its_own(own):
    rows = rows_of(own, "named.log")
    # "timed out" is not an rcode: BIND answers SERVFAIL
    assert (rows[4]["qname"], rows[4]["rcode"], rows[4]["failed"]) == (
        "nolog.example.com",
        "SERVFAIL",
        True,
    )
    assert json.loads(rows[4]["extra"])["error"] == "timed out"
    # more than a minute after its query: not taken for the same query
    assert rows[11]["failed"] is None
    assert (rows[12]["qname"], rows[12]["failed"]) == ("slow.example.com", True)


def test_query_fields_view_ecs_old_format(own):
    rows = rows_of(own, "named.log")
    r = rows[3]
    assert (r["qname"], r["qtype"], r["transport"]) == ("example.com", "AAAA", "TCP")
    extra = json.loads(r["extra"])
    assert (extra["view"], extra["ecs"], extra["flags"]) == ("internal", "192.0.2.0/24/0", "+T")
    old = rows[8]  # BIND before 9.11: no client object
    assert (old["qname"], old["qtype"], old["client"]) == ("old.example.com", "MX", "10.0.0.9")


def test_print_time_is_local_and_iso_utc_is_absolute(own):
    rows = rows_of(own, "named.log")
    assert rows[1]["ts"] == utc(2025, 10, 20, 13, 48, 30, 101000)  # 06:48:30.101 PDT
    assert rows[9]["ts"] == utc(2025, 10, 20, 6, 48, 36)  # ...Z
    f = file_row(own, "named.log")
    assert f["assumed_tz"] == "America/Los_Angeles"
    assert "9 timestamps had no zone" in f["message"]


def test_bad_lines_are_quarantined_with_reasons(own):
    reasons = dict(own.sql("SELECT line, reason FROM quarantine WHERE file = 'named.log'").rows())
    assert reasons == {
        7: "not a BIND query, response, failure or RPZ line",
        10: "unparseable timestamp 31-Feb-2025 06:48:37.000",
    }


def test_syslog_year_and_zone_come_from_the_options(own):
    ts = [r["ts"] for r in rows_of(own, "syslog").values()]
    assert ts == [
        utc(2025, 10, 20, 13, 48, 30),
        utc(2025, 10, 2, 13, 48, 31),  # "Oct  2": the day is space-padded
        utc(2026, 1, 1, 7, 59, 59),  # Dec 31 23:59:59 PST
        utc(2025, 1, 1, 8, 0, 1),
        utc(2025, 10, 20, 13, 48, 32),
    ]
    f = file_row(own, "syslog")
    assert (f["assumed_tz"], f["assumed_year"]) == ("America/Los_Angeles", 2025)


def test_syslog_tags_with_and_without_host(own):
    rows = rows_of(own, "syslog")
    first, hostless = json.loads(rows[1]["extra"]), json.loads(rows[5]["extra"])
    assert (first["host"], first["program"], first["pid"]) == ("ns1", "named", 1234)
    assert "host" not in hostless and (hostless["program"], hostless["pid"]) == ("named", 1234)
    assert rows[5]["qname"] == "e.example.com"


def test_syslog_year_defaults_to_the_file_date_and_rolls_back_over_new_year(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    shutil.copy(OWN / "syslog", logs / "syslog")
    mtime = utc(2026, 1, 1, 0, 10).timestamp()
    os.utime(logs / "syslog", (mtime, mtime))
    with open_case() as c:
        c.ingest(logs)
        ts = c.sql("SELECT ts FROM dns_queries ORDER BY line")["ts"].to_list()
        f = file_row(c, "syslog")
    assert ts == [
        utc(2025, 10, 20, 6, 48, 30),  # after the file's date in 2026: written in 2025
        utc(2025, 10, 2, 6, 48, 31),
        utc(2025, 12, 31, 23, 59, 59),
        utc(2026, 1, 1, 0, 0, 1),
        utc(2025, 10, 20, 6, 48, 32),
    ]
    assert f["assumed_year"] == 2026
    assert "were read in 2026, the year the file was last modified" in f["message"]
    assert "4 year-less times fell after the file's modification time" in f["message"]


def test_cli_assume_year(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    shutil.copy(OWN / "syslog", logs / "syslog")
    db = tmp_path / "case.duckdb"
    res = CliRunner().invoke(
        main, ["ingest", str(logs), "--db", str(db), "--assume-year", "2024", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    with open_case(db) as c:
        assert c.sql("SELECT assumed_year FROM files")["assumed_year"][0] == 2024
        first = c.sql("SELECT ts FROM dns_queries WHERE line = 1")["ts"][0]
    assert first == utc(2024, 10, 20, 6, 48, 30)


def test_cli_assume_year_outside_the_loadable_range(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    shutil.copy(OWN / "syslog", logs / "syslog")
    res = CliRunner().invoke(
        main, ["ingest", str(logs), "--db", str(tmp_path / "c.duckdb"), "--assume-year", "2200"]
    )
    assert res.exit_code == 2
    assert "2200 is not in the range 1970<=x<=2199" in res.output


def test_gzip_and_small_chunks_load_like_plain(tmp_path):
    plain, packed = tmp_path / "plain", tmp_path / "packed"
    plain.mkdir()
    packed.mkdir()
    shutil.copy(OWN / "named.log", plain / "named.log")
    (packed / "named.log.gz").write_bytes(gzip.compress((OWN / "named.log").read_bytes()))
    got = []
    for d, chunk in ((plain, None), (packed, None), (plain, 200)):  # failures merge across chunks
        with open_case() as c:
            c.ingest(d, assume_year=2025, chunk_bytes=chunk)
            got.append(
                (
                    c.sql("SELECT * EXCLUDE (file) FROM dns_queries ORDER BY line"),
                    c.sql("SELECT lines, loaded, quarantined, message FROM files"),
                )
            )
    for q, f in got[1:]:
        assert q.equals(got[0][0]) and f.equals(got[0][1])
