"""Benchmark data: many hours, many endpoints, an exact number of DNS lines.

The control plane is the same event model (its volume grows with hours x endpoints);
the DNS logs, which dominate, are spread over the (VPC, name, type) streams by a
multinomial draw so the files hold exactly ``dns_lines`` query lines. ``clocks``
(``HOST=OFFSET[:DRIFT_PER_HOUR]``, as in the other scenarios) puts wrong clocks on
hosts and adds ``clocks.json``: a fleet with a skewed host at benchmark size.
"""

from __future__ import annotations

from typing import Any

from .config import (
    BackgroundName,
    Config,
    DnsConfig,
    Endpoint,
    Rand,
    StallFault,
    Vpc,
    clock_faults,
    take_options,
)

REGIONAL = "dynamodb.us-east-1.amazonaws.com"


def scale_config(seed: int, **options: Any) -> Config:
    o = take_options(
        options,
        {
            "dns_lines": 1_000_000,
            "hours": 6.0,
            "endpoints": 40,
            "vpcs": 8,
            "gzip": False,
            "design": "buggy",
            "compresslevel": 1,
            "clocks": (),
        },
    )
    r = Rand(seed, "scale")
    n_ep = max(1, int(o["endpoints"]))
    hours = float(o["hours"])
    others = tuple(
        Endpoint(
            f"cell-{i:03d}.ddb.us-east-1.amazonaws.com",
            dual_stack=i % 3 == 0,
            lbs=r.int(2, 6),
            a_rate=1.0 / (i + 2),
            aaaa_rate=0.3 / (i + 2),
        )
        for i in range(n_ep - 1)
    )
    regional = Endpoint(REGIONAL, lbs=8, a_rate=max(1.0, sum(e.a_rate for e in others)))
    start = 1_760_940_000.0  # 2025-10-20T06:00:00Z
    end = start + hours * 3600
    vpcs = tuple(
        Vpc(
            f"vpc-0{r.int(0, 16**16 - 1):016x}",
            f"{r.int(10**11, 10**12 - 1)}",
            r.uniform(0.5, 2.0),
            200,
            f"10.{i}",
        )
        for i in range(max(1, int(o["vpcs"])))
    )
    background = (
        BackgroundName("sts.us-east-1.amazonaws.com.", "A", 0.5, ("209.54.177.164",)),
        BackgroundName(REGIONAL + ".ec2.internal.", "A", 0.05, rcode="NXDOMAIN"),
    )
    return Config(
        scenario="scale",
        seed=seed,
        start=start,
        end=end,
        design=o["design"],
        planner_host="dns-planner-1",
        enactors=("dns-enactor-use1-az1", "dns-enactor-use1-az2", "dns-enactor-use1-az4"),
        endpoints=(*others, regional),
        first_generation=500_000,
        cadence=30.0,
        keep=40,
        latency_median=0.35,
        latency_min=0.3,
        latency_max=1.0,
        clocks=clock_faults(o["clocks"]),
        stall=StallFault("dns-enactor-use1-az4", REGIONAL, start + 0.25 * (end - start)),
        restore_after=1800.0,
        dns=DnsConfig(
            vpcs=vpcs,
            positive_ttl=30.0,
            negative_ttl=300.0,
            background=background,
            gzip=bool(o["gzip"]),
            compresslevel=int(o["compresslevel"]),
            total_lines=int(o["dns_lines"]),
        ),
    )
