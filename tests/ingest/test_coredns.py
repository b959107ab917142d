"""CoreDNS log plugin lines: the published ones (no time), collector prefixes, fields."""

from __future__ import annotations

import gzip
import json

import pytest

from analyzer import open_case
from analyzer.ingest.dns_text import NO_TIME
from tests.conftest import DATA, REAL_LOGS, utc

REAL = REAL_LOGS / "coredns"
OWN = DATA / "ingest" / "coredns"


@pytest.fixture(scope="module")
def own():
    with open_case() as c:
        c.ingest(OWN, assume_tz="Europe/Berlin", assume_year=2025)
        yield c


def rows_of(case) -> dict[int, dict]:
    df = case.sql("SELECT * FROM dns_queries ORDER BY line")
    return {r["line"]: r for r in df.iter_rows(named=True)}


def test_real_sample_has_no_time_so_every_line_is_quarantined(tmp_path):
    # The folder also holds other CoreDNS samples (kubectl timestamps): take this one alone.
    (tmp_path / "coredns.log").write_bytes((REAL / "coredns.log").read_bytes())
    with open_case() as c:
        res = c.ingest(tmp_path)
        assert [(r.source, r.lines, r.loaded, r.quarantined) for r in res] == [("coredns", 3, 0, 3)]
        reasons = c.sql("SELECT line, reason FROM quarantine ORDER BY line").rows()
    assert reasons == [(1, NO_TIME), (2, NO_TIME), (3, NO_TIME)]


def test_real_sample_loads_with_collector_timestamps(tmp_path):
    """The same lines as ``kubectl logs --timestamps`` shows them."""
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = (REAL / "coredns.log").read_text().splitlines()
    (logs / "coredns.log").write_text(
        "".join(f"2025-10-20T06:48:3{i}.123456789Z {ln}\n" for i, ln in enumerate(lines))
    )
    with open_case() as c:
        res = c.ingest(logs)[0]
        assert (res.lines, res.loaded, res.quarantined) == (3, 3, 0)
        rows = rows_of(c)
    first = rows[1]
    assert first["ts"] == utc(2025, 10, 20, 6, 48, 30, 123456)
    assert (first["qname"], first["qtype"], first["qclass"]) == ("host.example.com", "A", "IN")
    assert (first["rcode"], first["failed"], first["answers"]) == ("NOERROR", False, None)
    assert (first["client"], first["client_port"], first["transport"]) == (
        "172.17.0.1",
        42114,
        "UDP",
    )
    assert json.loads(first["extra"]) == {
        "id": 64820, "size": 57, "do": False, "bufsize": 1232, "rflags": "qr,aa,rd",
        "rsize": 66, "duration_s": 0.000150566, "opcode": "0", "level": "INFO",
    }  # fmt: skip
    assert (rows[2]["qname"], rows[2]["rcode"], rows[2]["failed"]) == (
        "asdf.coma",
        "NXDOMAIN",
        True,
    )
    third = rows[3]  # common format (no opcode), IPv6 client in brackets
    assert (third["client"], third["client_port"], third["qtype"], third["qname"]) == (
        "::1",
        55527,
        "PTR",
        "81.2.69.195",
    )
    assert "opcode" not in json.loads(third["extra"])


def test_own_counts_and_reasons(own):
    f = own.files().row(0, named=True)
    assert (f["source"], f["lines"], f["loaded"], f["quarantined"]) == ("coredns", 8, 6, 2)
    reasons = dict(own.sql("SELECT line, reason FROM quarantine").rows())
    assert reasons == {4: "not a CoreDNS query log line", 5: NO_TIME}


def test_collector_prefixes(own):
    rows = rows_of(own)
    assert rows[1]["ts"] == utc(2025, 10, 20, 6, 48, 30, 123456)  # nanoseconds cut to µs
    assert (rows[1]["rcode"], rows[1]["failed"]) == ("SERVFAIL", True)
    # kubectl --prefix names the pod: it is the server that answered
    assert rows[2]["server"] == "coredns-6d4b75cb6d-x7k2p"
    assert (rows[2]["qname"], rows[2]["client"], rows[2]["transport"]) == (
        "example.com",
        "fd00::7",
        "TCP",
    )
    # a CRI log file line (<time> stdout F <message>)
    assert rows[3]["ts"] == utc(2025, 10, 20, 6, 48, 32)
    assert json.loads(rows[3]["extra"])["stream"] == "stdout"


def test_zoneless_and_yearless_times_use_the_options(own):
    rows = rows_of(own)
    assert rows[6]["ts"] == utc(2025, 10, 20, 4, 48, 34)  # 06:48:34 CEST
    assert rows[7]["ts"] == utc(2025, 10, 20, 4, 48, 35)  # syslog, year from the option
    assert rows[7]["server"] == "node-1"
    f = own.files().row(0, named=True)
    assert (f["assumed_tz"], f["assumed_year"]) == ("Europe/Berlin", 2025)
    assert "2 timestamps had no zone" in f["message"]
    assert "1 timestamps had no year" in f["message"]


def test_gzip_loads_like_plain(tmp_path, own):
    (tmp_path / "kubectl.log.gz").write_bytes(gzip.compress((OWN / "kubectl.log").read_bytes()))
    with open_case() as c:
        c.ingest(tmp_path, assume_tz="Europe/Berlin", assume_year=2025)
        got = c.sql("SELECT * EXCLUDE (file) FROM dns_queries ORDER BY line")
    assert got.equals(own.sql("SELECT * EXCLUDE (file) FROM dns_queries ORDER BY line"))


def test_coredns_1_1_format_has_its_own_time(own):
    row = rows_of(own)[8]  # {remote} - [{when}] {>id} "...": the address alone, a CLF time
    assert row["ts"] == utc(2025, 10, 20, 6, 48, 36)  # 08:48:36 +0200
    assert (row["client"], row["client_port"], row["qname"]) == (
        "10.244.1.7",
        None,
        "old.example.com",
    )
