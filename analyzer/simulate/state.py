"""What the DNS control-plane model (``model``) records as it runs: the log lines
before formatting, the plans and their endpoints, every change, update, apply and
delete (the ground truth ``labels`` and ``clocks`` read), the locks, the stall fault's
bookkeeping, and the spacing of changes from different hosts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .des import Event


@dataclass
class Record:
    """One log line, before formatting: who wrote it, when (true time), what."""

    host: str
    t: float
    fields: dict[str, Any]
    file: str = ""
    line: int = 0


@dataclass
class PlanEndpoint:
    lbs: int
    ips4: tuple[str, ...]
    ips6: tuple[str, ...]
    weight: int


@dataclass
class Plan:
    gen: int
    created: float
    endpoints: dict[str, PlanEndpoint]
    record: Record | None = None
    deleted: float | None = None


@dataclass
class Change:
    """An endpoint moved to ``gen``: an ok update (host set) or an operator restore."""

    t: float
    gen: int
    record: Record
    host: str | None


@dataclass
class Update:
    record: Record
    host: str
    endpoint: str
    gen: int
    status: str
    t: float


@dataclass
class Apply:
    host: str
    gen: int
    check: Record
    start: Record
    done: Record | None = None
    updates: list[Update] = field(default_factory=list)
    waits: list[Record] = field(default_factory=list)  # lock_acquire contended lines


@dataclass
class Delete:
    record: Record
    gen: int
    host: str
    t: float
    live: list[str]
    cleanup: Record


@dataclass
class Lock:
    holder: str | None = None
    last_holder: str | None = None


@dataclass
class Race:
    """Bookkeeping of the directed stall fault (see ``model``'s docstring)."""

    host: str
    endpoint: str
    start: float
    logged: bool
    gen: int | None = None  # the stalled apply's generation
    waiting: bool = False  # S has tried E's lock at least once
    released: bool = False  # S got the lock: the stall is over
    trigger: str | None = None
    trigger_gen: int | None = None
    handover: Event = field(default_factory=Event)
    s_commit: Event = field(default_factory=Event)


class Sequencer:
    """Spaces changes from different hosts by ``gap`` seconds, in request order."""

    def __init__(self, gap: float) -> None:
        self.gap = gap
        self.last: dict[str, float] = {}

    def reserve(self, host: str, t: float) -> float:
        c = t
        for h, last in self.last.items():
            if h != host:
                c = max(c, last + self.gap)
        self.last[host] = c
        return c


def update_outcome(
    plans: dict[int, Plan], cur: int, g: int, *, guard: bool
) -> tuple[str, str, str | None]:
    """The design's rule for an update of an endpoint at generation ``cur`` to plan ``g``:
    (status, level, error). ``guard``: the fixed update, which refuses an older plan."""
    if plans[cur].deleted is not None:
        return "error", "error", f"InconsistentState: active plan {cur} not found"
    if plans[g].deleted is not None:
        return "error", "error", f"PlanNotFound: plan {g} not found"
    if guard and cur > g:
        return "error", "error", f"StaleGeneration: endpoint at {cur}, refusing older plan {g}"
    return "ok", "info", None
