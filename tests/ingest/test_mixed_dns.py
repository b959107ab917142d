"""DNS logs of several formats, no control plane: the DNS rule works on all of them at once.

The directory holds Route 53 Resolver, Zeek (TSV) and CoreDNS logs for one name,
``orders.api.internal.example``, which fails to resolve from 10:02:10 to 10:05:20
(NODATA in the Resolver log, NOERROR with no or only CNAME answers in Zeek,
SERVFAIL in CoreDNS): 8 failed queries, and one answered query in between, in one
window, since no two failures are 2 minutes apart. An unrelated NXDOMAIN name fails
too but is not watched.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from analyzer import open_case
from analyzer.cli import main
from tests.conftest import DATA, REAL_LOGS, utc

MIXED = DATA / "ingest" / "mixed_dns"
NAME = "orders.api.internal.example"


@pytest.fixture(scope="module")
def case():
    with open_case() as c:
        c.ingest(MIXED)
        yield c


def test_each_format_is_recognised_and_loads_whole(case):
    files = {r["file"]: r for r in case.files().iter_rows(named=True)}
    assert {f: r["source"] for f, r in files.items()} == {
        "coredns/coredns-6d4b75cb6d-x7k2p.log": "coredns",
        "resolver/resolver-vpc-0a1.jsonl": "route53_resolver",
        "zeek/dns.log": "zeek",
    }
    assert all(r["quarantined"] == 0 and r["loaded"] == r["lines"] for r in files.values())


def test_one_failure_window_across_formats(case):
    found = case.findings(rules=["dns_resolution_failure"], endpoints=[NAME]).records()
    assert len(found) == 1
    f = found[0]
    assert (f["endpoint"], f["severity"]) == (NAME, "critical")
    assert (f["start"], f["end"]) == ("2025-10-20T10:02:10.000Z", "2025-10-20T10:05:20.000Z")
    assert (f["details"]["failed"], f["details"]["total"]) == (8, 9)
    assert f["details"]["peak_ratio"] == 1.0
    # the first failure is in the Zeek log, the last in the CoreDNS log
    assert f["evidence"] == [
        {"file": "zeek/dns.log", "line": 10},
        {"file": "coredns/coredns-6d4b75cb6d-x7k2p.log", "line": 4},
    ]


def test_failures_per_format(case):
    rows = case.sql(
        "SELECT source_format, count(*) FILTER (failed) AS failed, count(*) AS total "
        "FROM dns_queries WHERE qname = ? GROUP BY ALL ORDER BY 1",
        [NAME],
    ).rows()
    assert rows == [("coredns", 3, 5), ("route53_resolver", 2, 5), ("zeek", 3, 5)]


def test_unselected_names_do_not_fire(case):
    # No plan publishes any name here, so without --endpoint nothing is watched.
    assert case.findings(rules=["dns_resolution_failure"]).records() == []


def test_detect_cli_with_endpoint_option(tmp_path):
    res = CliRunner().invoke(
        main,
        [
            "detect", str(MIXED), "--db", str(tmp_path / "case.duckdb"), "--endpoint", NAME,
            "--format", "json", "--quiet",
        ],
    )  # fmt: skip
    assert res.exit_code == 1, res.output  # a critical finding, at or above --fail-on high
    found = [f for f in json.loads(res.stdout) if f["rule"] == "dns_resolution_failure"]
    assert [(f["endpoint"], f["start"], f["end"]) for f in found] == [
        (NAME, "2025-10-20T10:02:10.000Z", "2025-10-20T10:05:20.000Z")
    ]


def test_real_resolver_sample_loads_with_the_spec_failure_rule():
    with open_case() as c:
        res = c.ingest(REAL_LOGS / "route53-resolver")
        assert [(r.source, r.lines, r.loaded, r.quarantined) for r in res] == [
            ("route53_resolver", 3, 3, 0)
        ]
        rows = c.sql(
            "SELECT ts, qname, qtype, rcode, failed, client FROM dns_queries ORDER BY line"
        ).rows()
    assert rows == [
        (utc(2021, 12, 11, 22, 46, 23), "does-not-exist.abc.com", "A", "NXDOMAIN", True,
         "172.31.86.159"),
        (utc(2021, 12, 11, 22, 46, 23), "159.86.31.172.in-addr.arpa", "PTR", "NOERROR", False,
         "172.31.86.159"),
        (utc(2021, 12, 11, 22, 46, 26), "ec2-instance-connect.us-east-1.amazonaws.com", "AAAA",
         "NOERROR", True, "172.31.86.159"),  # NODATA
    ]  # fmt: skip


def test_every_example_of_the_formats_page_loads_as_its_source(tmp_path):
    import re

    from tests.conftest import REPO

    page = (REPO / "docs" / "formats.md").read_text()
    sections = re.split(r"^### ", page, flags=re.M)[1:]
    expected = {}
    for i, section in enumerate(sections):
        source = re.match(r".*?\(`([\w@]+)`", section).group(1)
        for j, block in enumerate(re.findall(r"^```\n(.*?)^```", section, flags=re.M | re.S)):
            name = f"{i}-{j}.log"
            (tmp_path / name).write_text(block)
            expected[name] = (source, block.count("\n"))
    assert len({s for s, _ in expected.values()}) == 16  # every format has an example
    with open_case() as c:
        got = {
            r.file: (r.source, r.lines)
            for r in c.ingest(tmp_path, assume_year=2025)
            if r.quarantined == 0 and r.loaded == r.lines
        }
    assert got == expected
