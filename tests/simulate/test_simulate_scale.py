"""Scale mode writes exactly the requested number of valid Route 53 Resolver lines."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

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


def test_scale_clock_fault_is_opt_in_and_only_moves_that_host(tmp_path: Path) -> None:
    """``clocks`` shifts one host's logged times; every other log keeps its bytes, the
    labels are the same findings (their logged times move), and the ordering model
    names that host (the benchmark's skewed-host case, small)."""
    from analyzer import open_case

    small = {"dns_lines": 5_000, "hours": 0.5, "endpoints": 4, "vpcs": 2}
    host = "dns-enactor-use1-az2"
    plain = simulate("scale", tmp_path / "plain", seed=3, **small)
    skewed = simulate("scale", tmp_path / "skewed", seed=3, clocks=f"{host}=2.5", **small)
    assert plain.clocks is None and "clocks.json" not in plain.files
    assert skewed.clocks is not None and skewed.clocks["faults"][0]["host"] == host
    assert set(skewed.files) == {*plain.files, "clocks.json"}
    for rel in plain.files:
        same = (tmp_path / "plain" / rel).read_bytes() == (tmp_path / "skewed" / rel).read_bytes()
        assert same == (rel not in (f"enactor/{host}.log", "ground-truth.json")), rel

    def keys(res: Any) -> list[tuple[Any, ...]]:
        fields = ("rule", "endpoint", "generation", "host", "evidence")
        return [tuple(json.dumps(lab[k]) for k in fields) for lab in res.labels]

    assert keys(skewed) == keys(plain) and plain.labels
    with open_case(None) as case:
        case.ingest(tmp_path / "skewed")
        named = {f["host"] for f in case.findings(rules=["clock_skew"]).records()}
    assert named == {host}
