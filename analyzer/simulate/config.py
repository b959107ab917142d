"""What a simulation run is made of: the system, its faults and its clients.

Scenarios (``scenarios.py``) build one :class:`Config`; the model, the DNS generator,
the writers and the labels read it and nothing else, so a run is a pure function of
the config and the seed.
"""

from __future__ import annotations

import calendar
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError

DESIGNS = ("buggy", "fixed", "fixed-update", "fixed-cleanup")


def utc(stamp: str) -> float:
    """Epoch seconds of ``YYYY-MM-DDTHH:MM:SSZ``."""
    return float(calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")))


def take_options(options: dict[str, Any], allowed: dict[str, Any]) -> dict[str, Any]:
    """Options merged over the defaults in ``allowed``; unknown names are an error."""
    unknown = sorted(k for k, v in options.items() if k not in allowed and v is not None)
    if unknown:
        raise InputError(
            f"unknown option(s) for this scenario: {', '.join(unknown)}; "
            f"known: {', '.join(sorted(allowed))}"
        )
    merged = dict(allowed)
    merged.update({k: v for k, v in options.items() if v is not None})
    if merged.get("design") is not None and merged["design"] not in DESIGNS:
        raise InputError(f"design must be one of {', '.join(DESIGNS)}")
    return merged


@dataclass(frozen=True)
class Endpoint:
    """A DNS name the plans publish, and how often clients ask for it (queries/s, all VPCs)."""

    name: str
    dual_stack: bool = False
    lbs: int = 4
    a_rate: float = 0.1
    aaaa_rate: float = 0.0


@dataclass(frozen=True)
class StallFault:
    """The slowed Enactor: its first apply starting at or after ``start`` cannot take the
    lock of ``endpoint`` until the race described in model.py lets it through."""

    host: str
    endpoint: str
    start: float
    logged: bool = True


@dataclass(frozen=True)
class Silence:
    """An Enactor that is down (does nothing, logs nothing) between two applies."""

    host: str
    start: float
    end: float


@dataclass(frozen=True)
class OperatorAction:
    t: float
    action: str
    endpoint: str | None = None
    note: str | None = None
    actor: str = "oncall"
    only_if_empty: bool = False


@dataclass(frozen=True)
class Vpc:
    vpc_id: str
    account_id: str
    weight: float
    clients: int
    subnet: str  # first two octets of the clients' addresses, e.g. "10.12"


@dataclass(frozen=True)
class BackgroundName:
    """A name that is not an endpoint: answered from a fixed record, or NXDOMAIN."""

    name: str
    qtype: str
    rate: float
    rdata: tuple[str, ...] = ()
    rcode: str = "NOERROR"


@dataclass(frozen=True)
class DnsConfig:
    vpcs: tuple[Vpc, ...]
    positive_ttl: float
    negative_ttl: float
    background: tuple[BackgroundName, ...] = ()
    gzip: bool = False
    compresslevel: int = 6
    total_lines: int | None = None  # exact number of query lines (scale mode)
    tcp_share: float = 0.02


@dataclass(frozen=True)
class ClockFault:
    """A host whose clock reads true time + ``offset`` s, drifting by ``drift`` s per hour
    from the start of the run. Unlike ``Config.skew`` (jitter that the model's spacing of
    shared-state changes absorbs), a clock fault can make the logged order of two hosts'
    events differ from the true one: ``clocks.json`` says which orders the logs still let
    an analyzer recover."""

    host: str
    offset: float
    drift: float = 0.0


def clock_faults(value: Any) -> tuple[ClockFault, ...]:
    """Clock faults from ``ClockFault`` objects or ``HOST=OFFSET[:DRIFT_PER_HOUR]`` text."""
    faults = []
    for item in [value] if isinstance(value, (str, ClockFault)) else value or ():
        if isinstance(item, ClockFault):
            faults.append(item)
            continue
        host, _, spec = str(item).partition("=")
        try:
            offset, _, drift = spec.partition(":")
            faults.append(ClockFault(host.strip(), float(offset), float(drift or 0)))
        except ValueError:
            raise InputError(
                f"clock fault {item!r}: expected HOST=OFFSET[:DRIFT_PER_HOUR]"
            ) from None
    return tuple(faults)


@dataclass(frozen=True)
class Malformed:
    """Extra broken lines to insert per kind of file (never replacing a real record)."""

    planner: int = 0
    enactor: int = 0
    operator: int = 0
    dns: int = 0


@dataclass(frozen=True)
class Config:
    scenario: str
    seed: int
    start: float
    end: float
    design: str
    planner_host: str
    enactors: tuple[str, ...]
    endpoints: tuple[Endpoint, ...]
    dns: DnsConfig
    first_generation: int = 1
    cadence: float = 8.0
    cadence_jitter: float = 0.25
    poll: tuple[float, float] = (1.5, 3.0)
    keep: int = 40
    latency_median: float = 0.7
    latency_sigma: float = 0.6
    latency_min: float = 0.4
    latency_max: float = 6.0
    throttle_p: float = 0.01
    backoff_base: float = 0.25
    backoff_cap: float = 60.0
    ip_churn: float = 0.01
    skew: dict[str, float] = field(default_factory=dict)
    clocks: tuple[ClockFault, ...] = ()
    silences: tuple[Silence, ...] = ()
    stall: StallFault | None = None
    operator: tuple[OperatorAction, ...] = ()
    restore_after: float | None = None  # an operator restores an emptied endpoint this late
    malformed: Malformed = Malformed()

    @property
    def guard_update(self) -> bool:
        return self.design in ("fixed", "fixed-update")

    @property
    def safe_cleanup(self) -> bool:
        return self.design in ("fixed", "fixed-cleanup")

    def clock(self, host: str, t: float) -> float:
        """The time ``host``'s clock reads at true time ``t`` (what its log line says)."""
        read = t + self.skew.get(host, 0.0)
        for c in self.clocks:
            if c.host == host:
                read += c.offset + c.drift * (t - self.start) / 3600.0
        return read

    @property
    def commit_gap(self) -> float:
        """Minimum spacing of shared-state changes from different hosts (see model.py)."""
        worst = max((abs(s) for s in self.skew.values()), default=0.0)
        return 2 * worst + 0.02


class Rand:
    """Scalar random draws for the event model, built only on ``random.random()`` (whose
    sequence Python keeps stable), one independent stream per name."""

    def __init__(self, seed: int, name: str) -> None:
        self._r = random.Random(f"{seed}:{name}")

    def random(self) -> float:
        return self._r.random()

    def uniform(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * self._r.random()

    def chance(self, p: float) -> bool:
        return self._r.random() < p

    def int(self, lo: int, hi: int) -> int:
        """Uniform integer in [lo, hi]."""
        return lo + min(int(self._r.random() * (hi - lo + 1)), hi - lo)

    def choice(self, seq):  # type: ignore[no-untyped-def]
        return seq[self.int(0, len(seq) - 1)]

    def normal(self) -> float:
        u1 = 1.0 - self._r.random()
        u2 = self._r.random()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def lognormal(self, median: float, sigma: float) -> float:
        return median * math.exp(sigma * self.normal())
