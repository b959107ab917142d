"""Ground truth: every finding findings.md's rules must report, from the model's state.

Written as ``ground-truth.json``: a JSON array in the shape of ``detect --format json``,
sorted by (start, rule, endpoint, generation, host). Times are the *logged* times of
the defining lines (``YYYY-MM-DDTHH:MM:SS.sssZ``); ``evidence`` starts with the
defining line and lists the lines the finding rests on, not every line of a long run
(blocked updates and DNS windows name their first and last line only).

Labelled rules and the choices made where findings.md leaves room:

* ``non_monotonic_apply``: an ok update to g when the effective generation just before
  (latest ok update or restore) was > g. Evidence: the update, the overwritten line.
* ``stale_plan_check``: per apply (Enactor, g), the first ``endpoint_update`` of any
  status (a refused update in the fixed design counts: the check was stale when used)
  whose endpoint's effective generation just before was > g.
* ``cleanup_deleted_live_plan``: a ``plan_delete`` of g while g is the effective
  generation of endpoints; ``endpoint`` is the first of them by name.
* ``endpoint_empty``: per such endpoint, from the delete to the next ok update or
  restore of it (null while open); ``generation`` is the deleted one.
* ``blocked_updates``: per empty interval with at least two ``status=error`` updates of
  that endpoint: first to last failure, ``generation`` the newest that failed.
  Evidence: the first failed update (it defines ``start``), then the last.
* ``dns_resolution_failure``: per endpoint name (a name the plans publish), failed
  queries (NOERROR with no answer, or another rcode) ordered by (time, file, line);
  a gap of 120 s or more starts a new window. ``total`` counts the name's queries in
  [start, end]; the peak ratio is taken over whole UTC minutes from the start's minute
  to the end's (``peak_minute``: the first minute reaching it); critical when over 0.5.
* ``enactor_stall``: an apply (``apply_start`` to ``apply_done``) longer than
  max(60 s, 10 x the median of all completed applies); ``endpoint`` is the one whose
  update ended the longest gap between consecutive lines of (apply_start, updates);
  ``unexplained`` when no ``lock_acquire status=contended`` line lies in that gap.
* ``generation_lag``: an ok update of g when the planner had written g + 10 or more.

``clock_skew`` is not labelled. Decisions are made in true time. With ``Config.skew``
only, cross-host orders are unambiguous by construction (model.py: shared-state
changes from different hosts are 2 x max skew + 20 ms apart); with clock faults they
may not be, and each label records the pairs of events its conclusion rests on
(``rests_on``) for ``clocks.json`` (clocks.py) to say whether the logs let their order
be recovered.
"""

from __future__ import annotations

import bisect
import itertools
import statistics
from collections.abc import Sequence
from typing import Any

from .config import Config
from .dns import DnsQueries
from .labels_dns import dns_labels
from .model import OPERATOR, System
from .state import Apply, Change, Delete, Record
from .writers import iso_ms

LAG_N = 10
STALL_MIN_S = 60.0
STALL_FACTOR = 10.0


