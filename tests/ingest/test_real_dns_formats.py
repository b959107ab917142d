"""Every published DNS log file of ../shared/real-logs: exact counts, and the fields.

The lines are other projects' (provenance in the folder's README); they are read
where they lie, never copied into the repository.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from analyzer import open_case
from tests.conftest import REAL_LOGS, utc

# file -> (source, lines, loaded, quarantined)
COUNTS = {
    "bind/arm-examples.log": ("bind", 2, 0, 2),  # no time at all
    "bind/infoblox-nios-test-dns.log": ("bind", 28, 16, 12),  # 12 zone/transfer/DNSSEC lines
    "bind/named-syslog.log": ("bind", 3, 3, 0),
    "coredns/coredns-issue-3211-kubectl-timestamps.log": ("coredns", 6, 0, 6),  # start-up
    "coredns/coredns.log": ("coredns", 3, 0, 3),  # no time at all
    "coredns-json-wrapped/elastic-test-coredns-json.log": ("coredns@json", 3, 3, 0),
    "dnsmasq/pihole-FTL-issue-2590-log-queries-extra.log": ("dnsmasq", 5, 5, 0),
    "dnsmasq/pihole-issue-140.log": ("dnsmasq", 5, 4, 1),  # a reply whose query came before
    "gcp-cloud-dns/elastic-test-dns.log": ("gcp_dns", 5, 5, 0),
    "powerdns-recursor/pdns-issue-14440-journal.log": ("powerdns", 2, 2, 0),
    "route53-cloudtrail/docs-example.json": ("cloudtrail", 1, 1, 0),  # counts of records
    "route53-public/query-log.txt": ("route53_public", 5, 5, 0),
    "route53-resolver/resolver-query-log.jsonl": ("route53_resolver", 3, 3, 0),
    "suricata-eve-dns/elastic-test-eve-dns-4-1-4-subset.log": ("suricata", 6, 6, 0),
    "unbound/wazuh-unbound-syslog.log": ("unbound", 3, 1, 2),  # a notice, statistics
    "windows-dns-debug/usiem-windns-README-examples.log": ("windows_dns", 4, 4, 0),
    "zeek/dns.json.log": ("zeek", 2, 2, 0),
    "zeek-json/elastic-test-dns.log": ("zeek", 8, 8, 0),  # one in a Splunk export
}
# file -> rows in dns_queries (merged reply lines make no row of their own)
ROWS = {
    "bind/infoblox-nios-test-dns.log": 14,
    "bind/named-syslog.log": 2,
    "coredns-json-wrapped/elastic-test-coredns-json.log": 3,
    "dnsmasq/pihole-FTL-issue-2590-log-queries-extra.log": 2,
    "dnsmasq/pihole-issue-140.log": 1,
    "gcp-cloud-dns/elastic-test-dns.log": 5,
    "powerdns-recursor/pdns-issue-14440-journal.log": 1,
    "suricata-eve-dns/elastic-test-eve-dns-4-1-4-subset.log": 3,
    "unbound/wazuh-unbound-syslog.log": 1,
    "windows-dns-debug/usiem-windns-README-examples.log": 4,
    "zeek-json/elastic-test-dns.log": 8,
}


@pytest.fixture(scope="module")
def case():
    with open_case() as c:
        c.ingest(REAL_LOGS, assume_year=2025)
        yield c


def rows(case, file: str) -> dict[int, dict[str, Any]]:
    df = case.sql("SELECT * FROM dns_queries WHERE file = ? ORDER BY line", [file])
    return {r["line"]: r for r in df.iter_rows(named=True)}


def test_every_dns_file_loads_with_exact_counts(case):
    got = {
        f: (s, n, ok, bad)
        for f, s, n, ok, bad in case.sql(
            "SELECT file, source, lines, loaded, quarantined FROM files WHERE source IS NOT NULL "
            "AND NOT starts_with(file, 'control-planes/')"
        ).rows()
    }
    assert got == COUNTS
    for file, n in ROWS.items():
        assert len(rows(case, file)) == n, file


def test_dnsmasq_pairs_replies_and_a_cname_chain(case):
    r = rows(case, "dnsmasq/pihole-issue-140.log")[2]
    assert (r["ts"], r["qname"], r["qtype"], r["client"]) == (
        utc(2025, 1, 1, 0, 46, 21),
        "pubads.g.doubleclick.net",
        "AAAA",
        "192.168.1.137",
    )
    # reply <CNAME>, then the CNAME's target NODATA-IPv6: no AAAA record, failed
    assert (r["rcode"], r["answer_types"], r["failed"]) == ("NOERROR", ["CNAME"], True)
    extra = json.loads(r["extra"])
    assert extra["forwarded_to"] == "8.8.4.4" and extra["reply_lines"] == [3, 4, 5]
    (reason,) = case.sql(
        "SELECT reason FROM quarantine WHERE file = 'dnsmasq/pihole-issue-140.log'"
    ).rows()
    assert reason == ("a dnsmasq reply line with no query line before it in the file",)
    extra_file = rows(case, "dnsmasq/pihole-FTL-issue-2590-log-queries-extra.log")
    aaaa, a = extra_file[1], extra_file[2]
    assert (aaaa["qtype"], aaaa["client"], aaaa["client_port"], aaaa["transport"]) == (
        "AAAA",
        "192.168.1.240",
        64520,
        "TCP",
    )
    assert json.loads(aaaa["extra"])["reply_lines"] == [3, 4]  # by id 5801, not 5941
    assert (a["qtype"], a["rcode"], a["failed"], a["answers"]) == ("A", None, None, None)
    assert json.loads(a["extra"])["reply_lines"] == [5]  # forwarded, never answered


def test_unbound_query_line(case):
    (r,) = rows(case, "unbound/wazuh-unbound-syslog.log").values()
    assert (r["line"], r["ts"], r["qname"], r["qtype"], r["qclass"], r["client"]) == (
        2,
        utc(2014, 7, 14, 18, 0, 2, 814490),
        "talkgadget.google.com",
        "A",
        "IN",
        "127.0.0.1",
    )
    assert (r["server"], r["rcode"], r["failed"]) == ("arrakis", None, None)


def test_windows_debug_log_packets(case):
    r = rows(case, "windows-dns-debug/usiem-windns-README-examples.log")
    assert [
        (x["qname"], x["rcode"], x["failed"], x["client"], x["server"]) for x in r.values()
    ] == [
        ("example.com", "NOERROR", False, "10.2.0.1", None),  # response sent to a client
        ("somecomputer.domain.com", None, None, "10.161.60.71", None),  # query received
        ("ns1.offeringsmislead.com", "NOERROR", False, None, "69.160.33.71"),  # from upstream
        ("cdn-controltag.krxd.net", None, None, None, "8.8.8.8"),  # query to a forwarder
    ]
    assert r[1]["ts"] == utc(2017, 4, 21, 7, 52, 3) and r[2]["ts"] == utc(2013, 6, 5, 10, 0, 32)
    assert json.loads(r[4]["extra"])["direction"] == "outbound"


def test_powerdns_question_and_answer_are_one_row(case):
    (r,) = rows(case, "powerdns-recursor/pdns-issue-14440-journal.log").values()
    assert (r["ts"], r["qname"], r["qtype"], r["client"], r["client_port"]) == (
        utc(2024, 7, 9, 6, 6, 11, 301000),
        "example.com",
        "A",
        "127.0.0.1",
        58786,
    )
    assert (r["rcode"], r["failed"], r["transport"]) == ("NOERROR", False, "UDP")
    extra = json.loads(r["extra"])
    assert extra["answer_count"] == 1 and extra["reply_lines"] == [2]


def test_suricata_v2_answers_and_a_v1_reply_without_query(case):
    r = rows(case, "suricata-eve-dns/elastic-test-eve-dns-4-1-4-subset.log")
    assert set(r) == {1, 2, 5}
    assert (r[1]["qtype"], r[1]["answers"], r[1]["failed"]) == ("A", ["175.16.199.1"], False)
    assert json.loads(r[1]["extra"])["reply_lines"] == [4]
    assert (r[2]["qtype"], r[2]["answer_types"]) == ("AAAA", ["AAAA"])
    v1 = r[5]
    assert (v1["qname"], v1["qtype"], v1["answer_types"], v1["failed"]) == (
        "www.yahoo.com",
        None,
        ["CNAME", "A"],
        False,
    )
    assert v1["answers"] == ["atsv2-fp-shed.wg1.b.yahoo.com", "175.16.199.1"]
    assert (v1["client"], v1["client_port"], v1["server"]) == ("10.0.2.15", 44773, "10.0.2.3")
    assert json.loads(v1["extra"])["reply_lines"] == [5, 6]


def test_gcp_cloud_dns_entries(case):
    r = rows(case, "gcp-cloud-dns/elastic-test-dns.log")
    a = r[1]
    assert (a["ts"], a["collected_at"]) == (
        utc(2022, 1, 23, 9, 16, 5, 341873),
        utc(2022, 1, 23, 9, 16, 5, 502805),
    )
    assert (a["qname"], a["qtype"], a["answers"], a["failed"], a["client"]) == (
        "elastic.co",
        "A",
        ["127.0.0.1"],
        False,
        "10.154.0.3",
    )
    assert r[4]["answers"][0] == "ns-1168.awsdns-18.org"  # one trailing-dot convention
    assert r[5]["answer_types"] == ["TXT", "TXT"]  # the record cut with "..." is left out


def test_infoblox_query_and_response_lines(case):
    r = rows(case, "bind/infoblox-nios-test-dns.log")
    one = r[1]
    assert (one["ts"], one["collected_at"]) == (
        utc(2022, 4, 7, 8, 8, 10, 43000),
        utc(2025, 3, 11, 23, 51, 31),
    )
    assert (one["qname"], one["rcode"], one["answers"], one["failed"]) == (
        "a1.foo.com",
        "NOERROR",
        ["foo.com", "0.0.0.0"],
        False,
    )
    assert (one["client"], one["client_port"], one["transport"]) == ("192.168.0.1", 57398, "UDP")
    assert (r[2]["rcode"], r[2]["failed"]) == ("REFUSED", True)
    assert (r[4]["rcode"], r[4]["failed"]) == ("NXDOMAIN", True)
    assert r[25]["answers"] == ["089.160.20.112.a1.foo.com"] and r[25]["failed"] is False
    assert r[26]["answers"] == ['"k=rsa; p=abc" "def" "ghi" "jkl" "AB"']
    # "query failed" logged before its query: one row, the query's, failed
    assert 6 not in r and (r[7]["rcode"], r[7]["failed"]) == ("REFUSED", True)
    assert json.loads(r[7]["extra"])["error_line"] == 6


def test_rpz_rewrites_failed_for_the_client(case):
    r = rows(case, "bind/infoblox-nios-test-dns.log")
    rewrite, cef = r[9], r[11]
    assert (rewrite["qname"], rewrite["qtype"], rewrite["failed"]) == ("test.com", "A", True)
    assert json.loads(rewrite["extra"])["rewritten_to"] == "query123-10-120-20-93.test.com"
    assert (cef["qname"], cef["rcode"], cef["failed"], cef["client"], cef["client_port"]) == (
        "nxd1.com",
        "NXDOMAIN",
        True,
        "192.168.0.1",
        51424,
    )
    assert json.loads(cef["extra"])["rpz_via"] == "nxd1.com.rpz1.com"


def test_coredns_in_collector_json(case):
    r = rows(case, "coredns-json-wrapped/elastic-test-coredns-json.log")
    assert (r[1]["ts"], r[1]["collected_at"]) == (utc(2019, 2, 12, 0, 27, 28, 903433),) * 2
    assert (r[1]["qname"], r[1]["rcode"], r[1]["failed"]) == (
        "httpbin.org.cluster.local",
        "NXDOMAIN",
        True,
    )
    assert r[3]["client"] == "::1" and r[3]["source_format"] == "coredns"


def test_zeek_reply_only_rows_decide_from_answers(case):
    r = rows(case, "zeek-json/elastic-test-dns.log")
    assert r[4]["qtype"] is None and r[4]["failed"] is False  # an address among the answers
    assert r[5]["failed"] is None  # names only: a CNAME chain or data, cannot tell
    assert r[8]["qname"] == "_googlecast._tcp.local"  # the Splunk export's _raw record
