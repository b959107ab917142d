"""Route 53 public hosted-zone query logs: the published example lines and our own."""

from __future__ import annotations

import json

import pytest

from analyzer import open_case
from tests.conftest import DATA, REAL_LOGS, utc

REAL = REAL_LOGS / "route53-public"
OWN = DATA / "ingest" / "route53_public"


@pytest.fixture(scope="module")
def real():
    with open_case() as c:
        c.ingest(REAL)
        yield c


@pytest.fixture(scope="module")
def own():
    with open_case() as c:
        c.ingest(OWN)
        yield c


def test_real_sample_loads_every_line(real):
    f = real.files().row(0, named=True)
    assert (f["file"], f["source"]) == ("query-log.txt", "route53_public")
    assert (f["lines"], f["loaded"], f["quarantined"]) == (5, 5, 0)
    assert f["assumed_tz"] is None and f["assumed_year"] is None


def test_real_sample_fields(real):
    rows = real.sql(
        "SELECT line, ts, qname, qtype, rcode, failed, client, server, transport, answers "
        "FROM dns_queries ORDER BY line"
    ).rows()
    assert rows == [
        (1, utc(2017, 12, 13, 8, 16, 2, 130000), "example.com", "A", "NOERROR", False,
         "192.168.1.1", "FRA6", "UDP", None),
        (2, utc(2017, 12, 13, 8, 15, 50, 235000), "example.com", "AAAA", "NOERROR", False,
         "192.168.3.1", "IAD12", "TCP", None),
        (3, utc(2017, 12, 13, 8, 16, 3, 983000), "example.com", "ANY", "NOERROR", False,
         "2001:db8::1234", "FRA6", "UDP", None),
        (4, utc(2017, 12, 13, 8, 15, 50, 342000), "bad.example.com", "A", "NXDOMAIN", True,
         "192.168.3.1", "IAD12", "UDP", None),
        (5, utc(2017, 12, 13, 8, 16, 5, 744000), "txt.example.com", "TXT", "NOERROR", False,
         "192.168.1.2", "JFK5", "UDP", None),
    ]  # fmt: skip


def test_real_sample_keeps_zone_and_subnet(real):
    extra = dict(real.sql("SELECT line, extra FROM dns_queries ORDER BY line").rows())
    assert json.loads(extra[2]) == {
        "hosted_zone_id": "Z123412341234",
        "version": "1.0",
        "edns_client_subnet": "192.168.222.0/24",
    }
    assert "edns_client_subnet" not in json.loads(extra[1])  # "-": none sent


def test_names_are_canonical_and_failure_follows_the_rcode(own):
    rows = own.sql("SELECT line, qname, rcode, failed FROM dns_queries ORDER BY line").rows()
    assert rows == [
        (1, "dynamodb.us-east-1.amazonaws.com", "NOERROR", False),
        (2, "dynamodb.us-east-1.amazonaws.com", "SERVFAIL", True),  # upper case, trailing dot
        (3, "gone.example.com", "NXDOMAIN", True),
    ]


def test_cloudwatch_export_time_is_kept_not_used(own):
    row = own.sql("SELECT ts, extra FROM dns_queries WHERE line = 3").row(0)
    assert row[0] == utc(2025, 10, 20, 6, 48, 32, 300000)  # the query time, not the export's
    assert json.loads(row[1])["exported_at"] == "2025-10-20T06:48:33.000Z"


def test_bad_lines_are_quarantined_with_reasons(own):
    reasons = dict(own.sql("SELECT line, reason FROM quarantine ORDER BY line").rows())
    assert set(reasons) == {4, 5}
    assert reasons[4].startswith("not a Route 53 query log line")
    assert reasons[5] == "unparseable timestamp 20-10-2025T06:48:35Z"
    f = own.files().row(0, named=True)
    assert (f["lines"], f["loaded"], f["quarantined"]) == (5, 3, 2)
