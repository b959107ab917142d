"""Two-line DNS formats at volume, collector wrappers and the failed-flag review.

Synthetic files of the shape of the published lines (tests/ingest/test_real_dns_formats.py),
written here with a known outcome per query, and read in small chunks so that replies
meet their queries across chunk boundaries.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import duckdb
import pytest

from analyzer import open_case

N = 1500
CHUNK = 16 * 1024  # bytes: many chunks, so pairs straddle their boundaries


def _outcomes(seed: int) -> list[str]:
    r = random.Random(seed)
    return [r.choice(["ok", "ok", "ok", "nx", "nodata", "none"]) for _ in range(N)]


def _load(tmp_path: Path, name: str, lines: list[str]):
    d = tmp_path / "logs"
    d.mkdir(exist_ok=True)
    (d / name).write_text("\n".join(lines) + "\n")
    case = open_case()
    case.ingest(d, assume_year=2025, chunk_bytes=CHUNK)
    return case


def _check(case, outcomes: list[str], lines: int) -> None:
    f = case.sql("SELECT lines, loaded, quarantined FROM files").row(0)
    assert f == (lines, lines, 0)
    got = case.sql(
        "SELECT failed, count(*) FROM dns_queries GROUP BY failed ORDER BY failed"
    ).rows()
    want = {
        None: outcomes.count("none"),
        False: outcomes.count("ok"),
        True: outcomes.count("nx") + outcomes.count("nodata"),
    }
    assert dict(got) == {k: v for k, v in want.items() if v}
    assert case.sql("SELECT count(*) FROM dns_queries").item() == N


def test_dnsmasq_at_volume(tmp_path: Path) -> None:
    outcomes, lines = _outcomes(1), []
    for i, o in enumerate(outcomes):
        t = f"Oct 20 06:{i // 60 % 60:02d}:{i % 60:02d}"
        name, head = f"h{i}.example.com", f"{t} dnsmasq[77]: {i} 10.0.{i % 7}.1/{40000 + i}"
        lines.append(f"{head} query[A] {name} from 10.0.{i % 7}.1")
        lines.append(f"{head} forwarded {name} to 1.1.1.1")
        if o == "ok":
            lines += [
                f"{head} reply {name} is <CNAME>",
                f"{head} reply edge{i}.cdn.net is 192.0.2.{i % 250}",
            ]
        elif o == "nx":
            lines.append(f"{head} reply {name} is NXDOMAIN")
        elif o == "nodata":
            lines.append(f"{head} cached {name} is NODATA-IPv4")
    with _load(tmp_path, "pihole.log", lines) as case:
        _check(case, outcomes, len(lines))
        row = case.sql("SELECT * FROM dns_queries WHERE qname = 'h3.example.com'").row(
            0, named=True
        )
        assert row["client_port"] == 40003 and row["qtype"] == "A"


def test_unbound_at_volume(tmp_path: Path) -> None:
    outcomes, lines = _outcomes(2), []
    for i, o in enumerate(outcomes):
        t = f"2025-10-20T06:{i // 60 % 60:02d}:{i % 60:02d}.000000+00:00 ns1 unbound: [9:0] info:"
        q = f"10.0.{i % 5}.9 n{i}.example.com. A IN"
        lines.append(f"{t} {q}")
        rcode = {"ok": "NOERROR", "nx": "NXDOMAIN", "nodata": "SERVFAIL"}.get(o)
        if rcode:
            lines.append(f"{t} {q} {rcode} 0.001000 0 64")
    with _load(tmp_path, "unbound.log", lines) as case:
        _check(case, outcomes, len(lines))


def test_windows_debug_log_at_volume(tmp_path: Path) -> None:
    outcomes, lines = _outcomes(3), []
    for i, o in enumerate(outcomes):
        t = f"10/20/2025 6:{i // 60 % 60:02d}:{i % 60:02d} AM 06B0 PACKET  00000000028657F0 UDP"
        xid, name = f"{i:04x}", f"(2)w{i}(7)example(3)com(0)"
        lines.append(f"{t} Rcv 10.2.0.{i % 9}    {xid}   Q [0001   D   NOERROR] A      {name}")
        rcode = {"ok": "NOERROR", "nx": "NXDOMAIN", "nodata": "SERVFAIL"}.get(o)
        if rcode:
            lines.append(f"{t} Snd 10.2.0.{i % 9}    {xid} R Q [8081   DR  {rcode}] A      {name}")
    with _load(tmp_path, "dns.log", lines) as case:
        _check(case, outcomes, len(lines))


def test_a_reply_in_a_later_minute_is_not_paired(tmp_path: Path) -> None:
    lines = [
        "2025-10-20T06:00:00+00:00 ns1 unbound: [9:0] info: 10.0.0.9 late.example.com. A IN",
        "2025-10-20T06:05:00+00:00 ns1 unbound: [9:0] info: 10.0.0.9 late.example.com. A IN "
        "NOERROR 0.001000 0 64",
    ]
    with _load(tmp_path, "unbound.log", lines) as case:
        assert case.sql("SELECT line, failed FROM dns_queries ORDER BY line").rows() == [
            (1, None),
            (2, False),
        ]


def test_a_dnsmasq_reply_whose_program_is_damaged_is_one_line_of_damage(tmp_path: Path) -> None:
    """Found by the fuzz test: a reply line without a pid once failed the whole file."""
    lines = [
        "Oct 20 06:48:30 \x01nsmasq[898]: reply a.example.com is 192.0.2.1",
        "Oct 20 06:48:30 dnsmasq[898]: query[A] a.example.com from 192.168.1.240",
    ]
    with _load(tmp_path, "dnsmasq.log", lines) as case:
        f = case.sql("SELECT lines, loaded, quarantined FROM files").rows()
        assert f == [(2, 1, 1)]
        assert case.sql("SELECT line FROM quarantine").rows() == [(1,)]


def test_collector_json_keeps_the_collector_time(tmp_path: Path) -> None:
    inner = [
        "2025-10-20T06:00:00+00:00 ns1 unbound: [9:0] info: 10.0.0.9 a.example.com. A IN",
        "2025-10-20T06:00:00+00:00 ns1 unbound: [9:0] info: 10.0.0.9 a.example.com. A IN "
        "NXDOMAIN 0.001000 0 64",
    ]
    docker = [
        json.dumps({"log": x + "\n", "stream": "stdout", "time": f"2025-10-20T06:00:0{i}.5Z"})
        for i, x in enumerate(inner)
    ]
    shipper = json.dumps(
        {
            "message": '[INFO] 10.1.0.2:5353 - 7 "A IN b.example.com. udp 30 '
            'false 512" NOERROR qr,rd 60 0.0001s',
            "@timestamp": "2025-10-20T06:01:00Z",
        }
    )
    d = tmp_path / "logs"
    d.mkdir()
    (d / "unbound-json.log").write_text("\n".join(docker) + "\n")
    (d / "coredns-shipped.log").write_text(shipper + "\n")
    with open_case() as case:
        case.ingest(d)
        assert dict(case.sql("SELECT file, source FROM files").rows()) == {
            "unbound-json.log": "unbound@json",
            "coredns-shipped.log": "coredns@json",
        }
        rows = case.sql(
            "SELECT qname, failed, ts, collected_at FROM dns_queries ORDER BY qname"
        ).rows()
        assert [(q, f, str(t), str(c)) for q, f, t, c in rows] == [
            (
                "a.example.com",
                True,
                "2025-10-20 06:00:00+00:00",
                "2025-10-20 06:00:00.500000+00:00",
            ),
            ("b.example.com", False, "2025-10-20 06:01:00+00:00", "2025-10-20 06:01:00+00:00"),
        ]


def _resolver(**fields: object) -> str:
    base = {
        "version": "1.100000",
        "account_id": "1",
        "region": "us-east-1",
        "vpc_id": "vpc-1",
        "query_timestamp": "2025-10-20T06:00:00Z",
        "query_name": "x.example.com.",
        "query_type": "A",
        "query_class": "IN",
        "rcode": "NOERROR",
        "answers": [],
        "srcaddr": "10.0.0.1",
        "srcport": "5353",
        "transport": "UDP",
        "srcids": {},
    }
    return json.dumps({**base, **fields})


def test_dns_firewall_block_failed_and_answers_lose_their_dot(tmp_path: Path) -> None:
    override = [
        {"Rdata": "blocked.example.net.", "Type": "CNAME", "Class": "IN"},
        {"Rdata": "192.0.2.1", "Type": "A", "Class": "IN"},
    ]
    lines = [
        _resolver(answers=override, firewall_rule_action="BLOCK", firewall_rule_group_id="g"),
        _resolver(answers=override[1:], firewall_rule_action="ALERT"),
        _resolver(rcode="NXDOMAIN", firewall_rule_action="BLOCK"),
    ]
    with _load(tmp_path, "r.jsonl", lines) as case:
        rows = case.sql("SELECT failed, answers FROM dns_queries ORDER BY line").rows()
        assert rows == [
            (True, ["blocked.example.net", "192.0.2.1"]),
            (False, ["192.0.2.1"]),
            (True, []),
        ]


@pytest.mark.parametrize("qtype", ["*", "ANY"])
def test_zeek_star_query_type_is_any(tmp_path: Path, qtype: str) -> None:
    line = json.dumps(
        {
            "ts": 1760940000.0,
            "uid": "C1",
            "id.orig_h": "10.0.0.1",
            "id.orig_p": 1,
            "id.resp_h": "10.0.0.2",
            "id.resp_p": 53,
            "proto": "udp",
            "trans_id": 1,
            "query": "x.example.com",
            "qtype_name": qtype,
            "rcode_name": "NOERROR",
            "answers": ["192.0.2.1"],
        }
    )
    with _load(tmp_path, "dns.json", [line]) as case:
        assert case.sql("SELECT qtype, failed FROM dns_queries").rows() == [("ANY", False)]


def test_a_case_from_before_collected_at_gains_the_column(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    with open_case(db):
        pass
    con = duckdb.connect(str(db))
    con.execute("ALTER TABLE dns_queries DROP COLUMN collected_at")
    con.close()
    with open_case(db) as case:
        columns = case.sql("SELECT * FROM dns_queries LIMIT 0").columns
        assert columns[-1] == "collected_at"
