"""A minimal discrete-event kernel: processes are generators, time is float seconds.

A process yields a delay (seconds), an :class:`Event` (resume when it fires) or a
:class:`Wait` (resume at whichever comes first). Simultaneous events run in the order
they were scheduled, so a run is a pure function of its inputs and random streams.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

Process = Generator[Any, Any, Any]


@dataclass
class Event:
    """Fires once; every process waiting on it resumes with the value ``"event"``."""

    fired: bool = False
    waiters: list[Callable[[Any], None]] = field(default_factory=list)


@dataclass
class Wait:
    """Wait for ``event`` but at most ``timeout`` seconds; resumes with "event" or "timeout"."""

    event: Event
    timeout: float


class Kernel:
    def __init__(self, start: float) -> None:
        self.now = start
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = 0

    def at(self, t: float, fn: Callable[[], None]) -> None:
        heapq.heappush(self._queue, (t, self._seq, fn))
        self._seq += 1

    def spawn(self, proc: Process, delay: float = 0.0) -> None:
        self.at(self.now + delay, functools.partial(self._step, proc, None))

    def fire(self, event: Event) -> None:
        if event.fired:
            return
        event.fired = True
        waiters, event.waiters = event.waiters, []
        for resume in waiters:
            self.at(self.now, functools.partial(resume, "event"))

    def run(self, until: float) -> None:
        while self._queue and self._queue[0][0] <= until:
            t, _, fn = heapq.heappop(self._queue)
            self.now = t
            fn()

    def _step(self, proc: Process, value: Any) -> None:
        try:
            req = proc.send(value)
        except StopIteration:
            return
        resume = functools.partial(self._step, proc)
        if isinstance(req, Event):
            if req.fired:
                self.at(self.now, functools.partial(resume, "event"))
            else:
                req.waiters.append(resume)
        elif isinstance(req, Wait):
            done = [False]

            def once(v: Any) -> None:
                if not done[0]:
                    done[0] = True
                    resume(v)

            if req.event.fired:
                self.at(self.now, functools.partial(once, "event"))
            else:
                req.event.waiters.append(once)
            self.at(self.now + req.timeout, functools.partial(once, "timeout"))
        else:
            self.at(self.now + float(req), functools.partial(resume, None))
