"""The noisy benign day: a healthy system whose DNS logs hold what real ones do.

No fault: the fixed design, no slowed Enactor, no operator action. The resolvers see,
besides the endpoints, the names a real VPC asks all day and that never resolve:
typos of the endpoints and of other AWS names, blocked ad and tracker domains (the
resolver answers NXDOMAIN or REFUSED), a search-domain suffix, and a long tail of
random-looking (DGA-like) names asked a few times each. None of it is an outage: the
analyzer must give no critical or high finding on it (``tests/rules``).
"""

from __future__ import annotations

import string
from typing import Any

from .config import BackgroundName, Config, DnsConfig, Rand, take_options, utc

TYPOS = (
    "dynamodb.us-east-1.amazonaws.con",
    "dynamdb.us-east-1.amazonaws.com",
    "dynamodb.us-east1.amazonaws.com",
    "s3.us-east-1.amazonaws.co",
    "sts.us-esat-1.amazonaws.com",
)
BLOCKED = (
    ("ads.doubleclick.net.example-blocklist.invalid", "NXDOMAIN"),
    ("pagead2.googlesyndication.com", "NXDOMAIN"),
    ("telemetry.tracker.example", "REFUSED"),
    ("miner.pool.example", "REFUSED"),
)


def _long_tail(seed: int, n: int) -> tuple[BackgroundName, ...]:
    r = Rand(seed, "noisy-tail")
    letters = string.ascii_lowercase + string.digits
    names = []
    for _ in range(n):
        label = "".join(r.choice(letters) for _ in range(r.int(8, 16)))
        names.append(BackgroundName(f"{label}.{r.choice(('com', 'net', 'info'))}.", "A", 0.001,
                                    rcode="NXDOMAIN"))  # fmt: skip
    return tuple(names)


def noisy_day(seed: int, **options: Any) -> Config:
    """Hours of a healthy control plane and noisy, benign DNS logs."""
    from .scenarios import BACKGROUND, ENACTORS, SAMPLE_ENDPOINTS, SAMPLE_VPCS

    o = take_options(options, {"design": "fixed", "gzip": False, "hours": 3.0})
    start = utc("2025-10-21T00:00:00Z")
    r = Rand(seed, "noisy")
    noise = (
        *(BackgroundName(n + ".", "A", r.uniform(0.01, 0.06), rcode="NXDOMAIN") for n in TYPOS),
        *(BackgroundName(n + ".", "A", r.uniform(0.02, 0.1), rcode=rc) for n, rc in BLOCKED),
        *_long_tail(seed, 300),
    )
    return Config(
        scenario="noisy-day",
        seed=seed,
        start=start,
        end=start + 3600 * float(o["hours"]),
        design=o["design"],
        planner_host="dns-planner-1",
        enactors=ENACTORS,
        endpoints=SAMPLE_ENDPOINTS,
        first_generation=200_000,
        dns=DnsConfig(
            vpcs=SAMPLE_VPCS,
            positive_ttl=30.0,
            negative_ttl=900.0,
            background=(*BACKGROUND, *noise),
            gzip=bool(o["gzip"]),
        ),
    )