class _Labeller:
    def __init__(self, cfg: Config, system: System) -> None:
        self.cfg = cfg
        self.sys = system
        self.change_times = {ep: [c.t for c in h] for ep, h in system.history.items()}
        self.out: list[dict[str, Any]] = []
        self.orders: list[tuple[dict[str, Any], list[tuple[Record, Record]]]] = []

    def lt(self, rec: Record) -> float:
        """Logged time (what the host's clock read, to the millisecond as written)."""
        return (round(self.cfg.clock(rec.host, rec.t) * 1_000_000) // 1000) / 1000

    def ts(self, rec: Record) -> str:
        return iso_ms(self.lt(rec))

    def before(self, ep: str, t: float) -> Change | None:
        """The change that made the effective generation of ``ep`` just before ``t``."""
        i = bisect.bisect_left(self.change_times[ep], t)
        return self.sys.history[ep][i - 1] if i else None

    def add(
        self,
        rule: str,
        severity: str,
        start: str,
        summary: str,
        details: dict[str, Any],
        evidence: Sequence[Record | tuple[str, int]],
        *,
        end: str | None = None,
        endpoint: str | None = None,
        generation: int | None = None,
        host: str | None = None,
        rests_on: Sequence[tuple[Record, Record]] = (),
    ) -> None:
        ev: list[dict[str, Any]] = []
        for e in evidence:
            f, line = (e.file, e.line) if isinstance(e, Record) else e
            item = {"file": f, "line": int(line)}
            if item not in ev:
                ev.append(item)
        label = {
            "rule": rule,
            "severity": severity,
            "start": start,
            "end": end,
            "endpoint": endpoint,
            "generation": generation,
            "host": host,
            "summary": summary,
            "details": details,
            "evidence": ev,
        }
        self.out.append(label)
        self.orders.append((label, list(rests_on)))

    # --- rules -------------------------------------------------------------------------
    def non_monotonic(self) -> None:
        for ep, hist in self.sys.history.items():
            for prev, ch in itertools.pairwise(hist):
                if ch.host is None or prev.gen <= ch.gen:
                    continue
                source = "restore_endpoint" if prev.host is None else "endpoint_update"
                self.add(
                    "non_monotonic_apply",
                    "high",
                    self.ts(ch.record),
                    f"{ch.host} set {ep} back from generation {prev.gen} to {ch.gen}",
                    {
                        "previous_generation": prev.gen,
                        "previous_host": prev.host,
                        "previous_source": source,
                        "previous_time": self.ts(prev.record),
                    },
                    [ch.record, prev.record],
                    endpoint=ep,
                    generation=ch.gen,
                    host=ch.host,
                    rests_on=[(prev.record, ch.record)],
                )

    def stale_checks(self) -> None:
        for ap in self.sys.applies:
            for u in ap.updates:
                prev = self.before(u.endpoint, u.t)
                if prev is None or prev.gen <= ap.gen:
                    continue
                age = self.lt(u.record) - self.lt(ap.check)
                self.add(
                    "stale_plan_check",
                    "high",
                    self.ts(u.record),
                    f"{ap.host} checked generation {ap.gen} {age:.1f} s before using it on "
                    f"{u.endpoint}, which generation {prev.gen} had already replaced",
                    {
                        "check_time": self.ts(ap.check),
                        "check_age_s": round(age, 3),
                        "generations_written_since": self.sys.newest_at(u.t) - ap.gen,
                        "newer_generation": prev.gen,
                        "newer_host": prev.host,
                        "update_status": u.status,
                    },
                    [u.record, ap.check, prev.record],
                    endpoint=u.endpoint,
                    generation=ap.gen,
                    host=ap.host,
                    rests_on=[(prev.record, u.record)],
                )
                break

    def cleanups(self) -> None:
        for d in self.sys.deletes:
            applied = {
                ep: c
                for ep in sorted(self.sys.order)
                if (c := self.before(ep, d.t)) is not None and c.gen == d.gen
            }
            if not applied:
                continue
            live = list(applied)
            self.add(
                "cleanup_deleted_live_plan",
                "critical",
                self.ts(d.record),
                f"{d.host} deleted plan {d.gen} while {', '.join(live)} still pointed to it",
                {
                    "endpoints": [
                        {
                            "endpoint": ep,
                            "applied_by": c.host or OPERATOR,
                            "applied_at": self.ts(c.record),
                            "gap_s": round(self.lt(d.record) - self.lt(c.record), 3),
                        }
                        for ep, c in applied.items()
                    ],
                    "applied_generation": d.record.fields["applied_generation"],
                },
                [d.record, *(c.record for c in applied.values()), d.cleanup],
                endpoint=live[0],
                generation=d.gen,
                host=d.host,
                rests_on=[
                    pair
                    for ep, c in applied.items()
                    for pair in [(c.record, d.record), *self._next(ep, d)]
                ],
            )
            for ep in live:
                self._empty(ep, d)

    def _after(self, ep: str, d: Delete) -> Change | None:
        """The change that ended the empty interval ``d`` began on ``ep``, if any."""
        hist = self.sys.history[ep]
        i = bisect.bisect_right(self.change_times[ep], d.t)
        return hist[i] if i < len(hist) else None

    def _next(self, ep: str, d: Delete) -> list[tuple[Record, Record]]:
        end = self._after(ep, d)
        return [(d.record, end.record)] if end else []

    def _empty(self, ep: str, d: Delete) -> None:
        end = self._after(ep, d)
        before = self.before(ep, d.t)
        how = None if end is None else "restore_endpoint" if end.host is None else "endpoint_update"
        self.add(
            "endpoint_empty",
            "critical",
            self.ts(d.record),
            f"{ep} published no records from the deletion of plan {d.gen} "
            + (
                "to the end of the logs"
                if end is None
                else "until an operator restored it"
                if end.host is None
                else "until an update"
            ),
            {
                "duration_s": round(self.lt(end.record) - self.lt(d.record), 3) if end else None,
                "ended_by": how,
                "restored_generation": end.gen if end else None,
            },
            [d.record, *([end.record] if end else [])],
            end=self.ts(end.record) if end else None,
            endpoint=ep,
            generation=d.gen,
            rests_on=[*([(before.record, d.record)] if before else []), *self._next(ep, d)],
        )
        end_t = end.t if end else float("inf")
        failed = [
            u
            for u in self.sys.updates
            if u.endpoint == ep and u.status == "error" and d.t < u.t < end_t
        ]
        if len(failed) < 2:
            return
        first, last = failed[0], failed[-1]
        newest = max(u.gen for u in failed)
        self.add(
            "blocked_updates",
            "high",
            self.ts(first.record),
            f"{len(failed)} updates of {ep} failed after plan {d.gen} was deleted "
            f"(newest failed generation {newest})",
            {
                "failed_attempts": len(failed),
                "hosts": sorted({u.host for u in failed}),
                "stuck_generation": d.gen,
                "first_failed_generation": first.gen,
                "newest_failed_generation": newest,
                "generations_missed": newest - d.gen,
                "plans_written_meanwhile": self.sys.newest_at(last.t) - self.sys.newest_at(first.t),
                "first_error": first.record.fields.get("error"),
            },
            [first.record, last.record],
            end=self.ts(last.record),
            endpoint=ep,
            generation=newest,
            rests_on=[(d.record, first.record), *([(last.record, end.record)] if end else [])],
        )

    def stalls(self) -> None:
        done = [ap for ap in self.sys.applies if ap.done is not None]
        if not done:
            return
        dur = [self.lt(ap.done) - self.lt(ap.start) for ap in done]  # type: ignore[arg-type]
        median = statistics.median(dur)
        threshold = max(STALL_MIN_S, STALL_FACTOR * median)
        for ap, d in zip(done, dur, strict=True):
            if d > threshold:
                self._stall(ap, d, median, threshold)

    def _stall(self, ap: Apply, d: float, median: float, threshold: float) -> None:
        """Details follow the root-cause question: what, if anything, fills the longest gap."""
        assert ap.done is not None
        times = [ap.start.t] + [u.t for u in ap.updates]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        k = max(range(len(gaps)), key=gaps.__getitem__) if gaps else None
        in_gap = [w for w in ap.waits if k is not None and times[k] < w.t < times[k + 1]]
        n_logged = len(ap.waits) + sum(u.status == "retry" for u in ap.updates)
        self.add(
            "enactor_stall",
            "medium",
            self.ts(ap.start),
            f"{ap.host} took {d:.0f} s to apply generation {ap.gen} (fleet median {median:.1f} s)"
            + (
                "; nothing logged explains the delay"
                if not in_gap
                else f"; {len(in_gap)} lock waits logged in the gap"
            ),
            {
                "duration_s": round(d, 3),
                "threshold_s": round(threshold, 3),
                "fleet_median_s": round(median, 3),
                "endpoints_done": sum(u.status == "ok" for u in ap.updates),
                "retries_logged": n_logged,
                "longest_gap_s": round(gaps[k], 3) if k is not None else None,
                "waits_in_gap": len(in_gap),
                "backoff_ms_in_gap": sum(int(w.fields["backoff_ms"]) for w in in_gap),
                "unexplained": not in_gap,
            },
            [ap.start, ap.done, *in_gap],
            end=self.ts(ap.done),
            endpoint=ap.updates[k].endpoint if k is not None else None,
            generation=ap.gen,
            host=ap.host,
        )

    def lags(self) -> None:
        for u in self.sys.updates:
            newest = self.sys.newest_at(u.t)
            if u.status != "ok" or newest - u.gen < LAG_N:
                continue
            plan = self.sys.plans[newest].record
            assert plan is not None
            self.add(
                "generation_lag",
                "medium",
                self.ts(u.record),
                f"{u.host} applied generation {u.gen} to {u.endpoint} when the planner had "
                f"already written {newest} ({newest - u.gen} newer)",
                {"planner_generation": newest, "lag": newest - u.gen},
                [u.record, plan],
                endpoint=u.endpoint,
                generation=u.gen,
                host=u.host,
                rests_on=[(plan, u.record)],
            )


def compute_labels(
    cfg: Config,
    system: System,
    queries: DnsQueries,
    orders: list[tuple[dict[str, Any], list[tuple[Record, Record]]]] | None = None,
) -> list[dict[str, Any]]:
    """The labels, sorted; ``orders`` (if given) receives each label's ``rests_on`` pairs."""
    lab = _Labeller(cfg, system)
    lab.non_monotonic()
    lab.stale_checks()
    lab.cleanups()
    lab.stalls()
    lab.lags()
    dns_labels(lab.add, queries)
    if orders is not None:
        orders.extend(lab.orders)
    return sorted(
        lab.out,
        key=lambda f: (
            f["start"],
            f["rule"],
            f["endpoint"] or "",
            f["generation"] or -1,
            f["host"] or "",
        ),
    )
