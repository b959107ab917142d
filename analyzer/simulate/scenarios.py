"""The scenarios: the 2025-10-20 reconstruction, random small systems, and scale data.

Every number of the reconstruction that the public record does not give is an
assumption, listed in ``sample_logs/dynamodb-2025-10-20/README.md``.
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from .config import (
    DESIGNS,
    BackgroundName,
    ClockFault,
    Config,
    DnsConfig,
    Endpoint,
    Malformed,
    OperatorAction,
    Rand,
    Silence,
    StallFault,
    Vpc,
    clock_faults,
    take_options,
    utc,
)
from .noisy import noisy_day
from .scale import scale_config

REGIONAL = "dynamodb.us-east-1.amazonaws.com"
ENACTORS = ("dns-enactor-use1-az1", "dns-enactor-use1-az2", "dns-enactor-use1-az4")

# Plan order: the regional endpoint last, so that when the slowed Enactor finally writes
# it, it has nothing else to overwrite (only the regional endpoint goes empty).
SAMPLE_ENDPOINTS = (
    Endpoint("dynamodb-fips.us-east-1.amazonaws.com", lbs=4, a_rate=0.10),
    Endpoint("dynamodb.us-east-1.api.aws", dual_stack=True, lbs=4, a_rate=0.08, aaaa_rate=0.08),
    Endpoint(
        "dynamodb-fips.us-east-1.api.aws", dual_stack=True, lbs=3, a_rate=0.02, aaaa_rate=0.02
    ),
    Endpoint("streams.dynamodb.us-east-1.amazonaws.com", lbs=4, a_rate=0.12),
    Endpoint("dax.us-east-1.amazonaws.com", lbs=3, a_rate=0.04),
    Endpoint(REGIONAL, lbs=8, a_rate=1.2),
)

BACKGROUND = (
    BackgroundName("sts.us-east-1.amazonaws.com.", "A", 0.15, ("209.54.177.164", "209.54.176.48")),
    BackgroundName(
        "s3.us-east-1.amazonaws.com.", "A", 0.25, ("52.217.96.112", "16.182.33.50", "54.231.200.9")
    ),
    # a client's search domain appended to the regional name: NXDOMAIN, and not an endpoint
    BackgroundName(REGIONAL + ".ec2.internal.", "A", 0.03, rcode="NXDOMAIN"),
    BackgroundName("in-addr.arpa.", "PTR", 0.03),
)

SAMPLE_VPCS = (
    Vpc("vpc-0a4e2c91d3b7f5e10", "381492650173", 0.4, 40, "10.20"),
    Vpc("vpc-05d7b1e3f9a2c4681", "381492650173", 0.3, 30, "10.21"),
    Vpc("vpc-0c3f8a6e2d1b9a7e2", "729105834461", 0.2, 20, "172.31"),
    Vpc("vpc-09b2d4f6a8c0e1d33", "514038297716", 0.1, 10, "10.64"),
)


def dynamodb_2025_10_20(seed: int, **options: Any) -> Config:
    """The reconstruction. Public: the timeline and the mechanism; the rest is assumed."""
    o = take_options(options, {"design": "buggy", "gzip": True, "stall_logged": True, "clocks": ()})
    day = "2025-10-20T"
    return Config(
        scenario="dynamodb-2025-10-20",
        seed=seed,
        start=utc(day + "06:30:00Z"),
        end=utc(day + "12:45:00Z"),
        design=o["design"],
        planner_host="dns-planner-1",
        enactors=ENACTORS,
        endpoints=SAMPLE_ENDPOINTS,
        first_generation=118100,
        cadence=8.0,
        keep=40,
        skew={"dns-enactor-use1-az2": 0.035, "dns-enactor-use1-az4": -0.060},
        clocks=clock_faults(o["clocks"]),
        stall=StallFault(
            "dns-enactor-use1-az4", REGIONAL, utc(day + "06:42:30Z"), logged=bool(o["stall_logged"])
        ),
        operator=(
            OperatorAction(
                utc(day + "07:38:00Z"),
                "note",
                REGIONAL,
                "DNS state of the regional endpoint identified as the cause",
                "oncall-dynamodb",
            ),
            OperatorAction(
                utc(day + "08:15:00Z"),
                "mitigate",
                REGIONAL,
                "temporary mitigations applied",
                "oncall-dynamodb",
            ),
            OperatorAction(
                utc(day + "09:25:00Z"),
                "restore_endpoint",
                REGIONAL,
                "all DNS records restored by hand",
                "oncall-dynamodb",
                only_if_empty=True,
            ),
            OperatorAction(
                utc(day + "12:38:00Z"),
                "disable_automation",
                None,
                "DNS Planner and Enactor automation disabled worldwide",
                "oncall-dynamodb",
            ),
        ),
        dns=DnsConfig(
            vpcs=SAMPLE_VPCS,
            positive_ttl=30.0,
            negative_ttl=900.0,
            background=BACKGROUND,
            gzip=bool(o["gzip"]),
            compresslevel=9,
        ),
        malformed=Malformed(enactor=1, dns=1),
    )


_RANDOM_NAMES = (
    "api.us-east-1.example.com",
    "api-fips.us-east-1.example.com",
    "api.us-east-1.example.net",
    "streams.us-east-1.example.com",
    "control.us-east-1.example.com",
)


def random_config(seed: int, **options: Any) -> Config:
    """A small system with faults drawn from the seed; every draw can be forced."""
    o = take_options(
        options,
        dict.fromkeys(
            (
                "design",
                "enactors",
                "endpoints",
                "stall",
                "stall_logged",
                "skew",
                "silent",
                "keep",
                "malformed",
                "gzip",
                "cadence",
                "clocks",
                "clock_faults",
            )
        ),
    )
    r = Rand(seed, "scenario")

    def pick(key: str, draw: Any) -> Any:
        return o[key] if o[key] is not None else draw

    n_enactors = int(pick("enactors", r.int(2, 4)))
    n_endpoints = int(pick("endpoints", r.int(2, 6)))
    if n_enactors < 2 or not 1 <= n_endpoints <= len(_RANDOM_NAMES) + 1:
        raise InputError("random: need at least 2 enactors and 1 to 6 endpoints")
    design = pick("design", r.choice(DESIGNS))
    cadence = float(pick("cadence", r.uniform(4.0, 8.0)))
    keep = int(pick("keep", r.int(25, 40)))
    stall = bool(pick("stall", r.chance(0.85)))
    stall_logged = bool(pick("stall_logged", r.chance(0.5)))
    skewed = bool(pick("skew", r.chance(0.5)))
    silent = bool(pick("silent", r.chance(0.3)))
    malformed = bool(pick("malformed", r.chance(0.5)))
    gzip = bool(pick("gzip", r.chance(0.3)))

    hosts = tuple(f"dns-enactor-use1-az{i}" for i in (1, 2, 4, 5, 6)[:n_enactors])
    target = Endpoint("api.us-east-1.example.org", lbs=r.int(2, 6), a_rate=r.uniform(0.3, 1.0))
    others = tuple(
        Endpoint(
            name,
            dual_stack=r.chance(0.3),
            lbs=r.int(2, 5),
            a_rate=r.uniform(0.02, 0.2),
            aaaa_rate=r.uniform(0.02, 0.1),
        )
        for name in _RANDOM_NAMES[: n_endpoints - 1]
    )
    start = utc("2025-06-01T08:00:00Z") + r.int(0, 30 * 86400)
    stall_start = start + r.uniform(60, 240)
    slow = hosts[r.int(0, n_enactors - 1)]
    # drawn whether used or not, so forcing one option leaves the other draws unchanged
    quiet, t_quiet = r.uniform(60, 240), stall_start + r.uniform(0, 60)
    who = r.choice([h for h in hosts if h != slow])
    silences = (Silence(who, t_quiet, t_quiet + quiet),) if silent else ()
    quiet = quiet if silent else 0.0
    restore_after = r.uniform(180, 420)
    negative_ttl = r.uniform(60, 300)
    end = (
        stall_start
        + (keep + 3) * cadence * 1.3
        + quiet
        + restore_after
        + negative_ttl
        + r.uniform(120, 240)
    )
    vpcs = tuple(
        Vpc(
            f"vpc-0{r.int(0, 16**16 - 1):016x}",
            f"{r.int(10**11, 10**12 - 1)}",
            r.uniform(0.5, 1.5),
            r.int(3, 20),
            f"10.{r.int(0, 255)}",
        )
        for _ in range(r.int(1, 3))
    )
    skews = {h: r.uniform(-0.15, 0.15) for h in ("dns-planner-1", *hosts)}
    bad = Malformed(planner=r.int(0, 1), enactor=r.int(1, 2), dns=r.int(1, 2))
    clocks = clock_faults(o["clocks"]) or (
        _random_clocks(Rand(seed, "clocks"), hosts) if o["clock_faults"] else ()
    )
    return Config(
        scenario="random",
        seed=seed,
        start=start,
        end=end,
        design=design,
        planner_host="dns-planner-1",
        enactors=hosts,
        endpoints=(*others, target),
        first_generation=r.int(1, 500_000),
        cadence=cadence,
        keep=keep,
        skew=skews if skewed else {},
        clocks=clocks,
        silences=silences,
        stall=StallFault(slow, target.name, stall_start, stall_logged) if stall else None,
        restore_after=restore_after,
        dns=DnsConfig(
            vpcs=vpcs,
            positive_ttl=r.uniform(10, 60),
            negative_ttl=negative_ttl,
            background=BACKGROUND[:2],
            gzip=gzip,
        ),
        malformed=bad if malformed else Malformed(),
    )


def _random_clocks(r: Rand, hosts: tuple[str, ...]) -> tuple[ClockFault, ...]:
    """Wrong clocks on some Enactors (the planner is the reference): 1 to 5 s either
    way, drifting by up to 50 ms an hour either way (its own stream: other draws keep)."""
    picked = [h for h in hosts if r.chance(0.5)] or [r.choice(hosts)]
    return tuple(
        ClockFault(h, r.choice((-1, 1)) * r.uniform(1.0, 5.0), r.uniform(-0.05, 0.05))
        for h in picked
    )


SCENARIOS = {
    "dynamodb-2025-10-20": dynamodb_2025_10_20,
    "random": random_config,
    "scale": scale_config,
    "noisy-day": noisy_day,
}


def build(scenario: str, seed: int = 0, **options: Any) -> Config:
    try:
        factory = SCENARIOS[scenario]
    except KeyError:
        raise InputError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}") from None
    return factory(seed, **options)
