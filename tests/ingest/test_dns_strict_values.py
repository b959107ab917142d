"""Strict values in every DNS format: impossible times and non-integer ports are damage.

Each file of tests/data/ingest/strict_values/ holds good lines and, among them, lines
whose time is out of range (1969, 2200 and after, Go's zero time year 1, epoch 1e20,
NaN, inf) or has an offset no zone has, or whose port is not one. Exactly those lines
are quarantined, with the reason the other sources give; the others load.
"""

from __future__ import annotations

import pytest

from analyzer import open_case
from tests.conftest import DATA

FIXTURES = DATA / "ingest" / "strict_values"
TS = "unparseable timestamp "
# file -> (source, {line: reason}) for the lines that must be quarantined
BAD = {
    "zeek-dns.log": (
        "zeek",
        {
            10: TS + "ts=-1",
            11: TS + "ts=7258118400.000000",
            12: TS + "ts=100000000000000000000",
            14: "id.orig_p is not a port number: 53.5",
            15: TS + "ts=0001-01-01T00:00:00Z",
        },
    ),
    "zeek-dns.json": (
        "zeek",
        {
            2: TS + "ts=1e+20",
            3: TS + "ts=NaN",
            4: TS + "ts=2201-01-01T00:00:00Z",
            6: TS + "ts=1969-12-31T23:59:59Z",
            7: "id.orig_p is not a port number: true",
            8: TS + "ts=2025-10-20T06:48:33+25:00",
        },
    ),
    "coredns.log": (
        "coredns",
        {
            2: TS + "0001-01-01T00:00:00Z",
            3: TS + "2201-01-01T00:00:00Z",  # CoreDNS's own time, behind a valid collector's
            5: TS + "20/Oct/2025:06:48:33 +2500",
            6: TS + "31/Dec/1969:23:59:59 +0000",
            7: "remote port is not a port number: 99999",
        },
    ),
    "bind.log": (
        "bind",
        {
            2: TS + "01-Jan-0001 00:00:00.000",
            3: TS + "01-Jan-2201 00:00:00.000",
            5: TS + "31-Dec-1969 23:59:59.000",  # BIND's own time, behind a valid syslog one
            6: "client port is not a port number: 99999",
        },
    ),
    "dnsmasq.log": (
        "dnsmasq",
        {
            3: TS + "1969-12-31T23:59:59Z",
            4: TS + "2200-01-01T00:00:00Z",
            5: "client port is not a port number: 99999",
        },
    ),
    "unbound.log": (
        "unbound",
        {
            3: TS + "100000000000000000000",
            4: TS + "7258118400",
            5: TS + "0001-01-01T00:00:00Z",
        },
    ),
    "windows-dns.log": (
        "windows_dns",
        {
            3: TS + "1/1/0001 12:00:00 AM",
            4: TS + "12/31/1969 11:59:59 PM",
            5: TS + "1/1/2201 12:00:00 AM",
        },
    ),
    "powerdns.log": (
        "powerdns",
        {
            3: TS + "ts=NaN",
            4: TS + "ts=inf",
            5: TS + "ts=1e20",
            6: TS + "ts=-1",
            7: "answers is not an integer: 1.5",
            8: "remote port is not a port number: 99999",
        },
    ),
    "eve.json": (
        "suricata",
        {
            3: TS + "timestamp=0001-01-01T00:00:00.000000+0000",
            4: TS + "timestamp=2201-01-01T00:00:00.000000+0000",
            5: "src_port is not a port number: 46686.5",
            6: "src_port is not a port number: 0x10",
        },
    ),
    "gcp-dns.json": (
        "gcp_dns",
        {
            2: TS + "timestamp=0001-01-01T00:00:00Z",
            3: TS + "timestamp=2025-10-20T06:48:31+14:61",
        },
    ),
    "route53-public.txt": ("route53_public", {2: TS + "1969-12-31T23:59:59Z"}),
}


@pytest.fixture(scope="module")
def case():
    with open_case() as c:
        c.results = {r.file: r for r in c.ingest(FIXTURES, assume_year=2025)}
        yield c


def test_every_fixture_is_checked(case):
    assert set(case.results) == set(BAD)


@pytest.mark.parametrize("file", sorted(BAD))
def test_exactly_the_damaged_lines_are_quarantined(case, file):
    source, bad = BAD[file]
    res = case.results[file]
    assert (res.source, res.status) == (source, "loaded")
    quarantined = dict(
        case.sql("SELECT line, reason FROM quarantine WHERE file = ? ORDER BY line", [file]).rows()
    )
    assert quarantined == bad
    assert res.lines == res.loaded + res.quarantined
    assert (res.loaded, res.quarantined) == (res.lines - len(bad), len(bad))
    rows = case.sql(
        "SELECT line, ts, client_port FROM dns_queries WHERE file = ? ORDER BY line", [file]
    ).rows()
    assert rows and not {line for line, _, _ in rows} & set(bad)
    for _, ts, port in rows:
        assert ts.year == 2025
        assert port is None or 0 <= port <= 65535


def test_a_year_less_time_read_in_an_impossible_year_is_quarantined(logs):
    (logs / "dnsmasq.log").write_text(
        "Dec 31 23:59:59 dnsmasq[898]: query[A] a.example.com from 192.168.1.240\n"
    )
    with open_case() as c:
        res = c.ingest(logs, assume_year=1969)[0]
        assert (res.loaded, res.quarantined) == (0, 1)
        assert c.sql("SELECT reason FROM quarantine").rows() == [(TS + "Dec 31 23:59:59",)]


def test_a_change_whose_ttl_is_not_an_integer_is_quarantined(logs):
    line = (DATA / "ingest" / "cloudtrail" / "exports" / "route53-changes.jsonl").open().readline()
    assert '"tTL": 60' in line
    (logs / "changes.jsonl").write_text(line + line.replace('"tTL": 60', '"tTL": 60.5'))
    with open_case() as c:
        res = c.ingest(logs)[0]
        assert (res.source, res.lines, res.quarantined) == ("cloudtrail", 2, 1)
        assert c.sql("SELECT line, reason FROM quarantine").rows() == [
            (2, "change 0: tTL is not an integer: 60.5")
        ]
        assert c.sql("SELECT DISTINCT line, ttl FROM record_changes").rows() == [(1, 60)]
