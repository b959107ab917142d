"""Scale mode writes exactly the requested number of valid Route 53 Resolver lines."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from analyzer.simulate import simulate

FIELDS = {
    "version",
    "account_id",
    "region",
    "vpc_id",
    "query_timestamp",
    "query_name",
    "query_type",
    "query_class",
    "rcode",
    "answers",
    "srcaddr",
    "srcport",
    "transport",
    "srcids",
}


def test_scale_writes_the_requested_lines(tmp_path: Path) -> None:
    res = simulate(
        "scale", tmp_path, seed=4, dns_lines=25_000, hours=0.5, endpoints=5, vpcs=3, gzip=True
    )
    dns_files = [f for f in res.files if f.startswith("dns/")]
    assert len(dns_files) == 3 and all(f.endswith(".jsonl.gz") for f in dns_files)
    total = 0
    for rel in dns_files:
        lines = gzip.decompress((tmp_path / rel).read_bytes()).decode().splitlines()
        stamps = []
        for line in lines:
            q = json.loads(line)
            assert set(q) == FIELDS
            assert isinstance(q["srcport"], str) and q["query_name"].endswith(".")
            assert q["query_timestamp"].endswith("Z") and len(q["query_timestamp"]) == 20
            stamps.append(q["query_timestamp"])
        assert stamps == sorted(stamps)
        total += len(lines)
    assert total == res.dns_lines == 25_000


def test_scale_count_is_exact_for_other_sizes(tmp_path: Path) -> None:
    res = simulate("scale", tmp_path, seed=9, dns_lines=7_777, hours=0.25, endpoints=3, vpcs=2)
    n = sum(len((tmp_path / f).read_text().splitlines()) for f in res.files if f.startswith("dns/"))
    assert n == 7_777
